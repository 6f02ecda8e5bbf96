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
import contextlib
import functools
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]


def newest_wheel() -> Path:
    wheels = sorted((ROOT / "dist").glob("pywebworker-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit("no dist/pywebworker-*.whl: run `make wheel` first")
    return wheels[-1]


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
        ".py": "text/plain; charset=utf-8", ".whl": "application/zip",
    }
    requested: list[str] = []

    def translate_path(self, path: str) -> str:
        self.requested.append(path)
        if path.split("?", 1)[0] == "/pywebworker.whl":
            return str(newest_wheel())
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if args and str(args[1]) >= "400":
            print(f"[server] {args[0]} -> {args[1]}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def serve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def run(version: str, config: dict[str, int], timeout: float = 600) -> dict[str, Any]:
    with serve() as base, chromium() as driver:
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
