"""JsWorker / PyWorker (``pywebworker/_worker.py``) over the fake facade: lifecycle and
states, sending and limits, calls end to end through what the host posted
(``FakeWorkerPort.posted``) and what the worker answers. Each scenario has a twin in
tests/py, which runs it in real Pyodide."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fakejs import FakeRuntime, FakeWorkerPort

from pywebworker import (
    JsWorker,
    NotExportedError,
    PayloadError,
    PyWorker,
    QueueFullError,
    RemoteError,
    WorkerFailedError,
    WorkerKilledError,
    WorkerStartError,
    WorkerStateError,
)
from pywebworker._constants import MSG_BYTES, MSG_JSON, MSG_TEXT
from pywebworker._ports import PyStart

Run = Callable[[Awaitable[Any]], Any]
Turn = Callable[[], None]


def test_states_through_the_lifecycle(rt: FakeRuntime) -> None:
    w = JsWorker("x", name="w1")
    port = rt.port(w)
    assert w.state == "created" and w.name == "w1" and w.id > 0
    assert w.start() is w and w.state == "starting"
    assert port.started_with == {"script": "x", "url": None, "type": "classic", "name": "w1"}
    with pytest.raises(WorkerStateError, match="w1 cannot start: it is starting"):
        w.start()
    port.say("ready", exports=[])
    assert w.state == "running"
    assert w.kill() == 0 and w.state == "killed"
    assert w.kill() == 0 and w.state == "killed"  # again: nothing changes
    assert repr(w) == f"<JsWorker 'w1' id={w.id} killed>"


def test_constructor_checks(rt: FakeRuntime) -> None:
    with pytest.raises(TypeError, match="exactly one of script"):
        JsWorker()
    with pytest.raises(TypeError, match="exactly one of script"):
        JsWorker("x", url="y.js")
    with pytest.raises(TypeError, match="script must be str"):
        JsWorker(b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='type must be "classic" or "module"'):
        JsWorker("x", type="esm")  # type: ignore[arg-type]
    assert rt.glue is None or rt.glue.count_workers() == 0  # nothing was created


def test_ready(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    w = JsWorker("x")
    with pytest.raises(WorkerStateError, match="call start"):
        run(w.ready())
    w.start()
    loop.call_later(0.01, rt.port(w).say, "ready")
    assert run(w.ready(timeout=2)) is w
    with pytest.raises(TimeoutError):
        run(JsWorker("y").start().ready(timeout=0.01))


def test_a_failed_start_and_a_later_failure(rt: FakeRuntime, run: Run) -> None:
    w = JsWorker("x").start()
    rt.port(w).say("failed", error={"name": "SyntaxError", "message": "bad token", "stack": "at 1:1"})
    with pytest.raises(WorkerStartError) as info:
        run(w.ready())
    assert (info.value.remote_type, info.value.remote_message, info.value.remote_traceback) == (
        "SyntaxError", "bad token", "at 1:1")
    v = JsWorker("y").start()
    rt.port(v).say("ready")
    rt.port(v).say("exit")
    assert v.state == "failed"
    with pytest.raises(WorkerFailedError, match="closed itself"):
        run(v.ready())
    k = JsWorker("z").start()
    k.kill()
    with pytest.raises(WorkerKilledError):
        run(k.ready())


def test_messages_before_running_go_first_in_order(rt: FakeRuntime) -> None:
    w = JsWorker("x")
    port = rt.port(w)
    assert [w.send_message(v) for v in ("a", b"b")] == [0, 1]
    w.start()
    assert w.send_message({"c": 1}) == 2
    assert port.posted == []  # nothing reaches a worker that is not running
    port.say("ready")
    w.postMessage(3)
    assert port.sent() == ["a", b"b", {"c": 1}, 3]
    assert [p.kind for p in port.posted] == [MSG_TEXT, MSG_BYTES, MSG_JSON, MSG_JSON]


def test_send_to_a_stopped_worker(rt: FakeRuntime) -> None:
    w = JsWorker("x", name="gone").start()
    w.send_message("never delivered")
    assert w.kill() == 1  # undelivered
    with pytest.raises(WorkerStateError, match="cannot send to gone: it is killed"):
        w.send_message("x")


def test_payload_rules_per_peer(rt: FakeRuntime) -> None:
    js = JsWorker("x")
    with pytest.raises(PayloadError, match="send it as str"):
        js.send_message(2**53)
    py = PyWorker("pass")
    assert py.send_message(2**53) == 0  # a PyWorker holds it exactly
    assert js.send_message("ok") == 0  # nothing was queued by the refusal


def test_outbound_limit_is_queue_full(rt: FakeRuntime) -> None:
    w = JsWorker("x")
    w.set_queue_limits(max_messages=2, queue="outbound")
    w.send_message(1)
    w.send_message(2)
    with pytest.raises(QueueFullError):
        w.send_message(3)
    w.set_queue_limits(max_messages=0, max_bytes=4, queue="outbound")
    with pytest.raises(QueueFullError):
        w.send_message("12345")  # 2 bytes held + 5 > 4
    w.set_queue_limits(queue="outbound")  # the defaults
    assert w.send_message(3) == 2


def test_inbound_limit_drops_and_reports(rt: FakeRuntime) -> None:
    w = JsWorker("x").start()
    port = rt.port(w)
    port.say("ready")
    w.set_queue_limits(max_messages=1, queue="inbound")
    for i in range(3):
        port.post(i)
    assert w.dropped_messages == 2
    assert [m.read() for m in w.get_unread_messages()] == [0]
    w.clear_read()  # room again: the drops are reported at once
    (report,) = w.get_unread_messages()
    err = report.read()
    assert isinstance(err, RemoteError) and err.remote_type == "QueueFullError"
    assert "2 message(s) from the worker were dropped" in err.remote_message


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [({"max_messages": 1.5}, TypeError, "limits must be int, not float"),
     ({"max_bytes": "1"}, TypeError, "not str"),
     ({"max_messages": -1}, ValueError, "from 0 .unlimited. to 2147483647"),
     ({"max_bytes": 2**31}, ValueError, "not 2147483648"),
     ({"queue": "sideways"}, ValueError, "queue must be")],
)
def test_limit_validation(rt: FakeRuntime, kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    w = JsWorker("x")
    with pytest.raises(exc, match=match):
        w.set_queue_limits(**kwargs)


def test_output_lines(rt: FakeRuntime, turn: Turn, capsys: pytest.CaptureFixture[str]) -> None:
    w = PyWorker("print('hi')").start()
    port = rt.port(w)
    port.say("output", stream="stdout", text="hi")
    port.say("output", stream="stderr", text="warn")
    turn()
    out = capsys.readouterr()
    assert out.out == "hi\n" and out.err == "warn\n"


def test_a_pyworker_is_running_when_started_and_ready_when_it_says(rt: FakeRuntime, run: Run) -> None:
    w = PyWorker("pass", packages=["numpy", "wheels/a-1-py3-none-any.whl"], name="py")
    w.start()
    port = rt.port(w)
    options = port.started_with
    assert options.packages == ["numpy", "https://app.test/lab/wheels/a-1-py3-none-any.whl"]  # type: ignore[union-attr]
    assert options.index_url == "https://cdn.test/pyodide/full/"  # type: ignore[union-attr]
    port.say("started")
    assert w.state == "running" and not w._is_ready()  # noqa: SLF001 - running, not ready yet
    port.say("ready", exports=["f"])
    assert run(w.ready()) is w


def test_a_micropython_worker_starts_with_what_micropython_can_do(rt: FakeRuntime) -> None:
    w = PyWorker("pass", interpreter="micropython", name="m").start()
    options = rt.port(w).started_with
    assert isinstance(options, PyStart)
    # No Pyodide index_url, packages, package indexes or host modules; no spare taken.
    assert (options.interpreter, options.index_url, options.packages, options.indexes, options.modules) == (
        "micropython", "", [], {}, {})
    assert not w.warm_start
    other = PyWorker("pass", interpreter="micropython", index_url="/mpy/").start()
    assert rt.port(other).started_with.index_url == "/mpy/"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="MicroPython workers cannot install packages: numpy, attrs"):
        PyWorker("pass", interpreter="micropython", packages=["numpy", "attrs"])
    with pytest.raises(ValueError, match="index_urls"):
        PyWorker("pass", interpreter="micropython", index_urls=["https://pypi.test/simple"])
    with pytest.raises(ValueError, match="WorkerPool"):
        PyWorker("pass", interpreter="micropython", _tasks=True)
    with pytest.raises(ValueError, match='interpreter must be "pyodide" or "micropython"'):
        PyWorker("pass", interpreter="cpython")
    assert rt.port(PyWorker("pass").start()).started_with.interpreter == "pyodide"  # type: ignore[union-attr]


# -- calls ------------------------------------------------------------------------------


def ready_worker(rt: FakeRuntime, exports: list[str]) -> tuple[JsWorker, FakeWorkerPort]:
    w = JsWorker("x")
    w.start()
    port = rt.port(w)
    port.say("ready", exports=exports)
    return w, port


def test_calls_in_one_turn_travel_together(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    w, port = ready_worker(rt, ["add", "cat"])
    futs = [w.exports.add(1, 2), w.call("cat", b"\x00", "s")]
    turn()
    (batch,) = port.call_batches()
    assert batch == [[1, "add", [1, 2], -1], [2, "cat", '[{"\\u0000b":0},"s"]', 0]]
    assert port.posted[-1].bufs == [[b"\x00"]]
    port.answer([[1, 1, 3, -1], [2, 1, '[{"\\u0000b":0}]', 0]], bufs=[[b"zz"]])

    async def results() -> list[Any]:
        return [await f for f in futs]

    assert run(results()) == [3, [b"zz"]]
    assert w.call_stats == {"pending": 0, "begun": 2, "ended": 2, "cancelled": 0, "late": 0}


def test_a_call_before_ready_waits_then_goes(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    w = JsWorker("x").start()
    port = rt.port(w)
    fut = w.exports.f(1)
    assert w.pending_calls == 0  # not begun until it runs

    async def main() -> Any:
        task = asyncio.ensure_future(fut)
        await asyncio.sleep(0.001)
        assert w.pending_calls == 1  # begun: a kill would account for it
        port.say("ready", exports=["f"])
        await asyncio.sleep(0.001)
        (batch,) = port.call_batches()
        port.answer([[batch[0][0], 1, "done", -1]])
        return await task

    assert run(main()) == "done"


def test_a_remote_exception(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    w, port = ready_worker(rt, ["f"])
    fut = w.exports.f()
    turn()
    port.answer([[1, 0, {"name": "RangeError", "message": "too far", "stack": "at f"}, -1]])
    with pytest.raises(RemoteError) as info:
        run(fut)
    assert (info.value.remote_type, info.value.remote_message) == ("RangeError", "too far")


def test_not_exported(rt: FakeRuntime, run: Run) -> None:
    w, _ = ready_worker(rt, ["a", "b"])
    with pytest.raises(NotExportedError) as info:
        run(w.exports.c())
    assert info.value.exported == ["a", "b"]
    assert isinstance(info.value, AttributeError)
    assert sorted(dir(w.exports)) == ["a", "b"]


def test_timeout_cancels_in_the_core_and_the_late_reply_is_dropped(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    w, port = ready_worker(rt, ["slow"])
    with pytest.raises(TimeoutError):
        run(w.exports.slow(timeout=0.02))
    assert w.call_stats["cancelled"] == 1 and w.pending_calls == 0
    assert port.answer([[1, 1, "too late", -1]]) == {1}
    turn()
    assert w.call_stats == {"pending": 0, "begun": 1, "ended": 0, "cancelled": 1, "late": 1}


def test_a_cancelled_await_gives_the_call_up(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    w, port = ready_worker(rt, ["f"])

    async def main() -> None:
        task = asyncio.ensure_future(w.exports.f())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert w.call_stats["cancelled"] == 1 and w.pending_calls == 0
    assert port.answer([[1, 1, None, -1]]) == {1}  # its reply is late


def test_kill_rejects_every_pending_call(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    w, port = ready_worker(rt, ["f"])
    futs = [w.exports.f(i) for i in range(3)]
    turn()
    w.kill()

    async def outcomes() -> list[Any]:
        return await asyncio.gather(*futs, return_exceptions=True)

    assert all(isinstance(e, WorkerKilledError) for e in run(outcomes()))
    assert w.call_stats["cancelled"] == 3
    with pytest.raises(WorkerKilledError):
        run(w.exports.f())


def test_calls_go_before_a_later_message(rt: FakeRuntime, turn: Turn) -> None:
    w, port = ready_worker(rt, ["f"])
    w.exports.f()
    w.send_message("after the call")
    assert [p.type for p in port.posted] == ["calls", "message"]
    turn()
    assert [p.type for p in port.posted] == ["calls", "message"]


def test_the_worker_calls_the_host(rt: FakeRuntime, turn: Turn) -> None:
    w, port = ready_worker(rt, [])
    w.expose(lambda a, b: a + b, name="add")

    @w.expose
    def fail() -> None:
        raise ValueError("no")

    port.call_host([[1, "add", [2, 3], -1], [2, "fail", [], -1], [3, "nope", [], -1]])
    turn()
    replies = [p for p in port.posted if p.type == "returns"]
    assert len(replies) == 1  # sync exports answer together
    import json

    items = json.loads(replies[0].data)
    assert items[0] == [1, 1, 5, -1]
    assert items[1][:2] == [2, 0] and items[1][2]["name"] == "ValueError"
    assert items[2][:2] == [3, 0] and "add" in items[2][2]["message"]


# -- shared memory: interrupt() and wait_for_messages() -----------------------------------


def test_interrupt_and_wait_name_what_is_missing(rt: FakeRuntime) -> None:
    from pywebworker import PyWebWorkerError, SharedMemoryError

    w = PyWorker("pass")
    with pytest.raises(WorkerStateError, match="it is created"):
        w.interrupt()
    w.start()
    port = rt.port(w)
    port.say("started")
    # Without shared memory: one error naming the two headers, nothing stored or waited.
    for call in (w.interrupt, lambda: w.wait_for_messages(0)):
        with pytest.raises(SharedMemoryError, match="crossOriginIsolated is false") as info:
            call()
        assert "Cross-Origin-Opener-Policy: same-origin" in str(info.value)
        assert "Cross-Origin-Embedder-Policy: require-corp" in str(info.value)
    assert port.signals == []
    port.shared = True
    w.interrupt()
    assert port.signals == [2]
    assert w.wait_for_messages(0) is False
    port.post("hi")
    assert w.wait_for_messages(0) is True
    with pytest.raises(TypeError):
        w.wait_for_messages("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        w.wait_for_messages(-1)
    w.kill()
    with pytest.raises(WorkerStateError, match="it is killed"):
        w.interrupt()
    with pytest.raises(PyWebWorkerError, match="JavaScript has no interrupt"):
        JsWorker("x").start().interrupt()
    with pytest.raises(PyWebWorkerError, match="MicroPython worker has no interrupt buffer"):
        PyWorker("pass", interpreter="micropython").start().interrupt()


def test_wait_for_messages_over_jspi(rt: FakeRuntime, loop: asyncio.AbstractEventLoop,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # No shared memory, but this Python can block with JSPI: the event loop runs while it
    # waits (faked here by running the loop), and every message comes that way.
    import time

    from pywebworker import _blocking, _sync
    from pywebworker._sync import CannotBlockHereError

    w = PyWorker("pass").start()
    port = rt.port(w)
    port.say("started")
    monkeypatch.setattr(_blocking, "can_block", lambda: True)
    monkeypatch.setattr(_blocking, "block", lambda aw, *, what, instead: loop.run_until_complete(aw))
    loop.call_later(0.05, port.post, "hi")
    assert w.wait_for_messages(timeout=5) is True
    assert [m.read() for m in w.get_unread_messages()] == ["hi"]
    t = time.monotonic()
    assert w.wait_for_messages(timeout=0.1) is False
    assert time.monotonic() - t >= 0.09
    loop.call_later(0.05, w.kill)
    with pytest.raises(WorkerKilledError):
        w.wait_for_messages()
    # JSPI in the engine but not in this Python: its own error, both kinds at once.
    for module in (_blocking, _sync):
        monkeypatch.setattr(module, "can_block", lambda: False)
        monkeypatch.setattr(module, "jspi_supported", lambda: True)
    with pytest.raises(CannotBlockHereError, match="cannot block here"):
        PyWorker("pass").start().wait_for_messages(0)
