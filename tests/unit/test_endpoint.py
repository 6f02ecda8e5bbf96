"""Endpoint (``pywebworker/_endpoint.py``): the reading side of a worker's inbound
queue, on a JsWorker over the fake facade. Each scenario has a twin in tests/py, which
runs it in real Pyodide."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fakejs import FakeRuntime, FakeWorkerPort

from pywebworker import (
    JsWorker,
    MessageIndexError,
    MessageReleasedError,
    RemoteError,
    WorkerFailedError,
    WorkerKilledError,
    WorkerStateError,
)
from pywebworker._constants import MSG_BYTES, MSG_JSON
from pywebworker._parent import Parent

Run = Callable[[Awaitable[Any]], Any]


def running(rt: FakeRuntime) -> tuple[JsWorker, FakeWorkerPort]:
    w = JsWorker("/* played by the test */")
    w.start()
    port = rt.port(w)
    port.say("ready", exports=[])
    return w, port


def test_polling(rt: FakeRuntime) -> None:
    w, port = running(rt)
    assert not w.has_unread_messages() and w.get_unread_messages() == []
    assert w.get_next_unread_message() is None
    for value in ("a", b"b", {"c": [1]}):
        port.post(value)
    assert w.has_unread_messages()
    msgs = w.get_unread_messages()
    assert [m.index for m in msgs] == [0, 1, 2]
    assert msgs[0].read() == "a"
    assert w.get_unread_messages()[0].index == 1  # reading is what marks
    nxt = w.get_next_unread_message()
    assert nxt is not None and nxt.index == 1 and not nxt.is_opened()
    assert w.get_message(-1).read() == {"c": [1]}
    assert w.get_message(True).index == 1  # any integer type, as a list index
    assert [m.index for m in w.get_messages()] == [0, 1, 2]
    assert w.clear_read() == 2
    assert [m.index for m in w.get_messages()] == [1]
    assert msgs[0].read() == "a"  # its payload came with the handle
    with pytest.raises(MessageReleasedError):
        w.get_message(0)
    with pytest.raises(MessageIndexError, match="no message 3: 3 received so far"):
        w.get_message(3)
    with pytest.raises(MessageIndexError):
        w.get_message(-4)
    with pytest.raises(TypeError, match="must be an int, not float"):
        w.get_message(1.5)  # type: ignore[arg-type]
    assert w.get_next_unread_message().index == 1  # type: ignore[union-attr]
    assert w.get_message(1).read() == b"b"
    assert not w.has_unread_messages()


def test_receive_marks_and_waits(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    w, port = running(rt)

    async def main() -> None:
        port.post("first")
        m = await w.receive()
        assert m.index == 0 and m.is_opened() and m.read() == "first"
        loop.call_later(0.01, port.post, "later")
        m = await w.receive(timeout=2)
        assert m.read() == "later"

    run(main())
    assert not w.has_unread_messages()


def test_receive_timeout_loses_nothing(rt: FakeRuntime, run: Run, turn: Callable[[], None]) -> None:
    w, port = running(rt)
    with pytest.raises(TimeoutError):
        run(w.receive(timeout=0.02))
    port.post("after")
    turn()
    assert [m.read() for m in w.get_unread_messages()] == ["after"]  # still there, unread until now
    with pytest.raises(TimeoutError):
        run(w.receive(timeout=0))
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError):
            run(w.receive(timeout=bad))
    with pytest.raises(TypeError):
        run(w.receive(timeout="1"))  # type: ignore[arg-type]


def test_an_error_message_is_raised(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    port.say("error", error={"name": "TypeError", "message": "x is undefined", "stack": "at onmessage"})
    port.post("next")
    with pytest.raises(RemoteError) as info:
        run(w.receive())
    assert (info.value.remote_type, info.value.remote_message) == ("TypeError", "x is undefined")
    assert w.get_message(0).is_opened()  # marked: the next receive goes on
    assert run(w.receive()).read() == "next"


def test_async_for_ends_on_kill(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    w, port = running(rt)

    async def main() -> list[Any]:
        got = []
        loop.call_soon(port.post, 1)
        loop.call_soon(port.post, 2)
        async for m in w:
            got.append(m.read())
            if len(got) == 2:
                loop.call_soon(w.kill)
        return got

    assert run(main()) == [1, 2]


def test_receive_after_kill_gives_what_is_left_first(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    port.post("left")
    w.kill()
    port.post("late")  # after the kill: dropped, as the glue drops it
    assert run(w.receive()).read() == "left"
    with pytest.raises(WorkerKilledError):
        run(w.receive())


def test_a_kill_wakes_a_waiting_receive(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    w, _ = running(rt)
    loop.call_later(0.01, w.kill)
    with pytest.raises(WorkerKilledError):
        run(w.receive(timeout=2))


def test_a_failure_is_raised_after_the_messages(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    port.post("before")
    port.say("failed", error={"name": "ReferenceError", "message": "boom", "stack": ""})
    assert w.state == "failed"
    assert run(w.receive()).read() == "before"
    with pytest.raises(RemoteError, match="boom"):  # the failure, queued as an error message
        run(w.receive())
    with pytest.raises(WorkerFailedError) as info:
        run(w.receive())
    assert info.value.remote_type == "ReferenceError"


def test_on_message_delivery(rt: FakeRuntime, turn: Callable[[], None]) -> None:
    w, port = running(rt)
    port.post("waiting")
    seen: list[Any] = []
    w.on_message = lambda m: seen.append(m.read())
    assert seen == ["waiting"]  # delivered when set
    port.post("new")
    turn()
    assert seen == ["waiting", "new"]
    w.on_message = None
    port.post("unhandled")
    turn()
    assert seen == ["waiting", "new"]
    assert [m.read() for m in w.get_unread_messages()] == ["unhandled"]


def test_a_handler_leaves_the_ring_to_the_wake_ups(rt: FakeRuntime) -> None:
    """With an on_message handler, reading calls do not read the shared ring (js/host.js
    handler): a message then reaches the handler, at its wake-up, before receive() or a
    read() can open it (tests/py/test_readahead.py fuzz)."""
    w, port = running(rt)
    assert not port.handler
    w.on_message = lambda m: None
    assert port.handler
    w.on_message = lambda m: None  # replaced: still one
    assert port.handler
    w.on_message = None
    assert not port.handler


def test_on_message_errors_are_printed_and_delivery_goes_on(
    rt: FakeRuntime, turn: Callable[[], None], capsys: pytest.CaptureFixture[str]
) -> None:
    w, port = running(rt)
    seen: list[Any] = []

    def handler(m: Any) -> None:
        value = m.read()
        seen.append(value)
        if value == "bad":
            raise SystemExit("not the end")

    w.on_message = handler
    for value in ("ok", "bad", "still"):
        port.post(value)
    turn()
    assert seen == ["ok", "bad", "still"]
    err = capsys.readouterr().err
    assert "on_message handler raised for message 1" in err and "SystemExit: not the end" in err


def test_an_async_handler_runs_as_a_task(rt: FakeRuntime, turn: Callable[[], None]) -> None:
    w, port = running(rt)
    seen: list[Any] = []

    async def handler(m: Any) -> None:
        await asyncio.sleep(0)
        seen.append(m.read())

    w.on_message = handler
    port.post("x")
    turn()
    assert seen == ["x"]


def test_watch_is_toggled_only_when_needed(rt: FakeRuntime, run: Run, turn: Callable[[], None]) -> None:
    w, port = running(rt)
    port.post(1)
    run(w.receive())  # a message was there: no need to be told
    assert port.watch_calls == []

    async def loop_receive(n: int) -> None:
        for _ in range(n):
            await w.receive()

    async def main() -> None:
        task = asyncio.ensure_future(loop_receive(3))
        for i in range(3):
            await asyncio.sleep(0.005)
            port.post(i)
        await task

    run(main())
    assert port.watch_calls == [True]  # a receive() loop costs one watch call
    port.post("nobody waits")
    turn()
    assert port.watch_calls == [True, False]  # told once more, then no more
    w.on_message = lambda m: None
    assert port.watch_calls == [True, False, True]


# -- the same endpoint inside a PyWorker: pywebworker.parent --------------------------



def test_parent_outside_a_worker(rt: FakeRuntime) -> None:
    with pytest.raises(WorkerStateError, match="only available inside a PyWorker"):
        Parent().send_message("x")


def test_parent_messages_both_ways(inside: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    port = inside.parent_port
    assert port is not None
    p = Parent()
    p.send_message({"n": 2**60})  # the host is Python: any int
    p.send_message(b"\x01")
    assert [(m.kind, m.data) for m in port.posted] == [(MSG_JSON, '{"n":1152921504606846976}'), (MSG_BYTES, b"\x01")]
    port.host_sends("hi")
    port.host_sends({"x": [1.0]})
    msgs = p.get_unread_messages()
    assert [m.read() for m in msgs] == ["hi", {"x": [1.0]}]
    assert type(msgs[1].read()["x"][0]) is float
    loop.call_later(0.01, port.host_sends, "later")
    assert run(p.receive(timeout=2)).read() == "later"


def test_parent_handler_errors_reach_the_host(
    inside: FakeRuntime, turn: Callable[[], None], capsys: pytest.CaptureFixture[str]
) -> None:
    port = inside.parent_port
    assert port is not None
    p = Parent()

    def handler(m: Any) -> None:
        raise KeyError(m.read())

    p.on_message = handler
    port.host_sends("k")
    turn()
    (info,) = port.errors
    assert info["name"] == "KeyError" and "'k'" in info["message"] and "handler" in info["stack"]
    assert "KeyError" in capsys.readouterr().err


def test_parent_calls_the_host(inside: FakeRuntime, run: Run, turn: Callable[[], None]) -> None:
    port = inside.parent_port
    assert port is not None
    p = Parent()
    fut = p.call("add", 1, 2)
    turn()
    (batch,) = [p_.data for p_ in port.posted if p_.type == "calls"]
    assert batch == '[[1,"add",[1,2],-1]]'
    port.answer([[1, 1, 3, -1]])
    assert run(fut) == 3
    assert p.call_stats["ended"] == 1
