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
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402  (the demo page's server)


def run(
    version: str,
    config: dict[str, Any],
    timeout: float = 600,
    *,
    page: str = "bench/calls/chromium.html",
    result: str = "__benchCalls",
    on_poll: Callable[[Any], None] | None = None,
    interval: float = 1.0,
) -> dict[str, Any]:
    """Load ``page`` (a path under the repository) with ``?pyodide=&config=``, print its
    ``window.__benchLog`` lines and return the JSON text it leaves in ``window[result]``.
    ``on_poll(driver)`` runs every ``interval`` seconds while waiting (bench/pool answers
    the page's memory probes there)."""
    # Cross-origin isolated: 5 µs timers, and PyScript's worker sync path.
    with serve(isolated=True) as base, chromium(logging=True) as driver:
        driver.get(f"{base}/{page}?pyodide={version}&config={quote(json.dumps(config))}")
        shown, deadline = 0, time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if on_poll is not None:
                    on_poll(driver)
                lines = driver.execute_script("return window.__benchLog || []")
                for line in lines[shown:]:
                    print(f"[chromium] {line}", file=sys.stderr, flush=True)
                shown = len(lines)
                text = driver.execute_script(f"return window.{result} || null")
                if text:
                    out: dict[str, Any] = json.loads(text)
                    if "error" in out:
                        raise RuntimeError(f"browser benchmark failed:\n{out['error']}")
                    out["browser"] = f"Chromium {driver.capabilities.get('browserVersion')}"
                    out["offsite_requests"] = driver.execute_script(
                        "return performance.getEntriesByType('resource').map(e => e.name)"
                        ".filter(u => !u.startsWith(location.origin))")
                    return out
                time.sleep(interval)
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
