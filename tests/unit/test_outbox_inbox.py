"""Messages in batches (``pywebworker/_outbox.py``) and read ahead with lazy read marks
(``pywebworker/_inbox.py``), over the fake facade: what leaves, in which order, with
which index and errors; read flags exact whenever anyone asks. Real Pyodide runs the
same paths in tests/py/test_traffic.py and test_jsworker.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fakejs import FakeRuntime, FakeWorkerPort

from pywebworker import JsWorker, PyWorker, QueueFullError, RemoteError, WorkerStateError
from pywebworker._constants import MSG_TEXT
from pywebworker._inbox import AHEAD

Run = Callable[[Awaitable[Any]], Any]
Turn = Callable[[], None]


def running(rt: FakeRuntime, cls: type = JsWorker) -> tuple[Any, FakeWorkerPort]:
    w = cls("x").start()
    port = rt.port(w)
    port.say("started") if cls is PyWorker else port.say("ready")
    return w, port


def test_a_burst_leaves_in_order_with_its_indices(rt: FakeRuntime, turn: Turn) -> None:
    w, port = running(rt)
    words = [f"m{i}" for i in range(1000)] + ["é", {"k": "😀"}, "z"]
    assert [w.send_message(v) for v in words] == list(range(len(words)))
    turn()  # the end of the JS task
    assert port.sent() == words
    assert port.batches >= 1  # the burst did not cost a crossing per message
    assert len(port.posted) == len(words)
    # After the task, a lone message is posted at once again.
    n = len(port.posted)
    assert w.send_message("alone") == len(words)
    assert len(port.posted) == n + 1


def test_bytes_a_call_and_kill_go_after_what_was_sent_before(rt: FakeRuntime, turn: Turn) -> None:
    w, port = running(rt)
    for i in range(50):
        w.send_message(f"a{i}")
    w.send_message(b"\x00")  # bytes flush what waits
    assert port.sent()[-1] == b"\x00" and port.sent()[:50] == [f"a{i}" for i in range(50)]
    for i in range(50):
        w.send_message(f"b{i}")
    assert w.kill() == 0  # the waiting ones were posted before the kill: none undelivered
    assert port.sent()[51:] == [f"b{i}" for i in range(50)]
    with pytest.raises(WorkerStateError):
        w.send_message("after")
    turn()
    assert len(port.posted) == 101


def test_queue_full_is_raised_at_once_inside_a_burst(rt: FakeRuntime, turn: Turn) -> None:
    w, port = running(rt)
    w.set_queue_limits(max_bytes=8, queue="outbound")
    for _ in range(20):
        w.send_message("12345678")  # fits alone: the queue is empty when it is posted
    for big in ("123456789", "é" * 5, "😀" * 5):  # 9 bytes; 5 UTF-16 units (fits); 10 units
        try:
            w.send_message(big)
            assert big == "é" * 5, f"{big!r} was accepted"
        except QueueFullError:
            assert big != "é" * 5, f"{big!r} was refused"
    turn()
    assert port.sent() == ["12345678"] * 20 + ["é" * 5]


def test_a_pyworker_takes_json_as_text_in_batches(rt: FakeRuntime, turn: Turn) -> None:
    w, port = running(rt, PyWorker)
    values = [1.0, 2**70, [-0.0], {"a": "\ud800"}] * 10
    for v in values:
        w.send_message(v)
    turn()
    assert [p.kind for p in port.posted] == [3] * len(values)  # JSON
    assert port.sent()[:4] == [1.0, 2**70, [-0.0], {"a": "\ud800"}]


def test_receive_reads_ahead_and_marks_lazily(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    for i in range(AHEAD + 5):
        port.post(f"m{i}")

    async def main() -> None:
        first = await w.receive()
        assert first.read() == "m0" and first.is_opened()
        # Every question to the core sees the mark (the glue itself may not yet).
        assert w.get_message(0).is_opened() and not w.get_message(1).is_opened()
        got = [(await w.receive()).read() for _ in range(10)]
        assert got == [f"m{i}" for i in range(1, 11)]
        assert sum(1 for m in w.get_messages() if m.is_opened()) == 11
        # get_unread_messages sees exactly the rest, and reading one there keeps the
        # read-ahead honest.
        rest = w.get_unread_messages()
        assert [m.index for m in rest] == list(range(11, AHEAD + 5))
        rest[0].read()
        assert (await w.receive()).read() == "m12"  # m11 was read through its handle
        assert w.clear_read() == 13
        assert len(w.get_unread_messages()) == AHEAD + 5 - 13

    run(main())


def test_a_wake_up_with_the_message_needs_no_fetch(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    calls: list[str] = []
    take_many = port.take_many

    def counting(*args: Any) -> Any:
        calls.append("take_many")
        return take_many(*args)

    port.take_many = counting  # type: ignore[method-assign]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for i in range(5):
            pending = loop.create_task(w.receive())
            await asyncio.sleep(0)  # it waits (watching)
            index = port.inbox.value(f"r{i}")
            rt.glue.dispatch("wake", w.id, (index, MSG_TEXT, f"r{i}"), now=True)  # the glue's wake-up with it
            assert (await pending).read() == f"r{i}"
        assert w.get_message(4).is_opened() and not w.has_unread_messages()
        assert port.info(4).opened  # the marks went with that question

    run(main())
    assert len(calls) <= 2  # the first receive() fetches; the messages then come with their wake-ups


def test_an_offered_message_out_of_turn_is_fetched(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        pending = loop.create_task(w.receive())
        await asyncio.sleep(0)
        port.inbox.value("first")  # queued without telling Python (a drop report would be)
        index = port.inbox.value("second")
        rt.glue.dispatch("wake", w.id, (index, MSG_TEXT, "second"), now=True)
        assert (await pending).read() == "first"  # order kept: the offer was not the next one
        assert (await w.receive()).read() == "second"

    run(main())


def test_a_drop_report_queued_by_clear_read_is_received(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    w.set_queue_limits(max_messages=1, queue="inbound")

    async def main() -> None:
        pending = asyncio.get_running_loop().create_task(w.receive())
        await asyncio.sleep(0)  # it waits: Python is told of each arrival from now on
        # One event (a batch from the worker): "b" is dropped, the queue is full and so
        # is the report's place; Python is told once.
        port.inbox.value("a")
        port.inbox.value("b")
        port._wake_if_watched()
        assert (await pending).read() == "a"
        assert w.clear_read() == 1  # room: the glue queues the report now, with no wake-up
        with pytest.raises(RemoteError, match="dropped"):
            await w.receive(timeout=5)

    run(main())


def test_a_read_ahead_dropped_while_watching_is_fetched_again(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)

    async def main() -> None:
        pending = asyncio.get_running_loop().create_task(w.receive())
        await asyncio.sleep(0)  # it waits: watching
        for word in ("a", "b", "c"):
            port.inbox.value(word)
        port._wake_if_watched()  # one event, three messages
        assert (await pending).read() == "a"  # "b" and "c" are read ahead now
        w.get_message(1).read()  # "b" marked through another handle: the read-ahead goes
        assert (await w.receive(timeout=5)).read() == "c"

    run(main())


def test_marks_of_messages_handed_over_with_wake_ups_reach_the_core(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    n = AHEAD + 10

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for i in range(n):  # a round trip each: every message comes with its wake-up
            pending = loop.create_task(w.receive())
            await asyncio.sleep(0)
            index = port.inbox.value(f"r{i}")
            rt.glue.dispatch("wake", w.id, (index, MSG_TEXT, f"r{i}"), now=True)
            assert (await pending).read() == f"r{i}"

    run(main())
    assert port.unread_count() >= 10  # the core itself, not asked through the worker
    assert port.unread_count() <= n - AHEAD  # the marks went in batches, not all kept in Python


def test_a_refused_text_is_not_offered_with_its_wake_up(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)
    w.set_queue_limits(max_bytes=500, queue="inbound")

    async def main() -> None:
        port.post("a")
        assert (await w.receive(timeout=5)).read() == "a"  # watching, read-ahead drained
        pending = asyncio.get_running_loop().create_task(w.receive(timeout=5))
        await asyncio.sleep(0)
        port.post("b" * 1000)  # over the byte limit: an error is queued in its place
        with pytest.raises(RemoteError, match="refused"):
            await pending
        assert isinstance(w.get_message(1).read(), RemoteError)

    run(main())


def test_offered_texts_at_the_wake_up_limit(rt: FakeRuntime, run: Run) -> None:
    """4096 UTF-16 units come with the wake-up, 4097 are fetched; U+FEFF and astral
    text arrive unchanged either way."""
    w, port = running(rt)
    texts = ["x" * 4096, "x" * 4097, "\ufeff" + "y" * 4095, "\U0001f600" * 2048, "\U0001f600" * 2049, "\ufeff"]

    async def main() -> None:
        for text in texts:
            pending = asyncio.get_running_loop().create_task(w.receive(timeout=5))
            await asyncio.sleep(0)
            port.post(text)
            assert (await pending).read() == text
        assert [m.read() for m in w.get_messages()] == texts

    run(main())


def test_watching_turned_on_later_does_not_trust_an_old_empty_fetch(rt: FakeRuntime, run: Run) -> None:
    w, port = running(rt)

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await w.receive(timeout=0)  # a fetch finds nothing; nobody watches
        port.inbox.value("untold")  # arrives while nobody watches: no wake-up
        w.on_message = lambda m: None  # watching from now on
        w.on_message = None
        assert w.has_unread_messages()
        assert (await w.receive(timeout=5)).read() == "untold"

    run(main())


def test_flush_lets_an_interrupt_through_and_reports_the_rest(rt: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    # PyWorker.interrupt() can land as the batch's post returns: swallowed by flush, a
    # `while True` after send_message would never stop (test_ring saw it).
    from pywebworker._outbox import Outbox

    class Port:
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int:
            raise self.exc

    reported: list[BaseException] = []
    monkeypatch.setattr("pywebworker._outbox.report", lambda message, exc: reported.append(exc))
    box = Outbox(Port(KeyboardInterrupt()), indexed=False)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        box.add(MSG_TEXT, "spinning")  # the first of a task: posted at once (flush)
        box.flush()
    box = Outbox(Port(RuntimeError("gone")), indexed=False)  # type: ignore[arg-type]
    box.add(MSG_TEXT, "x")
    box.flush()  # reported, not raised
    assert [type(e) for e in reported] == [RuntimeError]
