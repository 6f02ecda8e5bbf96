"""JsWorker: payloads both ways, lifecycle and errors, in real workers."""

from pytest_pyodide import run_in_pyodide
from scripts import ECHO_JS


@run_in_pyodide
async def test_payloads_round_trip(selenium_pyww, echo):
    import os

    from pywebworker import JsWorker

    big = os.urandom(1 << 20)
    sent = [
        "héllo wörld ✓ 🐍 中文",
        b"\x00\xff" * 3,
        big,
        bytearray(b"ba"),
        memoryview(b"0123456789")[2:5],
        {"a": [1, 2.5, None, True], "ü": {"nested": "ok"}},
        (1, 2),
        None,
        -7,
        "",
        b"",
    ]
    want = [sent[0], sent[1], big, b"ba", b"234", sent[5], [1, 2], None, -7, "", b""]
    kinds = ["text", "bytes", "bytes", "bytes", "bytes", "json", "json", "json", "json", "text", "bytes"]
    with JsWorker(echo) as w:
        for item in sent:
            w.send_message(item)
        got = [await w.receive(timeout=20) for _ in sent]
    assert [m.kind for m in got] == kinds
    assert [m.read() for m in got] == want
    assert got[2].nbytes == 1 << 20
    assert got[0].nbytes == len(sent[0].encode())
    assert all(m.is_opened() for m in got)
    assert 1.7e9 < got[0].received <= got[-1].received


@run_in_pyodide
async def test_js_worker_sees_natural_values(selenium_pyww):
    from pywebworker import JsWorker

    script = """
    onmessage = (e) => {
      const d = e.data;
      const what = typeof d === "string" ? "string" : d instanceof ArrayBuffer ? "ArrayBuffer:" + d.byteLength
        : Array.isArray(d) ? "array" : d === null ? "null" : typeof d;
      postMessage(what);
    };
    """
    async with JsWorker(script) as w:
        for item in ("s", b"abc", [1], None, {"k": 1}, 3.5):
            w.send_message(item)
        got = [(await w.receive(timeout=20)).read() for _ in range(6)]
    assert got == ["string", "ArrayBuffer:3", "array", "null", "object", "number"]


@run_in_pyodide
async def test_unserialisable_to_worker_raises_and_queues_nothing(selenium_pyww, echo):
    import pytest

    from pywebworker import JsWorker, PayloadError

    w = JsWorker(echo).start()
    first = w.send_message("before")
    for bad, words in [
        (object(), "type object"),
        ({1: "int key"}, "dict key of type int"),
        ([1, {2, 3}], "type set at [1]"),
        (float("nan"), "nan"),
        ({"f": print}, "builtin_function_or_method"),
        ([b"nested bytes"], "type bytes at [0]"),  # bytes only as a whole message
    ]:
        with pytest.raises(PayloadError, match=words.replace("[", r"\[").replace("]", r"\]")):
            w.send_message(bad)
        with pytest.raises(TypeError):
            w.send_message(bad)
    assert w.send_message("after") == first + 1  # nothing was queued in between
    await w.ready(timeout=20)
    assert [(await w.receive(timeout=20)).read() for _ in range(2)] == ["before", "after"]
    w.kill()


@run_in_pyodide
async def test_unserialisable_from_worker_becomes_error_message(selenium_pyww):
    import pytest

    from pywebworker import JsWorker, RemoteError

    script = """
    const cyclic = {}; cyclic.self = cyclic;
    onmessage = () => {
      postMessage(new Map([[1, 2]]));
      postMessage({ when: new Date(0) });
      postMessage(cyclic);
      postMessage(undefined);
      postMessage("still alive");
    };
    """
    async with JsWorker(script) as w:
        w.send_message("go")
        errors = []
        for _ in range(4):
            with pytest.raises(RemoteError) as info:
                await w.receive(timeout=20)
            errors.append(info.value)
        assert (await w.receive(timeout=20)).read() == "still alive"
        assert w.state == "running"
    assert [e.remote_type for e in errors] == ["DataCloneError"] * 4
    assert "a Map" in errors[0].remote_message
    assert "a Date at .when" in errors[1].remote_message
    assert "cyclic" in errors[2].remote_message
    assert "undefined" in errors[3].remote_message
    kinds = [m.kind for m in w.get_messages()]
    assert kinds == ["error"] * 4 + ["text"]
    assert isinstance(w.get_message(0).read(), RemoteError)  # read() returns, not raises


@run_in_pyodide
async def test_lifecycle_errors(selenium_pyww, echo):
    import pytest

    from pywebworker import JsWorker, MessageIndexError, WorkerStateError

    w = JsWorker(echo)
    assert w.state == "created"
    with pytest.raises(WorkerStateError, match="call start"):
        await w.ready()
    assert w.start() is w
    with pytest.raises(WorkerStateError, match="starts once"):
        w.start()
    await w.ready(timeout=20)
    assert w.state == "running"
    with pytest.raises(MessageIndexError):
        w.get_message(0)
    with pytest.raises(IndexError):
        w.get_message(-1)
    w.send_message("x")
    await w.receive(timeout=20)
    assert w.get_message(-1).index == 0
    with pytest.raises(IndexError, match="no message 1"):
        w.get_message(1)
    assert w.kill() == 0
    assert w.kill() == 0  # twice: nothing changes
    assert w.state == "killed"
    with pytest.raises(WorkerStateError, match="killed"):
        w.send_message("after kill")
    with pytest.raises(WorkerStateError):
        w.start()
    assert w.get_message(0).read() == "x"


@run_in_pyodide
async def test_kill_reports_undelivered_and_wakes_waiters(selenium_pyww, echo):
    import asyncio

    import pytest
    from pyodide_waits import stays

    from pywebworker import JsWorker, WorkerKilledError

    # Killed before it ever ran: everything sent is reported undelivered.
    w = JsWorker(echo).start()
    for i in range(5):
        w.send_message(i)
    assert w.kill() == 5
    with pytest.raises(WorkerKilledError):
        await w.ready()

    # Killed while a receive() and a ready() wait: both raise at once.
    silent = JsWorker("onmessage = () => {};").start()
    pending = asyncio.ensure_future(silent.receive())
    await silent.ready(timeout=20)
    await stays(lambda: not pending.done(), seconds=0.05, what="receive() waiting")
    silent.kill()
    with pytest.raises(WorkerKilledError):
        await asyncio.wait_for(pending, 5)


@run_in_pyodide
async def test_kill_during_traffic(selenium_pyww):
    from pyodide_waits import stays, wait_until

    from pywebworker import JsWorker

    # The worker streams messages until killed.
    w = JsWorker("let i = 0; setInterval(() => { for (let k = 0; k < 50; k++) postMessage(i++); }, 1);")
    async with w:
        await wait_until(lambda: len(w.get_unread_messages()) >= 200, what="200 streamed messages")
        for i in range(100):
            w.send_message(i)
    assert w.state == "killed"
    n = len(w.get_messages())
    assert n >= 200
    await stays(lambda: len(w.get_messages()) == n, what="no message after kill")
    assert [m.read() for m in w.get_messages()] == list(range(n))  # none lost, in order


@run_in_pyodide
async def test_timeout_then_late_message_is_kept(selenium_pyww):
    import pytest

    from pywebworker import JsWorker

    async with JsWorker("onmessage = (e) => setTimeout(() => postMessage(e.data), 300);") as w:
        w.send_message("late")
        with pytest.raises(TimeoutError):
            await w.receive(timeout=0.05)
        assert (await w.receive(timeout=20)).read() == "late"


@run_in_pyodide
async def test_on_message_handler_and_async_for(selenium_pyww, echo):
    from pywebworker import JsWorker

    seen = []
    w = JsWorker(echo)
    w.send_message("early")  # delivered to the handler once it is set
    w.start()
    await w.ready(timeout=20)
    w.send_message("a")
    w.on_message = lambda m: seen.append((m.index, m.is_opened()))  # the handler does not mark
    w.send_message("b")
    got = []
    async for message in w:
        got.append(message.index)
        if len(got) == 3:
            w.kill()
    assert seen == [(0, False), (1, False), (2, False)]  # each seen before anything read it
    assert got == [0, 1, 2]
    assert [m.read() for m in w.get_messages()] == ["early", "a", "b"]
    assert w.clear_read() == 3 and w.get_messages() == []


@run_in_pyodide
async def test_get_messages_leaves_out_released(selenium_pyww, echo):
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, MessageReleasedError

    async with JsWorker(echo) as w:
        for word in ("a", "b", "c"):
            w.send_message(word)
        await wait_until(lambda: len(w.get_unread_messages()) == 3, what="3 echoes")
        assert w.get_message(1).read() == "b"
        assert w.clear_read() == 1
        assert [m.index for m in w.get_messages()] == [0, 2]  # indices do not shift
        with pytest.raises(MessageReleasedError):
            w.get_message(1)


@run_in_pyodide
async def test_js_start_errors(selenium_pyww):
    import pytest

    from pywebworker import JsWorker, WorkerStartError

    cases = [
        (dict(script="this is not javascript"), "SyntaxError"),
        (dict(script="throw new RangeError('boom at start')"), "boom at start"),
        (dict(url="does-not-exist-4711.js"), "does-not-exist-4711.js"),
        (dict(script="throw new Error('module boom')", type="module"), "module boom"),
    ]
    for kwargs, words in cases:
        w = JsWorker(**kwargs).start()
        w.send_message("never delivered")
        with pytest.raises(WorkerStartError) as info:
            await w.ready(timeout=20)
        assert words in str(info.value), (kwargs, str(info.value))
        assert w.state == "failed"
        assert w.get_message(0).kind == "error"
        assert w.kill() == 1  # the message sent before the failure was never delivered


@run_in_pyodide
async def test_js_error_after_start_fails_the_worker(selenium_pyww):
    import pytest

    from pywebworker import JsWorker, RemoteError, WorkerFailedError, WorkerStateError

    w = JsWorker("onmessage = (e) => { if (e.data === 'die') throw new TypeError('late boom'); postMessage(e.data); };")
    async with w:
        w.send_message("ok")
        assert (await w.receive(timeout=20)).read() == "ok"
        w.send_message("die")
        with pytest.raises(RemoteError, match="late boom"):
            await w.receive(timeout=20)
        assert w.state == "failed"
        with pytest.raises(WorkerFailedError, match="late boom"):
            await w.receive(timeout=20)
        with pytest.raises(WorkerStateError, match="failed"):
            w.send_message("too late")


@run_in_pyodide
async def test_module_worker_and_url(selenium_pyww):
    from pywebworker import JsWorker

    src = "self.onmessage = (e) => self.postMessage('module:' + e.data);"
    async with JsWorker(src, type="module") as w:
        w.send_message("hi")
        assert (await w.receive(timeout=20)).read() == "module:hi"
    url = "data:text/javascript,onmessage%20%3D%20(e)%20%3D%3E%20postMessage('url%3A'%20%2B%20e.data)"
    for kind in ("classic", "module"):
        async with JsWorker(url=url, type=kind) as w:
            w.send_message(kind)
            assert (await w.receive(timeout=20)).read() == "url:" + kind


def test_bad_constructor_arguments(selenium_pyww):
    selenium_pyww.run(
        "import pytest\nfrom pywebworker import JsWorker, PyWorker\n"
        "for args, kw in [((), {}), (('x',), {'url': 'y'}), ((5,), {}), (('x',), {'type': 'shared'})]:\n"
        "    with pytest.raises(TypeError):\n"
        "        JsWorker(*args, **kw)\n"
        "with pytest.raises(TypeError):\n"
        "    PyWorker()\n"
    )


def pytest_generate_tests(metafunc):
    if "echo" in metafunc.fixturenames:
        metafunc.parametrize("echo", [ECHO_JS], ids=["echo"])


@run_in_pyodide
async def test_queue_limits(selenium_pyww):
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, QueueFullError, RemoteError

    w = JsWorker("onmessage = (e) => { for (let i = 0; i < e.data; i++) postMessage(i); };")
    with pytest.raises(ValueError):
        w.set_queue_limits(-1)
    with pytest.raises(ValueError):
        w.set_queue_limits(queue="sideways")
    w.set_queue_limits(max_messages=2, queue="outbound")
    w.send_message(5)
    w.send_message(0)
    with pytest.raises(QueueFullError):
        w.send_message(0)  # a third message would exceed the outbound limit
    w.set_queue_limits(max_messages=0, max_bytes=3, queue="outbound")
    with pytest.raises(QueueFullError):
        w.send_message("too long")  # 8 bytes > 3
    w.set_queue_limits(max_messages=3, max_bytes=0, queue="inbound")
    async with w:
        await wait_until(lambda: w.dropped_messages >= 2, what="2 dropped messages")
        assert [m.read() for m in w.get_unread_messages()] == [0, 1, 2]
        assert w.dropped_messages == 2
        assert w.clear_read() == 3
        w.send_message(1)  # room again: first the report, then the new message
        with pytest.raises(RemoteError, match="2 message.* dropped: the inbound queue was full"):
            await w.receive(timeout=20)
        assert (await w.receive(timeout=20)).read() == 0


@run_in_pyodide
async def test_close_rejection_and_late_failures_are_not_quiet(selenium_pyww):
    import pytest

    from pywebworker import JsWorker, RemoteError, WorkerFailedError

    # close() from inside: browsers tell the host nothing by themselves.
    async with JsWorker("onmessage = () => close();") as w:
        w.send_message("bye")
        with pytest.raises(RemoteError, match="WorkerExit"):
            await w.receive(timeout=20)
        assert w.state == "failed"
        with pytest.raises(WorkerFailedError, match="WorkerExit"):
            await w.ready(timeout=5)  # it was ready before: a later failure, not a start error

    # An async handler that throws: an unhandled rejection fails the worker everywhere.
    w = JsWorker("onmessage = async (e) => { throw new RangeError('async boom ' + e.data); };")
    async with w:
        w.send_message(7)
        got = []
        with pytest.raises(RemoteError, match="async boom 7"):
            async for message in w:  # a crash ends the loop with an error, never quietly
                got.append(message)
        assert got == [] and w.state == "failed"
        with pytest.raises(WorkerFailedError, match="async boom 7"):
            await w.receive(timeout=5)
        assert w.clear_read() == 1
        # The cause is kept apart from the queue: still known once the message is released.
        with pytest.raises(WorkerFailedError, match="async boom 7"):
            await w.receive(timeout=5)


@run_in_pyodide
async def test_kill_before_start_and_limit_range(selenium_pyww, echo):
    import pytest

    from pywebworker import JsWorker, WorkerStateError

    w = JsWorker(echo)
    w.send_message("a")
    w.send_message("b")
    assert w.kill() == 2  # created -> killed: both never delivered
    assert w.state == "killed"
    with pytest.raises(WorkerStateError):
        w.start()
    for bad in (2**31, -1):
        with pytest.raises(ValueError, match="limits must be from 0"):
            w.set_queue_limits(max_bytes=bad)


@run_in_pyodide
async def _closes_at_top_level(selenium):
    import pytest

    from pywebworker import JsWorker, RemoteError

    # A script that closes itself at its top level never becomes ready: its start fails
    # (in a browser, ready is said in the task after the script's, which close() ends).
    w = JsWorker("postMessage('bye'); close();").start()
    with pytest.raises(RemoteError):
        await w.ready(timeout=30)
    assert w.state in ("failed", "killed")


def test_script_closing_at_its_top_level_fails_its_start(selenium_pyww):
    _closes_at_top_level(selenium_pyww)
