#!/usr/bin/env python3
"""Soak test in headless Chromium (``make soak``; not part of ``make test``).

    python bench/soak.py [--messages 1000000] [--workers 100] [--pyodide 314.0.7]

Runs bench/soak_pww.py on bench/soak.html with ``--enable-precise-memory-info`` (exact
``performance.memory``) and ``--expose-gc``; prints the memory samples, writes
``build/bench/soak.json``, and exits non-zero if an echo was lost, reordered or
duplicated, or if workers or proxies were left behind.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402


def mib(n: int | None) -> str:
    return "–" if n is None else f"{n / 2**20:.1f} MiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--every", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=100)
    ap.add_argument("--pyodide", default="314.0.7")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    config = {"messages": args.messages, "batch": args.batch, "every": args.every, "workers": args.workers}
    flags = ("--enable-precise-memory-info", "--js-flags=--expose-gc")
    with serve() as base, chromium(flags) as driver:
        driver.get(f"{base}/bench/soak.html?pyodide={args.pyodide}&config={quote(json.dumps(config))}")
        shown, deadline, result = 0, time.monotonic() + args.timeout, None
        while time.monotonic() < deadline and result is None:
            lines = driver.execute_script("return window.__soakLog || []")
            for line in lines[shown:]:
                print(f"[chromium] {line}", flush=True)
            shown = len(lines)
            result = driver.execute_script("return window.__soak || null")
            time.sleep(1)
        browser = driver.capabilities.get("browserVersion")
    if result is None:
        print(f"soak: did not finish in {args.timeout} s")
        return 1
    res = json.loads(result)
    if "error" in res:
        print(f"soak failed: {res['error']}")
        return 1
    res["browser"] = browser
    out = ROOT / "build" / "bench" / "soak.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))

    m, c = res["million"], res["churn"]
    print(f"\nChromium {browser}, Pyodide {res['pyodide']}, pywebworker {res['pywebworker']}")
    print(f"{m['messages']:,} messages in {m['seconds']} s ({m['msg_per_s']:,} msg/s); "
          f"{m['echoes_checked']:,} echoes checked in order, {m['extra_after_end']} extra; "
          f"{m['released_by_clear_read']:,} released by clear_read()")
    print("| messages | s | core wasm memory | Pyodide wasm memory | JS heap used | JS heap total |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in m["samples"]:
        print(f"| {s['messages']:,} | {s['seconds']} | {mib(s['core_wasm_bytes'])} | {mib(s['pyodide_wasm_bytes'])} "
              f"| {mib(s['js_heap_used_bytes'])} | {mib(s['js_heap_total_bytes'])} |")
    print(f"\n{c['workers']} workers created and killed in {c['seconds']} s: registry {c['registry_before']} -> "
          f"{c['registry_after']}, live JS workers {c['live_js_workers_after']}, "
          f"PyProxies left {c['pyproxies_left']}, JS refs held by Python delta {c['js_refs_delta']}")
    print(f"wrote {out}")
    ok = (m["echoes_checked"] == m["messages"] and m["extra_after_end"] == 0
          and c["registry_after"] == 0 and c["live_js_workers_after"] == 0 and c["pyproxies_left"] == 0)
    print("soak:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
