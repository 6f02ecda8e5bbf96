"""Calls: worker exports called from the host, host functions called from the worker."""

from pytest_pyodide import run_in_pyodide

CALLS_PY = '''
import asyncio
from pywebworker import parent

def add(a, b):
    return a + b

async def slow(x, seconds):
    await asyncio.sleep(seconds)
    return x

def echo(*args):
    return list(args)

def fail(text):
    raise ValueError("bad: " + text)

def unsendable():
    return {1, 2}

async def ask_host(name, *args):
    return await parent.call(name, *args)

async def ask_host_attr(x):
    return await parent.host.double(x)

async def host_error():
    from pywebworker import RemoteError
    try:
        await parent.host.boom()
    except RemoteError as e:
        return [e.remote_type, e.remote_message, "in boom" in e.remote_traceback]

def stats():
    return parent.call_stats

__export__ = ["add", "slow", "echo", "fail", "unsendable", "ask_host", "ask_host_attr", "host_error", "stats"]
'''


@run_in_pyodide
async def test_pyworker_calls(selenium_pyww, calls_py):
    import asyncio

    import pytest

    from pywebworker import NotExportedError, PayloadError, PyWorker, RemoteError

    w = PyWorker(calls_py).start()
    # Calls made before the worker is ready wait for it, in order (comlink #665).
    early = [asyncio.ensure_future(w.call("add", i, 1)) for i in range(5)]
    early_unknown = asyncio.ensure_future(w.call("nope"))
    await w.ready(timeout=60)
    assert await asyncio.gather(*early) == [1, 2, 3, 4, 5]
    with pytest.raises(NotExportedError) as info:
        await early_unknown
    assert "add" in info.value.exported

    assert await w.exports.add(2, 3) == 5
    assert await w.exports.add("a", "b") == "ab"
    assert sorted(dir(w.exports)) == sorted(
        ["add", "slow", "echo", "fail", "unsendable", "ask_host", "ask_host_attr", "host_error", "stats"])

    # Bytes stay bytes, nested data round-trips (tuples arrive as lists).
    nested = {"b": b"\x00\xff", "l": [1, 2.5, None, True, {"x": [b"", bytearray(b"ab")]}], "s": "ü✓", "t": (1, 2)}
    got = await w.exports.echo(b"raw", nested, memoryview(b"mv"))
    assert got == [b"raw", {"b": b"\x00\xff", "l": [1, 2.5, None, True, {"x": [b"", b"ab"]}], "s": "ü✓", "t": [1, 2]},
                   b"mv"]

    # 1 000 calls at once, each reply finds its caller.
    results = await asyncio.gather(*(w.exports.add(i, i) for i in range(1000)))
    assert results == [2 * i for i in range(1000)]
    results = await asyncio.gather(*(w.exports.slow(i, 0.001 * (i % 7)) for i in range(300)))
    assert results == list(range(300))

    # Remote exceptions carry type, message and traceback.
    with pytest.raises(RemoteError) as info:
        await w.exports.fail("boom")
    e = info.value
    assert e.remote_type == "ValueError"
    assert e.remote_message == "bad: boom"
    assert 'raise ValueError("bad: " + text)' in e.remote_traceback
    with pytest.raises(RemoteError) as info:
        await w.exports.unsendable()
    assert info.value.remote_type == "PayloadError" and "set" in info.value.remote_message

    # Unknown names raise at once, with the list; nothing is sent.
    begun = w.call_stats["begun"]
    with pytest.raises(NotExportedError) as info:
        getattr(w.exports, "nope")  # noqa: B009 - the attribute lookup is the test
    assert isinstance(info.value, AttributeError) and "add" in str(info.value)
    with pytest.raises(NotExportedError):
        await w.call("nope", 1)
    with pytest.raises(PayloadError):
        await w.exports.add({1}, 2)
    assert w.call_stats["begun"] == begun

    # Call traffic never shows up among messages; messages still flow.
    assert not w.has_unread_messages() and w.get_unread_messages() == []
    stats = w.call_stats
    assert stats["pending"] == 0 and stats["begun"] == stats["ended"] + stats["cancelled"]
    w.kill()


@run_in_pyodide
async def test_timeouts_late_replies_and_kill(selenium_pyww, calls_py):
    import asyncio

    import pytest
    from pyodide_waits import wait_until

    from pywebworker import PyWorker, WorkerKilledError

    async with PyWorker(calls_py) as w:
        with pytest.raises(TimeoutError):
            await w.exports.slow("late", 0.3, timeout=0.05)
        assert w.pending_calls == 0
        assert w.call_stats["cancelled"] == 1
        assert await w.exports.add(1, 1, timeout=30) == 2  # the worker is fine
        await wait_until(lambda: w.call_stats["late"] >= 1, what="the late reply of slow()")
        assert w.call_stats["late"] == 1  # the late reply came and was dropped
        assert not w.has_unread_messages()

        # Kill with calls in flight: every one is rejected at once (comlink #601).
        pending = [asyncio.ensure_future(w.exports.slow(i, 10)) for i in range(50)]
        await wait_until(lambda: w.pending_calls == 50, what="50 calls in flight")
        w.kill()
        done, _ = await asyncio.wait(pending, timeout=2)
        assert len(done) == 50
        assert all(isinstance(t.exception(), WorkerKilledError) for t in pending)
        stats = w.call_stats
        assert stats["pending"] == 0 and stats["cancelled"] == 51
        with pytest.raises(WorkerKilledError):
            await w.exports.add(1, 2)

    # Killed before ready: calls waiting for ready are rejected too.
    w = PyWorker(calls_py).start()
    early = asyncio.ensure_future(w.exports.add(1, 2))
    await asyncio.sleep(0.05)
    w.kill()
    with pytest.raises(WorkerKilledError):
        await asyncio.wait_for(early, 5)
    assert w.call_stats["pending"] == 0


@run_in_pyodide
async def test_host_functions_from_pyworker(selenium_pyww, calls_py):
    import asyncio

    import pytest

    from pywebworker import PyWorker, RemoteError

    w = PyWorker(calls_py)
    seen = []

    @w.expose
    def double(x):
        return x * 2

    async def slow_concat(a, b):
        await asyncio.sleep(0.01)
        seen.append((a, b))
        return a + b

    def boom():
        raise KeyError("in boom")

    w.expose(slow_concat, name="concat")
    w.expose(boom)
    w.start()
    await w.ready(timeout=60)
    assert await w.exports.ask_host_attr(21) == 42
    assert await w.exports.ask_host("concat", b"ab", b"cd") == b"abcd"
    assert await w.exports.ask_host("double", [1, 2]) == [1, 2, 1, 2]
    assert seen == [(b"ab", b"cd")]
    remote_type, message, has_tb = await w.exports.host_error()
    assert remote_type == "KeyError" and "in boom" in message and has_tb
    with pytest.raises(RemoteError) as info:
        await w.exports.ask_host("missing")
    assert info.value.remote_type == "RemoteError"
    assert "NotExportedError" in info.value.remote_message and "double" in info.value.remote_message
    results = await asyncio.gather(*(w.exports.ask_host("double", i) for i in range(200)))
    assert results == [2 * i for i in range(200)]
    stats = await w.exports.stats()
    assert stats["pending"] == 0 and stats["ended"] == stats["begun"] == 205
    assert w.get_unread_messages() == []
    w.kill()


@run_in_pyodide
async def test_bad_export_list_fails_start(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, RemoteError, WorkerStartError

    w = PyWorker("x = 1\n__export__ = ['x']").start()
    with pytest.raises(WorkerStartError) as info:
        await w.ready(timeout=60)
    assert info.value.remote_type == "TypeError" and "'x'" in info.value.remote_message
    # No exports were published: a call raises the worker's error, nothing is listed.
    with pytest.raises(RemoteError, match="'x'") as info:
        await w.exports.x()
    assert info.value.remote_type == "TypeError"
    assert dir(w.exports) == []
    assert w.call_stats["pending"] == 0


@run_in_pyodide
async def test_jsworker_calls(selenium_pyww, js_type):
    import asyncio

    import pytest
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, NotExportedError, RemoteError

    script = """
let seen = [];
self.onmessage = (e) => { seen.push(e.data); postMessage(e.data); };
pywebworker.expose({
  add: (a, b) => a + b,
  async slow(x, ms) { await new Promise((r) => setTimeout(r, ms)); return x; },
  bytes(buf) {
    const u = new Uint8Array(buf);
    return { type: Object.prototype.toString.call(buf), sum: u.reduce((s, v) => s + v, 0), back: u.slice().reverse() };
  },
  fail(m) { const e = new TypeError("js says " + m); throw e; },
  unsendable() { return new Map(); },
  nothing() {},
  async hostDouble(x) { return await pywebworker.host.double(x); },
  async hostCall(name, ...args) { return await pywebworker.call(name, ...args); },
  seen: () => seen,
});
"""
    w = JsWorker(script, type=js_type)
    w.expose(lambda x: x * 2, name="double")
    first = asyncio.ensure_future(w.exports.add(1, 2))  # before start: waits
    w.send_message("hello")
    w.start()
    assert await first == 3
    assert sorted(dir(w.exports)) == sorted(["add", "slow", "bytes", "fail", "unsendable", "nothing",
                                             "hostDouble", "hostCall", "seen"])
    assert await w.exports.bytes(b"\x01\x02\x03") == {"type": "[object ArrayBuffer]", "sum": 6, "back": b"\x03\x02\x01"}
    assert await w.exports.nothing() is None
    assert await w.exports.add([1], [2]) == "12"  # JS semantics
    results = await asyncio.gather(*(w.exports.add(i, 1) for i in range(1000)))
    assert results == [i + 1 for i in range(1000)]
    with pytest.raises(RemoteError) as info:
        await w.exports.fail("no")
    assert info.value.remote_type == "TypeError" and info.value.remote_message == "js says no"
    assert "fail" in info.value.remote_traceback
    with pytest.raises(RemoteError) as info:
        await w.exports.unsendable()
    assert "Map" in info.value.remote_message
    with pytest.raises(NotExportedError):
        getattr(w.exports, "missing")  # noqa: B009 - the attribute lookup is the test
    assert await w.exports.hostDouble(4) == 8
    assert await w.exports.hostCall("double", "ab") == "abab"
    with pytest.raises(RemoteError) as info:
        await w.exports.hostCall("missing")
    assert info.value.remote_type == "NotExportedError" and "double" in info.value.remote_message
    with pytest.raises(TimeoutError):
        await w.exports.slow(1, 300, timeout=0.05)
    # The script's onmessage saw only the user's message, never call traffic.
    assert await w.exports.seen() == ["hello"]
    assert [m.read() for m in w.get_unread_messages()] == ["hello"]
    await wait_until(lambda: w.call_stats["late"] >= 1, what="the late reply of slow()")
    assert w.call_stats["late"] == 1
    assert not w.has_unread_messages()  # the late reply was dropped, not queued
    w.kill()


@run_in_pyodide
async def test_jsworker_crash_rejects_pending_calls(selenium_pyww):
    import asyncio

    import pytest

    from pywebworker import JsWorker, WorkerFailedError

    script = """
pywebworker.expose({
  wait: () => new Promise(() => {}),
  crash() { setTimeout(() => { throw new Error("crashed on purpose"); }, 50); return 1; },
});
"""
    async with JsWorker(script) as w:
        pending = [asyncio.ensure_future(w.exports.wait()) for _ in range(20)]
        assert await w.exports.crash() == 1
        done, _ = await asyncio.wait(pending, timeout=5)
        assert len(done) == 20
        for t in pending:
            with pytest.raises(WorkerFailedError) as info:
                t.result()
            assert "crashed on purpose" in str(info.value)
        assert w.call_stats["cancelled"] == 20 and w.pending_calls == 0


def pytest_generate_tests(metafunc):
    if "calls_py" in metafunc.fixturenames:
        metafunc.parametrize("calls_py", [CALLS_PY], ids=["calls"])
    if "js_type" in metafunc.fixturenames:
        metafunc.parametrize("js_type", ["classic", "module"])


@run_in_pyodide
async def test_worker_calls_go_before_later_messages(selenium_pyww):
    # Calls to the host are batched (one `calls` message per JS task): the order rule
    # still holds in the worker, calls made before a message reach the host before it.
    from pywebworker import JsWorker, PyWorker

    js = """
pywebworker.expose({ go() {
  const replies = [1, 2, 3].map((i) => pywebworker.host.note(i));
  postMessage("after");
  return Promise.all(replies);
} });
"""
    py = """
import asyncio
from pywebworker import parent

async def go():
    replies = [parent.call("note", i) for i in (1, 2, 3)]
    parent.send_message("after")
    return await asyncio.gather(*replies)

__export__ = ["go"]
"""
    for w in (JsWorker(js), PyWorker(py)):
        seen = []

        @w.expose
        def note(i, w=w, seen=seen):
            seen.append((i, w.has_unread_messages()))
            return i * 10

        w.start()
        try:
            assert await w.exports.go(timeout=60) == [10, 20, 30]
            assert seen == [(1, False), (2, False), (3, False)]
            assert (await w.receive(timeout=20)).read() == "after"
        finally:
            w.kill()
