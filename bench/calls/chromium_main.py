"""PyScript main-thread script of chromium.html: measures comlink (through JS),
PyScript named-worker exports, then pywebworker, all from this one interpreter, and
leaves the results in ``window.__benchCalls`` (JSON text)."""

import json
import sys
import time
import traceback

import pyodide_js
from pyodide.ffi import create_proxy
from pyscript import workers

import js

log = js.pwwBenchLog


async def run():
    cfg = json.loads(js.pwwBenchConfig)
    seq, burst, rounds = cfg.get("seq", 1000), cfg.get("burst", 5000), cfg.get("rounds", 5)
    out = {"pyodide": pyodide_js.version, "python": sys.version.split()[0]}

    log("comlink (JS -> JS) ...")
    out["comlink"] = json.loads(await js.pwwComlinkBench(seq, burst, rounds))

    # pywebworker from the local wheel (served at /pywebworker.whl by chromium.py); the
    # bench module, which imports it, from this directory.
    wheel = await (await js.fetch("/pywebworker.whl")).arrayBuffer()
    pyodide_js.unpackArchive(wheel, "wheel")
    ns = {"__name__": "bench_calls"}
    exec(await (await js.fetch("./bench_calls.py")).text(), ns)
    measure = ns["measure"]

    log("PyScript named-worker exports (Python -> Python) ...")
    w = await workers["pyscript-bench"]
    out["pyscript"] = await measure(w.add, seq, burst, rounds)

    log("PyScript worker -> main, pyscript.sync ...")
    inc = create_proxy(lambda i: i + 1)  # kept for the page's life
    js.document.querySelector('script[name="pyscript-bench"]').xworker.sync.inc = inc
    await w.ask_host_sync(200)  # warm up
    t = time.perf_counter()
    await w.ask_host_sync(seq)
    out["pyscript_sync_to_host"] = {"latency_us": (time.perf_counter() - t) / seq * 1e6}

    log("pywebworker ...")
    out.update(json.loads(await ns["main"](json.dumps(cfg))))
    return out


async def main():
    try:
        out = await run()
    except BaseException as exc:
        out = {"error": "".join(traceback.format_exception(exc))}
    log("done" if "error" not in out else out["error"])
    js.pwwBenchDone(json.dumps(out))


await main()  # noqa: F704 - PyScript runs a script with top-level await
