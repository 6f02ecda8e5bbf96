"""PyScript main-thread script of bench/pool/chromium.html: times PyScript's named-worker
export (``await workers["pyscript-pool"].f()``, the baseline of an empty task's round
trip), then runs bench_pool.py's ``main`` from this same interpreter, and leaves the
results in ``window.__benchPool`` (JSON text)."""

import json
import statistics
import sys
import traceback
from types import SimpleNamespace

import pyodide_js
from pyscript import workers

import js

log = js.pwwBenchLog


async def run():
    user = json.loads(js.pwwBenchConfig)
    out = {"pyodide": pyodide_js.version, "python": sys.version.split()[0]}

    # pywebworker from the local wheel (served at /pywebworker.whl by chromium.py) and its
    # one dependency from the Pyodide distribution; the bench module from this directory.
    wheel = await (await js.fetch("/pywebworker.whl")).arrayBuffer()
    pyodide_js.unpackArchive(wheel, "wheel")
    await pyodide_js.loadPackage("cloudpickle")
    ns = {"__name__": "bench_pool"}
    exec(await (await js.fetch("./bench_pool.py")).text(), ns)
    cfg = {**(ns["QUICK"] if user.get("quick") else ns["FULL"]), **user}

    log("[3'] PyScript named-worker export, the same loops ...")
    w = await workers["pyscript-pool"]
    await ns["latencies"](lambda: w.f(), 100)  # warm-up
    lat = []
    for _ in range(cfg["rounds"]):
        lat += await ns["latencies"](lambda: w.f(), cfg["seq"])
    rates = [await ns["burst_per_s"](lambda i: w.f(i), cfg["burst"]) for _ in range(cfg["rounds"])]
    out["pyscript"] = {**ns["summary"](lat), "per_s": statistics.median(rates)}
    log(f"  PyScript export: {out['pyscript']['median_us']:.0f} µs, {out['pyscript']['per_s']:,.0f} calls/s")

    hooks = SimpleNamespace(
        log=log, rss=js.pwwPoolRss, index_url=js.pwwIndexURL, pyodideBoot=js.pwwPyodideBoot,
        rss_what="RSS of all Chromium processes (the page's workers are threads of its renderer), "
                 "read from /proc by the driver",
    )
    out.update(json.loads(await ns["main"](json.dumps(cfg), hooks)))
    return out


async def main():
    try:
        out = await run()
    except BaseException as exc:
        out = {"error": "".join(traceback.format_exception(exc))}
    log("done" if "error" not in out else out["error"])
    js.pwwBenchDone(json.dumps(out))


await main()  # noqa: F704 - PyScript runs a script with top-level await
