"""Inbox: an endpoint's inbound queue, read in batches.

A crossing into JavaScript costs microseconds, far more than a short message's own
work. ``receive()`` therefore takes the oldest unread messages in one crossing (up to
``AHEAD`` of them, with their payloads: ``take_many``) and hands them out one by one
from here; and a message is marked opened in the C core lazily: the mark waits here
and goes with the next crossing. Neither can be seen from outside: every other
question to the core (``length``, ``info``, ``held``, ``clear_read`` ...) first sends
the waiting marks, and only Python marks messages, so the core's read flags are
exact whenever anyone can ask. The messages read ahead are unread in the core; one
marked by another path (``read()`` of a handle from ``get_unread_messages()``) is
dropped from the read-ahead, which is then taken again.

Implements ``_ports.Inbound`` over a ``_ports.InboundPort``; plain Python, no ``js`` import here.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._ports import Entry, InboundPort, MessageInfo

AHEAD = 1024  # messages receive() takes in one crossing, at most


class Inbox:
    """``_ports.Inbound`` with lazy marks and a read-ahead for ``take``."""

    __slots__ = ("_port", "_ahead", "_marks", "_drained", "_seen")

    def __init__(self, port: InboundPort) -> None:
        self._port = port
        self._ahead: deque[Entry] = deque()  # unread in the core, oldest first
        self._marks: list[int] = []  # opened here, not yet in the core
        # Every unread message was in the last fetch (nothing arrived since, as far as
        # arrived() was told), and _seen is one past the last index fetched or offered.
        self._drained = False
        self._seen = 0

    def _sync(self) -> InboundPort:
        """The port, with the waiting marks sent. Any crossing may read messages from
        the worker's shared ring (js/ring.js) into the core, untold: fetch next time."""
        self._drained = False
        if self._marks:
            marks, self._marks = self._marks, []
            self._port.mark_many(marks)
        return self._port

    def _forget(self, index: int) -> None:
        """``index`` is being marked by another path: stop reading it ahead (the rest
        of the read-ahead is fetched again)."""
        ahead = self._ahead
        if ahead and ahead[0][0] <= index <= ahead[-1][0]:  # Entry: index first
            ahead.clear()
            self._drained = False

    def arrived(self, entry: Entry | None = None) -> None:
        """A message arrived (the glue's wake-up): ``entry`` is it with its payload when
        the glue could give it (a short text), else ``None``. It is read ahead when it
        is the very next message; otherwise the next take() fetches."""
        if entry is not None and self._drained and entry[0] == self._seen:
            self._ahead.append(entry)
            self._seen += 1
        else:
            self._drained = False

    # -- _ports.Inbound ---------------------------------------------------------------
    def length(self) -> int:
        return self._sync().length()

    def unread_count(self) -> int:
        return self._sync().unread_count()

    def first_unread(self) -> int | None:
        return self._sync().first_unread()

    def held(self) -> list[int]:
        return self._sync().held()

    def info(self, index: int) -> MessageInfo:
        return self._sync().info(index)

    def mark_opened(self, index: int) -> None:
        """Mark lazily; never raises (a released message is opened already)."""
        if self._ahead:
            self._forget(index)
        self._marks.append(index)

    def mark_many(self, indices: list[int]) -> None:
        for index in indices:
            self.mark_opened(index)

    def read(self, index: int) -> tuple[int, str | bytes]:
        self._forget(index)
        return self._sync().read(index)

    def take(self, max_inline: int, told: bool = False) -> Entry | None:
        """The oldest unread message, marked (lazily); ``None`` when none is unread.
        ``told``: the owner hears of every arrival (it watches) and passes each to
        :meth:`arrived`, so an empty read-ahead after a complete fetch means none."""
        ahead = self._ahead
        if not ahead:
            if told and self._drained:
                return None
            marks, self._marks = self._marks, []
            batch = self._port.take_many(marks, max_inline, AHEAD)
            if len(batch) < AHEAD:
                self._drained = True
                if batch:
                    self._seen = batch[-1][0] + 1
            if not batch:
                return None
            ahead.extend(batch)
        entry = ahead.popleft()
        marks = self._marks
        marks.append(entry[0])
        if len(marks) >= AHEAD:  # messages handed over with their wake-ups: no fetch sends these
            self._sync()
        return entry

    def take_many(self, marks: list[int], max_inline: int, limit: int) -> list[Entry]:
        self._ahead.clear()
        self._drained = False
        waiting, self._marks = self._marks, []
        return self._port.take_many(waiting + marks, max_inline, limit)

    def unread(self, max_inline: int) -> list[Entry]:
        return self.take_many([], max_inline, 0)

    def release_opened(self) -> int:
        # Room made may let the glue queue a drop report, untold: fetch next time.
        self._drained = False
        return self._sync().release_opened()
