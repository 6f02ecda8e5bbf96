"""MicroPython workers under hostile input (js/mpyworker.js and
pywebworker/micropython/pywebworker.py): text holding NUL both ways, nesting up to the
payload rules' 512 levels, a script that allocates without end, a top-level
`async for`, a script that never yields. Each defect found has its case here."""

from pytest_pyodide import run_in_pyodide

ECHO_MPY = '''
from pywebworker import parent

def echo(*args):
    return list(args)

async def call_host(name, *args):
    return await parent.call(name, *args)

def send_text(t):
    parent.send_message(t)

def pair():
    return "\\ud83d" + "\\ude00"

def long_pair(n):
    return "a" * n + "\\ud83d" + "\\ude00"

def handler(m):
    v = m.read()
    if isinstance(v, str) and v.startswith("raise:"):
        raise ValueError(v)
    if isinstance(v, (str, bytes)):
        parent.send_message(v)
    else:
        parent.send_message(["json", v, len(v[0]) if isinstance(v[0], str) else 0])

__export__ = ["echo", "call_host", "send_text", "pair", "long_pair"]
parent.on_message = handler
'''


@run_in_pyodide
async def test_micropython_payloads_hostile(selenium_pyww, echo_mpy):

    import pytest

    from pywebworker import PyWorker, RemoteError

    w = PyWorker(echo_mpy, interpreter="micropython")
    w.expose(lambda *a: list(a), name="a\x00b")
    w.expose(lambda *a: "wrong function", name="a")
    w.start()
    await w.ready(timeout=30)

    # Text holding NUL (and U+FEFF, U+2028, astral) arrives whole both ways: as a
    # message, in JSON, as an error message's text, and as the name of a host function
    # (MicroPython's FFI ends a str at NUL: "a\x00b" used to arrive as "a", and a call
    # to "a\x00b" called "a").
    texts = ["a\x00b", "\x00", "\ufeffx\x00\u2028\U0001f600", "x" * 70000 + "\x00" + "y"]
    for t in texts:
        w.send_message(t)
        assert (await w.receive(timeout=10)).read() == t
        w.send_message([t])
        assert (await w.receive(timeout=10)).read() == ["json", [t], len(t)]
        assert await w.exports.echo(t) == [t]
    assert await w.exports.call_host("a\x00b", 1) == [1]
    w.send_message("raise:\x00after")
    with pytest.raises(RemoteError) as info:
        await w.receive(timeout=10)
    assert info.value.remote_message == "raise:\x00after"

    # Surrogates: kept exact inside JSON (MicroPython's json writes their UTF-8-like
    # bytes, which JavaScript read as U+FFFD), refused as text, a pair refused in JSON,
    # as the host's payload rules do.
    lone = ["x" * 20 + "\ud800", "\udfff\ud7ff\ue000", {"\udc00": "\U0001f600"}]
    assert await w.exports.echo(lone) == [lone]
    w.send_message(lone)
    assert (await w.receive(timeout=10)).read() == ["json", lone, 21]
    # A character past U+FFFF is one character inside (CPython's json writes it as two
    # escapes, which MicroPython's json read as two surrogates).
    w.send_message(["\U0001f600x"])
    assert (await w.receive(timeout=10)).read() == ["json", ["\U0001f600x"], 2]
    with pytest.raises(RemoteError) as info:
        await w.exports.send_text("ab\u00e9\ud801")
    assert info.value.remote_type == "PayloadError" and "U+D801 at position 3" in info.value.remote_message
    with pytest.raises(RemoteError) as info:
        await w.exports.pair()
    assert info.value.remote_type == "PayloadError" and "U+D83D" in info.value.remote_message

    # Nesting up to the payload rules' 512 levels both ways (MicroPython's Python stack
    # used to overflow at ~100: "RuntimeError: pystack exhausted").
    for depth in (100, 511):
        v = "leaf"
        for _ in range(depth):
            v = [v]
        assert await w.exports.echo(v) == [v]
        w.send_message(v)
        got = (await w.receive(timeout=10)).read()
        assert got[0] == "json" and got[1] == v
    w.kill()


@run_in_pyodide
async def test_micropython_long_text_hostile(selenium_pyww, echo_mpy):
    # Long strings (4096 characters and more) cross as JSON by another path than short
    # ones: JavaScript escapes them (going out) and cuts them out of the JSON text
    # (coming in), MicroPython's json being quadratic in a str's length. The same rules
    # and the same exactness: quotes, backslashes, controls, NUL, U+2028, astral
    # characters, lone surrogates anywhere (written as escapes; a pair refused), long
    # keys, a str that looks like the path's own markers, both ways and as messages.
    import pytest

    from pywebworker import PyWorker, RemoteError

    w = PyWorker(echo_mpy, interpreter="micropython")
    w.expose(lambda *a: list(a), name="back")
    w.start()
    await w.ready(timeout=30)
    n = 70000
    mixed = ('"\\\n\t\x00\x01\x1f\x7f\u2028é✓\U0001f600' * 1000)[:n]
    values = [
        "x" * n,
        mixed,
        "\ud800" + "a" * n,
        "a" * n + "\udfff",
        "a" * n + "\udc00\ud800" + "b" * 10,  # a low then a high: not a pair
        "\ud7ff\ue000" * 3000 + "\udbff" * 3000,  # the neighbours of the surrogates
        "한" * n,  # its UTF-8 starts with ED, as a surrogate's does
        {"k" * n: "v" * n, "short": ["\x00pww0:0", "\x00b"]},
        ["\x00pww", "y" * n, {"\x00b": 1, "z": "z" * n}],
    ]
    for v in values:
        assert await w.exports.echo(v) == [v]
        assert await w.exports.call_host("back", v) == [v]
        w.send_message([v])
        got = (await w.receive(timeout=20)).read()
        assert got[0] == "json" and got[1] == [v]
    for v in ["x" * n, mixed, "한" * n]:
        w.send_message(v)
        assert (await w.receive(timeout=20)).read() == v
        await w.exports.send_text(v)
        assert (await w.receive(timeout=20)).read() == v
    with pytest.raises(RemoteError) as info:
        await w.exports.send_text("a" * n + "\ud801")
    assert info.value.remote_type == "PayloadError" and f"U+D801 at position {n}" in info.value.remote_message
    with pytest.raises(RemoteError) as info:
        await w.exports.long_pair(n)
    assert info.value.remote_type == "PayloadError" and "U+D83D" in info.value.remote_message
    w.kill()

@run_in_pyodide
async def test_micropython_scripts_hostile(selenium_pyww):
    import asyncio
    import io
    import sys

    import pytest

    from pywebworker import PyWorker, RemoteError, WorkerStartError

    # A script that keeps allocating fails with MemoryError at a bound, soon; its
    # memory used to grow to wasm's 2 GiB (in Node, inside the host's process).
    hog = PyWorker("x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n",
                   interpreter="micropython", name="hog").start()
    with pytest.raises(WorkerStartError) as info:
        await hog.ready(timeout=30)
    assert info.value.remote_type == "MemoryError"
    assert 'File "/worker/hog.py", line 3' in info.value.remote_traceback

    # The same caught inside: the worker goes on, and serves what fits.
    src = '''
from pywebworker import parent
x = []
try:
    while True:
        x.append(bytearray(1 << 20))
except MemoryError:
    n = len(x)
    x = None
parent.send_message(["caught", n])
def echo(v):
    return v
__export__ = ["echo"]
'''
    w = PyWorker(src, interpreter="micropython").start()
    kind, n = (await w.receive(timeout=30)).read()
    assert kind == "caught" and 16 <= n < 256
    assert await w.exports.echo(b"\x01" * (1 << 20)) == b"\x01" * (1 << 20)
    w.kill()

    # The README's loop at top level, `async for` with no `await` before it (MicroPython
    # compiled it only after one: "SyntaxError: async for/with outside async function");
    # tracebacks keep the script's own line numbers.
    loop = PyWorker("""from pywebworker import parent
def add(a, b):
    return a + b
__export__ = ["add"]
async for m in parent:
    if m.read() == "fail":
        raise ValueError("in the loop")
    parent.send_message(m.read().upper())
""", interpreter="micropython", name="loop").start()
    await loop.ready(timeout=30)
    loop.send_message("hi")
    assert (await loop.receive(timeout=10)).read() == "HI"
    assert await loop.exports.add(2, 3) == 5
    loop.send_message("fail")
    with pytest.raises(RemoteError) as info:
        await loop.receive(timeout=10)
    assert info.value.remote_type == "ValueError"
    assert 'File "/worker/loop.py", line 7, in <module>' in info.value.remote_traceback
    assert loop.state == "failed"
    for src, line in [("x = 1\nasync with y:\n    pass\n", 2), ("x = 1\nasync for m in parent\n", 2)]:
        bad = PyWorker(src, interpreter="micropython", name="bad").start()
        with pytest.raises(WorkerStartError) as info:
            await bad.ready(timeout=30)
        assert f'File "/worker/bad.py", line {line}' in info.value.remote_traceback, info.value.remote_traceback
    # Output of a line not ended (no newline) before the script fails is printed, not
    # lost with the worker.
    out, stdout = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        bad = PyWorker("import sys\nsys.stdout.write('half a line')\nraise ValueError('x')\n",
                       interpreter="micropython").start()
        with pytest.raises(WorkerStartError):
            await bad.ready(timeout=30)
    finally:
        sys.stdout = stdout
    assert out.getvalue() == "half a line\n"

    # A bad __export__ shows the user's error, not pywebworker's frames.
    bad = PyWorker("__export__ = ['nope']\n", interpreter="micropython", name="bad").start()
    with pytest.raises(WorkerStartError) as info:
        await bad.ready(timeout=30)
    assert "nope" in info.value.remote_message
    assert "pywebworker.py" not in info.value.remote_traceback, info.value.remote_traceback

    # A script that never yields: it never gets ready, and kill still stops it.
    spin = PyWorker("while True:\n    pass\n", interpreter="micropython").start()
    with pytest.raises(asyncio.TimeoutError):
        await spin.ready(timeout=0.5)
    spin.kill()
    assert spin.state == "killed"


def pytest_generate_tests(metafunc):
    if "echo_mpy" in metafunc.fixturenames:
        metafunc.parametrize("echo_mpy", [ECHO_MPY], ids=["echo"])
