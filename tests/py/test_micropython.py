"""MicroPython workers: PyWorker(..., interpreter="micropython") (js/mpyworker.js and
pywebworker/micropython/pywebworker.py). A MicroPython worker boots in tens of
milliseconds, so each test may start several."""

from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide
from pytest_pyodide.server import spawn_web_server

MPY_NPM = Path(__file__).resolve().parents[2] / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"

ECHO_MPY = '''
import sys
from pywebworker import parent

def add(a, b):
    return a + b

async def twice(x):
    return await parent.host.double(x) * 2

def echo(*args):
    return list(args)

def fail(text):
    raise ValueError("bad: " + text)

def info():
    return [sys.implementation.name, parent.has_unread_messages()]

def unsendable(which):
    return [{1: "int key"}, float("nan"), 10**4400, {"\\x00b": 0}][which]

def on_message(m):
    v = m.read()
    if v == "raise":
        raise RuntimeError("handler failed on purpose")
    parent.send_message(["echo", v] if not isinstance(v, (str, bytes)) else v)

__export__ = ["add", "twice", "echo", "fail", "info", "unsendable"]
parent.on_message = on_message
print("mpy up")
'''


@pytest.fixture(scope="module")
def mpy_index(runtime):
    """The directory of micropython.mjs as a worker's index_url: a path in Node, a URL
    of pytest-pyodide's (CORS-enabled) web server in a browser."""
    if runtime == "node":
        yield str(MPY_NPM)
        return
    with spawn_web_server(MPY_NPM) as (host, port, _log):
        yield f"http://{host}:{port}/"


@run_in_pyodide
async def test_micropython_worker(selenium_pyww, echo_mpy):
    # Messages both ways (text, bytes, JSON), get_unread_messages, on_message, calls both
    # ways and a call that raises, on one worker.
    import asyncio

    import pytest

    from pywebworker import PyWorker, RemoteError

    w = PyWorker(echo_mpy, interpreter="micropython", name="echo")
    w.expose(lambda x: x * 2, name="double")
    w.start()
    await w.ready(timeout=30)
    assert [s for s, _ in w.stages] == ["loading", "script"]
    assert "MicroPython worker <b>echo</b>" in w._repr_html_()
    assert await w.exports.info() == ["micropython", False]
    assert sorted(dir(w.exports)) == ["add", "echo", "fail", "info", "twice", "unsendable"]

    # Calls both ways, bytes and big ints exact (MicroPython's ints are unbounded).
    assert await w.exports.add(2, 3) == 5
    assert await w.exports.twice(21) == 84
    got = await w.exports.echo(b"\x00\xff", {"n": 2**70, "l": [1.5, None, True, "ü✓"], "b": [b"ab"]})
    assert got == [b"\x00\xff", {"n": 2**70, "l": [1.5, None, True, "ü✓"], "b": [b"ab"]}]
    results = await asyncio.gather(*(w.exports.add(i, i) for i in range(200)))
    assert results == [2 * i for i in range(200)]

    # A call that raises: RemoteError with MicroPython's traceback, the script's lines.
    with pytest.raises(RemoteError) as info:
        await w.exports.fail("x")
    e = info.value
    assert e.remote_type == "ValueError" and e.remote_message == "bad: x"
    assert 'File "/worker/echo.py", line ' in e.remote_traceback and "in fail" in e.remote_traceback

    # The payload rules hold in MicroPython too: what the host could not read is refused there.
    for which, why in enumerate(["keys must be str", "JSON has no such number", "digits", "marker of bytes"]):
        with pytest.raises(RemoteError) as info:
            await w.exports.unsendable(which)
        assert info.value.remote_type == "PayloadError" and why in info.value.remote_message

    # Echo of text, bytes and JSON through on_message, in order.
    sent = ["hi", b"\x01\x02", {"a": [1, 2**64 + 1, 1.0]}, [None, "x"]]
    for v in sent:
        w.send_message(v)
    got = [(await w.receive(timeout=10)).read() for _ in sent]
    assert got == ["hi", b"\x01\x02", ["echo", {"a": [1, 2**64 + 1, 1.0]}], ["echo", [None, "x"]]]

    # A handler that raises: the host reads an error message; delivery goes on.
    w.send_message("raise")
    w.send_message("after")
    with pytest.raises(RemoteError) as info:
        await w.receive(timeout=10)
    assert info.value.remote_type == "RuntimeError" and "handler failed on purpose" in info.value.remote_message
    assert 'File "/worker/echo.py", line ' in info.value.remote_traceback
    assert (await w.receive(timeout=10)).read() == "after"
    w.kill()


@run_in_pyodide
async def test_micropython_unread_start_errors_and_kill(selenium_pyww, mpy_index):
    import asyncio

    import pytest
    from pyodide_waits import wait_until

    from pywebworker import PyWorker, WorkerKilledError, WorkerStartError

    # Messages sent before start wait in the worker's queue; get_unread_messages sees
    # them without marking them; receive() then marks them in order.
    script = '''
import asyncio
from pywebworker import parent

async def hang():
    await asyncio.sleep(600)

__export__ = ["hang"]
first = [[m.index, m.kind] for m in parent.get_unread_messages()]
again = len(parent.get_unread_messages())
m = await parent.receive()
parent.send_message({"first": first, "again": again, "got": m.read(), "left": parent.has_unread_messages()})
async for m in parent:
    parent.send_message(m.read())
'''
    w = PyWorker(script, interpreter="micropython")
    w.send_message("one")
    w.send_message(b"two")
    w.send_message({"three": 3})
    w.start()
    report = (await w.receive(timeout=30)).read()
    assert report == {"first": [[0, "text"], [1, "bytes"], [2, "json"]], "again": 3, "got": "one", "left": True}
    assert [(await w.receive(timeout=10)).read() for _ in range(2)] == [b"two", {"three": 3}]

    # kill: the worker stops; a pending call is rejected, not left hanging.
    pending = asyncio.ensure_future(w.exports.hang())
    await wait_until(lambda: w.pending_calls == 1, what="the call to be pending")
    w.kill()
    assert w.state == "killed"
    with pytest.raises(WorkerKilledError):
        await asyncio.wait_for(pending, 10)

    # A script that raises at its top level: WorkerStartError with the traceback.
    bad = PyWorker("x = 1\ndef f():\n    raise KeyError('nope')\nf()\n", interpreter="micropython", name="bad").start()
    with pytest.raises(WorkerStartError) as info:
        await bad.ready(timeout=30)
    assert info.value.remote_type == "KeyError"
    assert 'File "/worker/bad.py", line 4' in info.value.remote_traceback

    # What MicroPython cannot do is refused at construction.
    with pytest.raises(ValueError, match="MicroPython workers cannot install packages: numpy"):
        PyWorker("pass", interpreter="micropython", packages=["numpy"])
    with pytest.raises(ValueError, match="interpreter must be"):
        PyWorker("pass", interpreter="cpython")

    # index_url: MicroPython from another place (the npm package's directory) ...
    other = PyWorker("from pywebworker import parent\nparent.send_message('from index_url')",
                     interpreter="micropython", index_url=mpy_index).start()
    assert (await other.receive(timeout=30)).read() == "from index_url"
    # ... and from a directory without it: the start fails, naming the file.
    missing = PyWorker("pass", interpreter="micropython", index_url=mpy_index.rstrip("/") + "/nowhere/").start()
    with pytest.raises(WorkerStartError) as info:
        await missing.ready(timeout=30)
    assert "micropython" in str(info.value)

    # config: files (into cwd), cwd and argv, as in a Pyodide PyWorker.
    conf = PyWorker(
        "import os, sys\nfrom pywebworker import parent\n"
        "parent.send_message([os.getcwd(), sys.argv, open('data/a.txt').read()])",
        interpreter="micropython",
        config={"files": {"data:text/plain,hello": "./data/a.txt"}, "cwd": "/work", "argv": ["job", "-v"]},
    ).start()
    assert (await conf.receive(timeout=30)).read() == ["/work", ["job", "-v"], "hello"]
    # A file that cannot be fetched fails the start, naming it.
    missing_file = {mpy_index.rstrip("/") + "/no.txt": "./"}
    nofile = PyWorker("pass", interpreter="micropython", config={"files": missing_file}).start()
    with pytest.raises(WorkerStartError) as info:
        await nofile.ready(timeout=30)
    assert info.value.remote_type == "OSError" and "no.txt" in str(info.value)
    # What MicroPython cannot take of a config is refused at construction.
    for config, match in [
        ({"packages": ["numpy"]}, "cannot install packages: numpy"),
        ({"env": {"A": "1"}}, "os.environ"),
        ({"files": {"data:,x": "./d/*"}}, "archive"),
        ({"interpreter": "314.0.7"}, "Pyodide"),
        ("./worker.json", "config URL"),
    ]:
        with pytest.raises(ValueError, match=match):
            PyWorker("pass", interpreter="micropython", config=config)


@run_in_pyodide
async def test_micropython_large_values(selenium_pyww):
    # Large values travel in linear time, both ways, up to what MicroPython's memory
    # holds (issue 23): an 8 MiB str returned, passed as an argument and sent as text and
    # as JSON (MicroPython's json is quadratic in a str's length: a returned 8 MiB str
    # never came back; nothing after 110 s), bytes of 32 MiB both ways (MemoryError:
    # MicroPython could make no value of 16 MiB or more), and past the memory a
    # MemoryError at once, naming the bound.
    import asyncio
    import time

    import pytest

    from pywebworker import PyWorker, RemoteError

    script = """
from pywebworker import parent

def text(n, tail):
    return "x" * n + tail

def data(n):
    return {"a": ["y" * n, 1, "\\ud800" + "z" * n], "b": b"b" * n}

def size(s):
    return [len(s), s[:3], s[-3:]]

def blob(n):
    return b"\\x07" * n

def send(n):
    parent.send_message("m" * n)
    parent.send_message(["j" * n])

__export__ = ["text", "data", "size", "blob", "send"]
"""
    w = PyWorker(script, interpreter="micropython").start()
    await w.ready(timeout=30)
    n = 8 << 20
    tail = '"\\\n\x00\u2028é✓\U0001f600'
    begin = time.monotonic()
    assert await asyncio.wait_for(w.exports.text(n, tail), 20) == "x" * n + tail
    got = await asyncio.wait_for(w.exports.data(n // 8), 20)
    assert got == {"a": ["y" * (n // 8), 1, "\ud800" + "z" * (n // 8)], "b": b"b" * (n // 8)}
    assert await asyncio.wait_for(w.exports.size("q" * n + "é"), 20) == [n + 1, "qqq", "qqé"]
    await asyncio.wait_for(w.exports.send(n), 20)
    assert (await w.receive(timeout=20)).read() == "m" * n
    assert (await w.receive(timeout=20)).read() == ["j" * n]
    took = time.monotonic() - begin
    assert took < 20, f"8 MiB values took {took:.1f} s"

    w.kill()

    # Bytes of 32 MiB: twice the heap a worker starts with; and coming in (read an
    # element at a time through MicroPython's FFI, they took 15 s). A fresh worker: its
    # memory is not compacted, so what fits after other large values depends on where
    # the small objects made meanwhile landed.
    w = PyWorker(script, interpreter="micropython").start()
    await w.ready(timeout=30)
    assert await asyncio.wait_for(w.exports.blob(32 << 20), 20) == b"\x07" * (32 << 20)
    begin = time.monotonic()
    got = await asyncio.wait_for(w.exports.size(b"\x07" * (32 << 20)), 20)
    assert got == [32 << 20, b"\x07" * 3, b"\x07" * 3]
    took = time.monotonic() - begin
    assert took < 5, f"32 MiB of bytes in took {took:.1f} s"

    # 124 MiB: past what the memory holds (123 MiB returns: README). MemoryError at once,
    # naming the bound; the worker goes on.
    begin = time.monotonic()
    with pytest.raises(RemoteError) as info:
        await asyncio.wait_for(w.exports.blob(124 << 20), 20)
    took = time.monotonic() - begin
    assert took < 10, f"the MemoryError took {took:.1f} s"
    e = info.value
    assert e.remote_type == "MemoryError", e
    assert "about 123 MiB of Python data" in e.remote_message and "bounded at 256 MiB" in e.remote_message
    assert await w.exports.size("ok") == [2, "ok", "ok"]
    w.kill()


def pytest_generate_tests(metafunc):
    if "echo_mpy" in metafunc.fixturenames:
        metafunc.parametrize("echo_mpy", [ECHO_MPY], ids=["echo"])
