"""WorkerMessage (``pywebworker/_message.py``): a handle on one message of an inbound
queue, over the fake core's queue (``fakejs.inbound``)."""

from __future__ import annotations

from typing import Any

import pytest
from fakejs import FakeInbound, inbound

from pywebworker import MessageIndexError, MessageReleasedError, RemoteError
from pywebworker._constants import MSG_BYTES, MSG_TEXT
from pywebworker._message import WorkerMessage


class Counting:
    """An Inbound that counts the calls made through it."""

    def __init__(self, inner: FakeInbound) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def counted(*args: Any) -> Any:
            self.calls.append(name)
            return method(*args)

        return counted


def test_read_marks_opened_once() -> None:
    inb = inbound()
    inb.inbox.value("hello")
    spy = Counting(inb)
    m = WorkerMessage(spy, 0)
    assert not m.is_opened()
    assert m.read() == "hello"
    assert m.is_opened() and inb.unread_count() == 0
    assert m.read() == "hello"  # again: same value, read from the core
    assert spy.calls.count("read") == 2 and "mark_opened" not in spy.calls


def test_a_handle_with_its_payload_marks_without_reading() -> None:
    inb = inbound()
    inb.inbox.value(b"\x00\x01")
    (entry,) = inb.unread(1024)
    spy = Counting(inb)
    m = WorkerMessage(spy, *entry)
    assert m.read() == b"\x00\x01" and type(m.read()) is bytes
    assert spy.calls == ["mark_opened"]  # once, and no read: the payload came along
    assert inb.info(0).opened


def test_kind_received_and_nbytes() -> None:
    inb = inbound()
    for value in ("é", b"abc", {"a": [1]}):
        inb.inbox.value(value)
    inb.inbox.error("ValueError", "bad", "")
    text, data, obj, err = (WorkerMessage(inb, i) for i in range(4))
    assert [m.kind for m in (text, data, obj, err)] == ["text", "bytes", "json", "error"]
    assert text.nbytes == 2  # UTF-8
    assert data.nbytes == 3
    assert obj.nbytes == len('{"a":[1]}')
    assert text.received == inb.info(0).received_ms / 1000 and text.received > 1.6e9  # seconds since the epoch
    assert obj.read() == {"a": [1]}
    got = err.read()
    assert isinstance(got, RemoteError) and got.remote_type == "ValueError"  # returned, not raised


def test_released_handles() -> None:
    inb = inbound()
    inb.inbox.value("kept")
    inb.inbox.value("gone")
    (e0, e1) = inb.unread(1024)
    with_payload = WorkerMessage(inb, *e0)
    bare = WorkerMessage(inb, 1)
    with_payload.read()
    inb.mark_opened(1)
    assert inb.release_opened() == 2
    # Its payload came with it: still readable, as often as you like.
    assert with_payload.read() == "kept" and with_payload.read() == "kept"
    assert with_payload.kind == "text" and with_payload.is_opened()
    with pytest.raises(MessageReleasedError):
        _ = with_payload.received
    with pytest.raises(MessageReleasedError):
        bare.read()
    with pytest.raises(MessageReleasedError):
        _ = bare.nbytes
    assert bare.is_opened()  # only opened messages are released
    assert repr(bare) == "<WorkerMessage 1 released>"


def test_mark_of_a_message_released_through_another_handle() -> None:
    inb = inbound()
    inb.inbox.value("x")
    (e,) = inb.unread(1024)
    a = WorkerMessage(inb, *e)
    inb.mark_opened(0)
    inb.release_opened()
    assert a.read() == "x"  # the mark finds it released: already opened, fine


def test_a_payload_over_max_inline_is_read_when_asked() -> None:
    inb = inbound()
    inb.inbox.value("y" * 100)
    (e,) = inb.unread(10)
    assert e[2] is None  # (index, kind, payload)
    m = WorkerMessage(inb, *e)
    assert m.read() == "y" * 100 and m.is_opened()


def test_no_such_message() -> None:
    inb = inbound()
    m = WorkerMessage(inb, 5)
    with pytest.raises(MessageIndexError) as info:
        _ = m.kind
    assert not isinstance(info.value, MessageReleasedError)
    assert repr(m) == "<WorkerMessage 5 released>"  # printable whatever happened


def test_repr() -> None:
    inb = inbound()
    inb.inbox.value("hello")
    m = WorkerMessage(inb, 0)
    assert repr(m) == "<WorkerMessage 0 text 5 bytes unread>"
    m.read()
    assert repr(m) == "<WorkerMessage 0 text 5 bytes opened>"


def test_kinds_from_the_constants() -> None:
    inb = inbound()
    inb.inbox.value(b"")
    inb.inbox.value("")
    assert [inb.info(i).kind for i in (0, 1)] == [MSG_BYTES, MSG_TEXT]
