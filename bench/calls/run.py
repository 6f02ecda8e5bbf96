#!/usr/bin/env python3
"""``make bench-calls``: call latency and throughput in Node (run.mjs) and in headless
Chromium (chromium.py: comlink, PyScript named-worker exports and pywebworker in one
page); prints tables of ratios and writes ``build/bench/calls.json``.

    python bench/calls/run.py [--pyodide 314.0.7] [--hosts node,chromium] [seq burst rounds]

Times are figures, never assertions.
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
import chromium  # noqa: E402

ROWS = {
    "node": [
        ("comlink", "comlink (JS -> JS)"),
        ("pyworker", "pywebworker PyWorker (Python -> Python)"),
        ("jsworker", "pywebworker JsWorker (Python -> JS)"),
        ("pyworker_to_host", "pywebworker PyWorker -> host (Python -> Python)"),
        ("pyworker_sync_to_host", "pywebworker PyWorker -> host, parent.sync (blocking)"),
    ],
    "chromium": [
        ("comlink", "comlink (JS -> JS)"),
        ("pyscript", "PyScript named-worker exports (Python -> Python)"),
        ("pyworker", "pywebworker PyWorker (Python -> Python)"),
        ("jsworker", "pywebworker JsWorker (Python -> JS)"),
        ("pyworker_to_host", "pywebworker PyWorker -> host (Python -> Python)"),
        ("pyscript_sync_to_host", "PyScript worker -> main, pyscript.sync (blocking)"),
        ("pyworker_sync_to_host", "pywebworker PyWorker -> host, parent.sync (blocking)"),
    ],
}


def run_node(version: str, args: list[int]) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(HERE / "run.mjs"), *map(str, args)],
        cwd=ROOT, env={**os.environ, "PYWW_PYODIDE": version},
        stdout=subprocess.PIPE, text=True, check=True, timeout=600,
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return out


def table(host: str, res: dict[str, Any]) -> str:
    base = "pyscript" if "pyscript" in res else "comlink"
    lines = [
        f"| {host} | median µs | p99 µs | mean µs | calls/s "
        f"| latency ÷ {base} | calls/s ÷ {base} | calls/s ÷ comlink |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    b, c = res[base], res["comlink"]
    for key, label in ROWS[host]:
        r = res.get(key)
        if not r:
            continue
        tput = r.get("calls_per_s")
        cells = [
            f"{r['latency_us']:.0f}",
            f"{r['p99_us']:.0f}" if "p99_us" in r else "",
            f"{r['mean_us']:.0f}" if "mean_us" in r else "",
            f"{tput:,.0f}" if tput else "", f"{r['latency_us'] / b['latency_us']:.2f}",
            f"{tput / b['calls_per_s']:.2f}" if tput else "", f"{tput / c['calls_per_s']:.2f}" if tput else "",
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyodide", default=os.environ.get("PYWW_PYODIDE", "314.0.7"))
    ap.add_argument("--hosts", default="node,chromium")
    ap.add_argument("args", nargs="*", type=int, help="seq burst rounds")
    a = ap.parse_args()
    seq, burst, rounds = (a.args + [1000, 5000, 5][len(a.args):])[:3]
    out: dict[str, Any] = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "pyodide": a.pyodide, "seq": seq, "burst": burst, "rounds": rounds,
        "command": " ".join(["python", "bench/calls/run.py", *sys.argv[1:]]),
    }
    hosts = a.hosts.split(",")
    if "node" in hosts:
        out["node"] = run_node(a.pyodide, [seq, burst, rounds])
    if "chromium" in hosts:
        out["chromium"] = chromium.run(a.pyodide, {"seq": seq, "burst": burst, "rounds": rounds})
    print(f"\n{out['date']}, {out['machine']}; Pyodide {a.pyodide}; {seq} sequential calls x {rounds} "
          f"(each timed), {burst} calls at once (median of {rounds})")
    for host in ("node", "chromium"):
        if host in out:
            name = out[host].get("browser") or f"Node {out[host].get('node', '')}"
            print(f"\n{name}\n{table(host, out[host])}")
    dest = ROOT / "build" / "bench" / "calls.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1))
    print(f"\nwrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
