#!/usr/bin/env python3
"""Run chromium.html in headless Chromium: comlink, PyScript named-worker exports and
pywebworker calls, measured in one page (``make bench-calls``).

    python bench/calls/chromium.py [--pyodide 314.0.7] [seq burst rounds]

Serves the repository on 127.0.0.1 with COOP/COEP (cross-origin isolated: 5 µs
``performance.now()``, and PyScript's worker sync path), ``/pywebworker.whl`` = the
newest ``dist/`` wheel. Prints progress lines; the result JSON is the last stdout line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402  (the demo page's server)


def run(version: str, config: dict[str, int], timeout: float = 600) -> dict[str, Any]:
    # Cross-origin isolated: 5 µs timers, and PyScript's worker sync path.
    with serve(isolated=True) as base, chromium(logging=True) as driver:
        driver.get(f"{base}/bench/calls/chromium.html?pyodide={version}&config={quote(json.dumps(config))}")
        shown, deadline = 0, time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                lines = driver.execute_script("return window.__benchLog || []")
                for line in lines[shown:]:
                    print(f"[chromium] {line}", file=sys.stderr, flush=True)
                shown = len(lines)
                result = driver.execute_script("return window.__benchCalls || null")
                if result:
                    out = json.loads(result)
                    if "error" in out:
                        raise RuntimeError(f"browser benchmark failed:\n{out['error']}")
                    out["browser"] = f"Chromium {driver.capabilities.get('browserVersion')}"
                    out["offsite_requests"] = driver.execute_script(
                        "return performance.getEntriesByType('resource').map(e => e.name)"
                        ".filter(u => !u.startsWith(location.origin))")
                    return out
                time.sleep(1)
            raise TimeoutError(f"browser benchmark did not finish in {timeout} s")
        finally:
            for entry in driver.get_log("browser"):
                if entry.get("level") in ("SEVERE", "WARNING"):
                    print(f"[console] {entry['level']}: {entry['message'][:400]}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyodide", default="314.0.7")
    ap.add_argument("args", nargs="*", type=int, help="seq burst rounds")
    a = ap.parse_args()
    seq, burst, rounds = (a.args + [1000, 5000, 5][len(a.args):])[:3]
    out = run(a.pyodide, {"seq": seq, "burst": burst, "rounds": rounds})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
