"""Tiny PEP 503 / PEP 691 "simple" package index over a directory of wheels.

    python tools/local_index.py dist/ [--port 8765]       # standalone
    with serve_index("dist") as url: ...                  # in-process (tests)

`url` is the index base, e.g. http://127.0.0.1:PORT/simple, to be used as
`micropip.install("pywebworker", index_urls=[url])`.

Why not a static dir / pypiserver: micropip 0.11 sends
`Accept: application/vnd.pypi.simple.v1+json, */*;q=0.01` to <index>/<name>/
and picks its parser from the response Content-Type, so content negotiation
is easiest done dynamically; and browsers (chrome runtime) need
`Access-Control-Allow-Origin: *` on every response since the page is served
from pytest-pyodide's server on another port.  The listing is computed per
request, so wheels dropped into the directory later are visible at once.
Only wheels are listed (micropip cannot install sdists).  No PEP 658
`.metadata` is advertised, so micropip reads metadata from the wheel itself.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import html
import json
import re
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

JSON_CT = "application/vnd.pypi.simple.v1+json"


def normalize(name: str) -> str:  # PEP 503
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=256)
def _sha256(path: str, mtime: float, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _projects(root: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for whl in sorted(root.glob("*.whl")):
        out.setdefault(normalize(whl.name.split("-")[0]), []).append(whl)
    return out


def make_handler(root: Path):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # keep pytest output clean
            pass

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_OPTIONS(self):  # CORS preflight, in case a test adds headers
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "*")
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            self.end_headers()

        def do_GET(self):
            path = unquote(self.path.split("?")[0])
            want_json = JSON_CT in self.headers.get("Accept", "")
            projects = _projects(root)
            parts = [p for p in path.split("/") if p]
            if parts == ["simple"]:
                if want_json:
                    body = {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in projects]}
                    return self._send(200, json.dumps(body).encode(), JSON_CT)
                links = "".join(f'<a href="{n}/">{n}</a>\n' for n in projects)
                return self._send(200, f"<!DOCTYPE html><html><body>\n{links}</body></html>".encode(), "text/html")
            if len(parts) == 2 and parts[0] == "simple":
                name = normalize(parts[1])
                if name not in projects:
                    return self._send(404, b"not found", "text/plain")
                # Absolute URLs: micropip 0.11 resolves relative file URLs only
                # for the HTML API, not for PEP 691 JSON.
                base = f"http://{self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]}"
                files = []
                for whl in projects[name]:
                    st = whl.stat()
                    files.append({"filename": whl.name, "url": f"{base}/files/{whl.name}",
                                  "hashes": {"sha256": _sha256(str(whl), st.st_mtime, st.st_size)}})
                if want_json:
                    body = {"meta": {"api-version": "1.0"}, "name": name, "files": files}
                    return self._send(200, json.dumps(body).encode(), JSON_CT)
                links = "".join(
                    f'<a href="{html.escape(f["url"])}#sha256={f["hashes"]["sha256"]}">{html.escape(f["filename"])}</a>\n'
                    for f in files)
                return self._send(200, f"<!DOCTYPE html><html><body>\n{links}</body></html>".encode(), "text/html")
            if len(parts) == 2 and parts[0] == "files" and "/" not in parts[1]:
                f = root / parts[1]
                if f.is_file():
                    return self._send(200, f.read_bytes(), "application/octet-stream")
            return self._send(404, b"not found", "text/plain")

        do_HEAD = do_GET

    return Handler


@contextlib.contextmanager
def serve_index(wheel_dir, host: str = "127.0.0.1", port: int = 0):
    """Serve `wheel_dir` in a daemon thread; yields the index URL (…/simple)."""
    root = Path(wheel_dir).resolve()
    srv = ThreadingHTTPServer((host, port), make_handler(root))
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://{host}:{srv.server_address[1]}/simple"
    finally:
        srv.shutdown()
        srv.server_close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel_dir")
    ap.add_argument("--port", type=int, default=8765)
    a = ap.parse_args()
    with serve_index(a.wheel_dir, port=a.port) as url:
        print(f"serving {a.wheel_dir} at {url}  (Ctrl-C to stop)")
        threading.Event().wait()
