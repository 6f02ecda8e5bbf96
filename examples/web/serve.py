#!/usr/bin/env python3
"""Serve the repository for the demo page, the browser benchmark and the soak test.

    python examples/web/serve.py [--port 8000] [--isolated]   # or: make serve

Then open http://127.0.0.1:8000/examples/web/ (a PyWorker keeps the page alive) or
http://127.0.0.1:8000/examples/web/backend.html (page JavaScript calls Python, as
PyQWebWindow's examples). Everything is local and offline:

* ``/node_modules/pyodide/`` is Pyodide from the npm package (``npm ci``);
  ``/build/pyodide/<version>/`` the dist dirs of ``tools/make_dist.py``.
* ``/pywebworker.whl`` is the newest ``dist/pywebworker-*.whl`` (``make wheel``):
  the pages install it with ``pyodide.unpackArchive(bytes, "wheel")``, so no
  package index and no micropip are needed.

``--isolated`` adds the COOP/COEP headers that make the page cross-origin isolated.
pywebworker does not need them; the benchmark uses them only because
``performance.now()`` then has 5 µs resolution instead of 100 µs, which per
round-trip latencies need.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def newest_wheel(root: Path = ROOT) -> Path:
    wheels = sorted((root / "dist").glob("pywebworker-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise FileNotFoundError("no dist/pywebworker-*.whl: run `make wheel` first")
    return wheels[-1]


class Handler(SimpleHTTPRequestHandler):
    isolated = False
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".py": "text/plain; charset=utf-8",
        ".whl": "application/zip",
    }

    def translate_path(self, path: str) -> str:
        if path.split("?", 1)[0] == "/pywebworker.whl":
            return str(newest_wheel(Path(self.directory)))
        return super().translate_path(path)

    def end_headers(self) -> None:
        # Always fresh: the wheel and the page change while a server runs.
        self.send_header("Cache-Control", "no-store")
        if self.isolated:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass


# Why the standard library's server and not pytest-pyodide's spawn_web_server (which
# serves the tests' package index): `make serve` needs a fixed port, and that one listens
# on every interface on a random port (the whole repository on the network) and answers
# one request at a time, while a page fetches Pyodide's files in parallel.
@contextlib.contextmanager
def serve(port: int = 0, *, isolated: bool = False, root: Path = ROOT) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 in a background thread; yields the base URL
    (``http://127.0.0.1:PORT``). ``port=0`` picks a free port."""
    handler = type("PwwHandler", (Handler,), {"isolated": isolated})
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--isolated", action="store_true", help="send COOP/COEP headers")
    args = ap.parse_args()
    newest_wheel()
    with serve(args.port, isolated=args.isolated) as url:
        print(f"demo page:  {url}/examples/web/")
        print(f"page JavaScript calls Python:  {url}/examples/web/backend.html")
        print(f"benchmark:  {url}/bench/index.html  (make bench drives it headless)")
        print("Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
