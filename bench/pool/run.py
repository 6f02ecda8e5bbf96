#!/usr/bin/env python3
"""``make bench-pool``: warm starts and WorkerPool in Node (run.mjs) and in headless
Chromium (chromium.py: one PyScript page, PyScript's named-worker export as a baseline);
prints a table of same-run ratios, writes ``build/bench/pool.json`` and (full runs)
``bench/pool/RESULTS.md``.

    python bench/pool/run.py [--pyodide 314.0.7] [--hosts node,chromium] [--quick]
                             [--only warm,cpu,tasks]

Times are figures, never assertions. ``--quick`` (fewer repetitions) takes about
2-3 minutes on a 2-core machine, a full run about twice that.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import chromium  # noqa: E402  (bench/pool/chromium.py)

AIM_WARM_MS, AIM_WARM_RATIO, AIM_SPEEDUP = 5.0, 1 / 200, 1.8


def run_node(version: str, config: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(HERE / "run.mjs"), json.dumps(config)],
        cwd=ROOT, env={**os.environ, "PYWW_PYODIDE": version},
        stdout=subprocess.PIPE, text=True, check=True, timeout=timeout,
    )
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, figure, ratio, aim) rows for one host's results."""
    out: list[tuple[str, str, str, str]] = []
    w = res.get("warm")
    if w:
        ratio = w["warm_ms"] / w["cold_ms"]
        out += [
            ("warm start: prestart(1) awaited, start() → ready() (median)",
             f"{w['warm_ms']:.1f} ms (p90 {w['warm_p90_ms']:.1f})", f"1/{1 / ratio:.0f} of cold",
             f"< {AIM_WARM_MS:.0f} ms: {_met(w['warm_ms'] < AIM_WARM_MS)}; "
             f"< 1/200 of cold: {_met(ratio < AIM_WARM_RATIO)}"),
            ("warm start → first `__export__` call returned", f"{w['warm_first_call_ms']:.1f} ms",
             f"1/{w['cold_first_call_ms'] / w['warm_first_call_ms']:.0f} of cold", ""),
            ("cold start: no spare, start() → ready() (median)", f"{w['cold_ms']:.0f} ms", "1", ""),
        ]
        if w.get("raw_boot_ms"):
            out.append(("raw Pyodide module worker → first reply", f"{w['raw_boot_ms']:.0f} ms",
                        f"cold = {w['cold_ms'] / w['raw_boot_ms']:.2f}x raw", ""))
        if "mib_per_spare" in w:
            out.append((f"memory per idle spare ({res['config']['spares']} warm spares; {w['rss_what']})",
                        f"{w['mib_per_spare']:.0f} MiB",
                        f"RSS {w['rss_before_mib']:.0f} → {w['rss_after_mib']:.0f} MiB", ""))
    c = res.get("cpu")
    if c:
        job = f"{c['chunks']} × work({c['n']:,}), best of {c.get('rounds', 1)}"
        out += [
            (f"CPU-bound: {job} in the host's own loop", f"{c['host_s']:.2f} s", "1", ""),
            ("CPU-bound: pool.map on WorkerPool(1)", f"{c['pool1_s']:.2f} s",
             f"{c['speedup_1_over_host']:.2f}x host", ""),
            ("CPU-bound: pool.map on WorkerPool(2)", f"{c['pool2_s']:.2f} s",
             f"{c['speedup_2_over_1']:.2f}x WorkerPool(1), {c['speedup_2_over_host']:.2f}x host",
             f"≥ {AIM_SPEEDUP}x WorkerPool(1): {_met(c['speedup_2_over_1'] >= AIM_SPEEDUP)}"),
        ]
        if "mp_pool2_s" in c:  # issue 24: the blocking APIs (JSPI), the same work
            out += [
                ("CPU-bound: multiprocessing.Pool(2).map, blocking (JSPI)", f"{c['mp_pool2_s']:.2f} s",
                 f"{c['mp_speedup_over_host']:.2f}x host, {c['mp_over_await']:.2f}x await pool.map",
                 f"≥ 1.8x host: {_met(c['mp_speedup_over_host'] >= 1.8)}; "
                 f"≤ 1.1x await: {_met(c['mp_over_await'] <= 1.1)}"),
                ("CPU-bound: ProcessPoolExecutor(2).map, blocking (JSPI)", f"{c['executor2_s']:.2f} s",
                 f"{c['executor_speedup_over_host']:.2f}x host, {c['executor_over_await']:.2f}x await pool.map",
                 f"≥ 1.8x host: {_met(c['executor_speedup_over_host'] >= 1.8)}"),
            ]
    t = res.get("tasks")
    if t:
        s, k, ps = t["submit"], t["call"], res.get("pyscript")
        vs = f"{s['median_us'] / k['median_us']:.2f}x call"
        if ps:
            vs += f", {s['median_us'] / ps['median_us']:.2f}x PyScript"
        out += [
            ("empty task: await pool.submit(f), WorkerPool(1) (median / p99)",
             f"{s['median_us']:.0f} / {s['p99_us']:.0f} µs", vs, ""),
            ("`__export__` call: await worker.call(\"f\") (median / p99)",
             f"{k['median_us']:.0f} / {k['p99_us']:.0f} µs", "1", ""),
        ]
        if ps:
            out.append(("PyScript named-worker export: await workers[name].f() (median / p99)",
                        f"{ps['median_us']:.0f} / {ps['p99_us']:.0f} µs",
                        f"{ps['median_us'] / k['median_us']:.2f}x call", ""))
        r = t["per_s"]
        burst = f"{t['burst']:,}"
        labels = [
            ("gather_pool1", f"{burst} tasks: gather(*[pool.submit(f, i) ...]), WorkerPool(1)"),
            ("gather_pool2", f"{burst} tasks: gather(*[pool.submit(f, i) ...]), WorkerPool(2)"),
            ("map_pool1", f"{burst} tasks: pool.map(f, range({t['burst']})), WorkerPool(1)"),
            ("map_pool2", f"{burst} tasks: pool.map(f, range({t['burst']})), WorkerPool(2)"),
            ("gather_call", f"{burst} calls: gather(*[worker.call(\"f\", i) ...])"),
        ]
        for key, label in labels:
            if key in r:
                out.append((label, f"{r[key]:,.0f} /s", f"{r[key] / r['gather_call']:.2f}x calls", ""))
        if ps:
            out.append((f"{burst} calls: gather(*[workers[name].f(i) ...]), PyScript",
                        f"{ps['per_s']:,.0f} /s", f"{ps['per_s'] / r['gather_call']:.2f}x calls", ""))
    return out


def table(res: dict[str, Any]) -> str:
    lines = ["| benchmark | figure | ratio (same run) | aim |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(res)]
    return "\n".join(lines)


def host_name(host: str, res: dict[str, Any]) -> str:
    name = str(res.get("browser")) if host == "chromium" else f"Node {res.get('node', '')}"
    if "load_before" in res:
        name += f" (1-minute load average {res['load_before']:.1f} before, {res['load_after']:.1f} after)"
    return name


def render(out: dict[str, Any]) -> str:
    lines = [
        "# Warm start and WorkerPool benchmark results (issue 10)",
        "",
        f"Command: `make bench-pool` (= `{out['command']}`), {out['date']}, {out['machine']}, "
        f"Pyodide {out['pyodide']}. Raw figures: build/bench/pool.json.",
        "",
        "Warm start: `await prestart(1)` before each repetition (so a spare is warm), then "
        "`PyWorker(script).start()` → `await ready()`; cold start: the same with no spare "
        "(`prestart(0)`), alternated with a raw module worker that loads Pyodide and replies "
        "(bench/baselines.mjs). Memory: RSS before and after `await prestart(4)`, divided by 4. "
        "CPU-bound: pure Python integer arithmetic, 8 chunks of about 2 s in all, pools booted "
        "and warmed up before the timing, no spare booting meanwhile; best of the rounds (another "
        "job on the machine only makes a round slower; medians in the JSON). Round trips: "
        "every call timed, interleaved rounds. Chromium: one PyScript page, cross-origin isolated "
        "(5 µs timers); its main-thread interpreter times PyScript's named worker and then "
        "pywebworker. Figures vary by ±30 % between runs on this shared 2-core machine; ratios less.",
        "",
    ]
    for host in ("node", "chromium"):
        if host in out:
            lines += [f"## {host_name(host, out[host])}", "", table(out[host]), ""]
    notes = HERE / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    return "\n".join(lines)


def machine() -> str:
    return f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyodide", default=os.environ.get("PYWW_PYODIDE", "314.0.7"))
    ap.add_argument("--hosts", default="node,chromium")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (about 2-3 minutes)")
    ap.add_argument("--only", default="", help="comma list: warm,cpu,tasks")
    ap.add_argument("--out", default=str(ROOT / "build" / "bench" / "pool.json"))
    ap.add_argument("--markdown", default=str(HERE / "RESULTS.md"), help="written by full runs ('' = no)")
    a = ap.parse_args()
    config: dict[str, Any] = {"quick": a.quick}
    if a.only:
        config["only"] = a.only.split(",")
    out: dict[str, Any] = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "pyodide": a.pyodide,
        "command": " ".join(["python", "bench/pool/run.py", *sys.argv[1:]]),
    }
    for host in a.hosts.split(","):
        print(f"== {host}", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]  # another job on the machine shows in the CPU-bound ratios
        out[host] = run_node(a.pyodide, config) if host == "node" else chromium.run(a.pyodide, config)
        out[host]["load_before"], out[host]["load_after"] = load, os.getloadavg()[0]
    for host in ("node", "chromium"):
        if host in out:
            print(f"\n{host_name(host, out[host])}\n{table(out[host])}")
    dest = Path(a.out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1))
    print(f"\nwrote {dest}")
    if a.markdown and not a.quick and not a.only:
        Path(a.markdown).write_text(render(out))
        print(f"wrote {a.markdown}")


if __name__ == "__main__":
    main()
