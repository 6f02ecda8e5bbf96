"""PyWorker: Python in the worker's own Pyodide, with pywebworker.parent."""

from pytest_pyodide import run_in_pyodide
from scripts import ECHO_PY


@run_in_pyodide
async def test_echo_and_output(selenium_pyww, echo_py):
    import contextlib
    import io

    from pywebworker import PyWorker

    script = "print('hello from the worker')\nimport sys\nprint('to stderr', file=sys.stderr)\n" + echo_py
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        w = PyWorker(script, name="echo")
        w.send_message("sent before start")
        w.start()
        w.send_message(b"\x00\x01\xfe")
        w.send_message({"n": [1, 2.5, None], "s": "ü"})
        await w.ready(timeout=60)
        w.send_message("après ✓")
        got = [(await w.receive(timeout=30)).read() for _ in range(4)]
    assert got == ["sent before start", b"\x00\x01\xfe", {"n": [1, 2.5, None], "s": "ü"}, "après ✓"]
    assert "hello from the worker" in out.getvalue()
    assert "to stderr" in err.getvalue()
    assert w.kill() == 0


@run_in_pyodide
async def test_worker_side_api(selenium_pyww):
    from pywebworker import PyWorker

    # The worker polls its own queue with the same API as the host.
    script = """
from pywebworker import parent
first = await parent.receive()
rest = parent.get_unread_messages()
parent.send_message({
    "first": first.read(), "first_opened": first.is_opened(),
    "rest_kinds": [m.kind for m in rest], "rest_bytes": rest[0].read().hex(), "rest_json": rest[1].read(),
    "unread_after": parent.has_unread_messages(), "index1": parent.get_message(1).index,
    "released": parent.clear_read(), "held": [m.index for m in parent.get_messages()],
})
"""
    w = PyWorker(script)
    for item in ("one", b"two", [3]):
        w.send_message(item)
    w.start()
    reply = (await w.receive(timeout=60)).read()
    assert reply == {
        "first": "one", "first_opened": True, "rest_kinds": ["bytes", "json"], "rest_bytes": b"two".hex(),
        "rest_json": [3], "unread_after": False, "index1": 1, "released": 3, "held": [],
    }
    await w.ready(timeout=30)
    w.kill()


@run_in_pyodide
async def test_primes_while_host_keeps_working(selenium_pyww):
    import time

    from pyodide_waits import wait_until

    from pywebworker import PyWorker

    script = """
from pywebworker import parent
limit = 10 ** 6
sieve = bytearray([1]) * limit
sieve[:2] = b"\\x00\\x00"
for i in range(2, int(limit ** 0.5) + 1):
    if sieve[i]:
        for j in range(i * i, limit, i):   # a slow pure-Python inner loop on purpose
            sieve[j] = 0
parent.send_message(sum(sieve))
"""
    w = PyWorker(script).start()
    ticks = 0

    def arrived() -> bool:
        nonlocal ticks
        ticks += 1
        return w.has_unread_messages()

    started = time.monotonic()
    await wait_until(arrived, timeout=120, interval=0.01, what="the count of primes")
    elapsed = time.monotonic() - started
    assert w.get_next_unread_message().read() == 78498
    # The host ran its own loop all along: at least one tick per 50 ms of waiting.
    assert ticks >= elapsed / 0.05, (ticks, elapsed)
    w.kill()


@run_in_pyodide
async def test_python_start_errors(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, WorkerStartError

    cases = [
        (dict(script="def broken(:\n    pass"), "SyntaxError", "broken"),
        (dict(script="x = 1\n1 / 0"), "ZeroDivisionError", "line 2"),
        (dict(script="import not_a_module_4711"), "ModuleNotFoundError", "not_a_module_4711"),
        (dict(script="pass", packages=["not-a-package-4711"]), "", "not-a-package-4711"),
        (dict(url="does-not-exist-4711.py"), "", "does-not-exist-4711.py"),
    ]
    for kwargs, remote_type, words in cases:
        w = PyWorker(**kwargs).start()
        with pytest.raises(WorkerStartError) as info:
            await w.ready(timeout=90)
        e = info.value
        if remote_type:
            assert e.remote_type == remote_type, (kwargs, e.remote_type)
        assert words in e.remote_message + e.remote_traceback, (kwargs, e.remote_message)
        assert w.state == "failed"


@run_in_pyodide
async def test_handler_error_reaches_host_and_worker_survives(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, RemoteError

    script = """
from pywebworker import parent
def on_message(message):
    value = message.read()
    if value == "boom":
        raise ValueError("bad value: boom")
    parent.send_message(value)
parent.on_message = on_message
"""
    async with PyWorker(script) as w:
        w.send_message("boom")
        with pytest.raises(RemoteError) as info:
            await w.receive(timeout=30)
        assert info.value.remote_type == "ValueError"
        assert "bad value: boom" in info.value.remote_message
        assert 'raise ValueError("bad value: boom")' in info.value.remote_traceback
        w.send_message("still fine")
        assert (await w.receive(timeout=30)).read() == "still fine"


@run_in_pyodide
async def test_unserialisable_from_python_worker(selenium_pyww):
    from pywebworker import PyWorker

    script = """
from pywebworker import parent, PayloadError
try:
    parent.send_message({1, 2})
except PayloadError as e:
    parent.send_message("refused: " + str(e))
"""
    async with PyWorker(script) as w:
        assert (await w.receive(timeout=30)).read().startswith("refused: cannot send a value of type set")


@run_in_pyodide
async def test_packages_and_url(selenium_pyww):
    import re
    import sys
    import types

    from pywebworker import PyWorker
    from pywebworker._display import Progress

    w = PyWorker("import packaging\nfrom pywebworker import parent\n"
                 "parent.send_message(packaging.__name__)", packages=["packaging"], name="pkg<1>").start()
    assert Progress.open(True) is None  # no IPython here: ready() shows nothing
    # The progress line on this event loop, through a stand-in for IPython's display.
    shown = []

    class Handle:
        def update(self, line):
            shown.append(repr(line))

    def display(line, display_id=False):
        shown.append(repr(line))
        return Handle()

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()
    ipython.display = types.ModuleType("IPython.display")
    ipython.display.display = display
    sys.modules.update({"IPython": ipython, "IPython.display": ipython.display})
    try:
        await w.ready(timeout=60)
    finally:
        del sys.modules["IPython"], sys.modules["IPython.display"]
    assert shown[0].startswith("⏳ pkg<1>: ") and len(shown) >= 2, shown
    assert re.fullmatch(r"✓ pkg<1> ready in \S+ s \(loading Pyodide \S+ s, installing packages \S+ s, "
                        r"running the script \S+ s\)", shown[-1]), shown
    assert (await w.receive(timeout=60)).read() == "packaging"
    # The start-up stages, reported by the worker in order, timed from start().
    assert [s for s, _ in w.stages] == ["loading", "installing", "script"]
    times = [t for _, t in w.stages]
    assert times == sorted(times) and 0 <= times[0] < w.uptime
    w.send_message("undelivered? no")
    html = w._repr_html_()
    cell = "</th><td style='text-align:left'>"
    for part in ("Python worker <b>pkg&lt;1&gt;</b>", f"state{cell}running<", f"received / unread{cell}1 / 0<",
                 f"sent / undelivered{cell}1 / 0<", f"pending calls{cell}0<", "running for"):
        assert part in html, (part, html)
    w.kill()
    assert "ran for" in w._repr_html_() and ">killed<" in w._repr_html_()
    url = "data:text/x-python,from%20pywebworker%20import%20parent%0Aparent.send_message('from%20url')"
    async with PyWorker(url=url) as w:
        assert (await w.receive(timeout=60)).read() == "from url"
        assert [s for s, _ in w.stages] == ["loading", "script"]
        assert "from url" in w.get_message(0)._repr_html_()


@run_in_pyodide
async def test_kill_while_awaiting_ready(selenium_pyww):
    import asyncio

    import pytest
    from pyodide_waits import wait_until

    from pywebworker import PyWorker, WorkerKilledError

    # Killed before the worker's queue exists (no JS event ran since start()): the
    # message was never delivered, and kill() says so.
    w = PyWorker("pass").start()
    w.send_message("never delivered")
    assert w.kill() == 1

    # Killed while ready() waits: the worker is running (its queue took the message at
    # once) but its Pyodide is still loading, a second or more.
    w = PyWorker("pass").start()
    pending = asyncio.ensure_future(w.ready())
    w.send_message("delivered while Pyodide loads")
    await wait_until(lambda: w.state == "running", what="the worker's queue")
    assert not pending.done()
    assert w.kill() == 0
    with pytest.raises(WorkerKilledError):
        await asyncio.wait_for(pending, 5)


def pytest_generate_tests(metafunc):
    if "echo_py" in metafunc.fixturenames:
        metafunc.parametrize("echo_py", [ECHO_PY], ids=["echo"])


@run_in_pyodide
async def test_python_failure_after_ready(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, RemoteError, WorkerFailedError

    # An error raised in a JS callback after the top level: the worker fails.
    script = """
from js import setTimeout
from pyodide.ffi import create_once_callable
from pywebworker import parent

def later():
    raise LookupError("failed after ready")

parent.on_message = lambda m: setTimeout(create_once_callable(later), 10)
"""
    async with PyWorker(script) as w:
        w.send_message("go")
        with pytest.raises(RemoteError, match="failed after ready"):
            await w.receive(timeout=30)
        assert w.state == "failed"
        with pytest.raises(WorkerFailedError, match="failed after ready"):
            await w.ready(timeout=5)

    # close() from Python inside the worker.
    async with PyWorker("import js\nfrom pywebworker import parent\nparent.on_message = lambda m: js.close()") as w:
        w.send_message("bye")
        with pytest.raises(RemoteError, match="WorkerExit"):
            await w.receive(timeout=30)
        assert w.state == "failed"
