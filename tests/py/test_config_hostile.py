"""config= used in hostile ways, in real Pyodide: destinations the file system refuses
(a directory, a working directory that is a file), destinations over pywebworker's own
files, a pool whose config's files fail, and a named worker killed while its files are
still being fetched. One boot per worker, all started at once.

The files come from a small threaded server of this module: besides plain files it has
``/slow``, which answers only when the test ends (a fetch that hangs), with CORS for
Chromium's workers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_pyodide import run_in_pyodide


@pytest.fixture(scope="module")
def files_url() -> Iterator[str]:
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/slow":
                release.wait(600)  # the test's teardown releases it
            found = self.path in ("/hello.txt", "/slow", "/bad.zip")  # bad.zip: not a zip
            body = b"hello" if found else b"missing"
            self.send_response(200 if found else 404)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@run_in_pyodide
async def _hostile(selenium, base):
    import asyncio

    import pytest

    from pywebworker import PyWorker, WorkerKilledError, WorkerPool, WorkerStartError, WorkerStateError, workers

    hello = f"{base}/hello.txt"
    script = "from pywebworker import parent\nparent.send_message('ran')"
    cases = [  # config, words of the OSError's message (never "[object Object]")
        ({"files": {hello: "."}}, [hello, "to /home/pyodide:", "[Errno", "Is a directory"]),
        ({"cwd": "/lib/pywebworker-host/pywebworker/__init__.py"},
         ["cannot make /lib/pywebworker-host/pywebworker/__init__.py the working directory", "Not a directory"]),
        ({"cwd": "/lib", "files": {hello: "pywebworker-host/"}}, ["/lib/pywebworker-host/hello.txt", "own files"]),
        ({"files": {f"{base}/x.zip": "../../lib/pywebworker-host/*"}}, ["/lib/pywebworker-host", "own files"]),
        ({"files": {f"{base}/bad.zip": "d/*"}}, [f"cannot unpack {base}/bad.zip into /home/pyodide/d:", "zip"]),
        # A file that fails fails the start at once, though another one hangs.
        ({"files": {f"{base}/slow": "slow.txt", f"{base}/gone.txt": "gone.txt"}}, [f"{base}/gone.txt", "HTTP 404"]),
    ]
    started = [PyWorker(script, config=config).start() for config, _ in cases]
    # A pool whose config's files fail: ready() says why, once; no worker is retried.
    pool = WorkerPool(2, config={"files": {f"{base}/missing.txt": "./"}})
    # A named worker whose file never comes: ready(timeout) times out and leaves it
    # starting; lookups wait; kill() ends them all and frees the name at once.
    slow = PyWorker(script, name="slow", config={"files": {f"{base}/slow": "slow.txt"}}).start()

    for w, (config, words) in zip(started, cases, strict=True):
        with pytest.raises(WorkerStartError) as info:
            try:
                await w.ready(timeout=120)  # a slow machine boots 8 Pyodides at once
            except TimeoutError:
                raise AssertionError(f"{config}: still not failed after 120 s") from None
        e = info.value
        assert e.remote_type == "OSError", (config, e.remote_type, e.remote_message)
        for word in words:
            assert word in e.remote_message, (config, word, e.remote_message)
        assert [m.kind for m in w.get_unread_messages()] == ["error"]  # the script never ran

    with pytest.raises(WorkerStartError, match=r"missing\.txt: HTTP 404"):
        await pool.ready(timeout=120)
    with pytest.raises(WorkerStateError, match=r"could not start its workers: OSError: .*missing\.txt: HTTP 404"):
        pool.submit(len, "abc")  # the first failure, not the kill of the other worker that followed
    assert pool.replaced == 0 and {w.state for w in pool.workers} <= {"failed", "killed"}, pool.workers

    with pytest.raises(TimeoutError):
        await slow.ready(timeout=0.5)
    assert "slow" in workers  # started (its thread runs), not ready
    lookups = [asyncio.ensure_future(workers.get("slow")) for _ in range(10)]
    await asyncio.sleep(0)
    slow.kill()
    got = await asyncio.gather(*lookups, return_exceptions=True)
    assert {type(e) for e in got} == {WorkerKilledError}, got
    assert "slow" not in workers and workers._waiting == {}  # noqa: SLF001
    again = PyWorker(script, name="slow")  # the name is free at once
    again.start()
    again.kill()


def test_hostile_configs_fail_clearly(selenium_pyww, files_url):
    _hostile(selenium_pyww, files_url)
