"""Endpoint: the reading side of an inbound queue, shared by host workers and by
``pywebworker.parent`` inside a PyWorker.

Plain Python over an ``Inbound`` port (``_ports.py``); no ``js`` import here.
"""

from __future__ import annotations

import asyncio
import operator
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from . import _js
from ._constants import MSG_ERROR
from ._errors import MessageIndexError, PyWebWorkerError, WorkerKilledError
from ._futures import resolve_now
from ._inbox import Inbox
from ._message import WorkerMessage
from ._ports import Entry
from ._timeouts import deadline

Handler = Callable[[WorkerMessage], Any]

# Payloads up to this size come with the message handles made by get_unread_messages()
# and receive(); larger ones are read (and copied once) when read() asks for them.
_INLINE_BYTES = 64 * 1024


class Endpoint:
    """Messages received from the other side, with read tracking in the C core."""

    _inbound: Inbox  # this endpoint's inbound queue
    _js_numbers = False  # the other side is JavaScript: numbers are doubles (_payload.loads)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []
        self._handler: Handler | None = None
        self._handled = 0  # messages before this index were given to on_message
        self._watching = False  # whether the JS side calls us for each new message

    # -- the polling API (original PyWebWorker) ------------------------------------
    def get_unread_messages(self) -> list[WorkerMessage]:
        """Unread messages, oldest first. Does not mark them; ``read()`` does.

        One crossing into JavaScript for the whole list; payloads up to 64 KiB come
        with it, larger ones are read from the core by ``read()``.

        Returns
        -------
        list[WorkerMessage]
        """
        inbound, js = self._inbound, self._js_numbers
        return [WorkerMessage(inbound, i, kind, raw, js_numbers=js) for i, kind, raw in inbound.unread(_INLINE_BYTES)]

    def has_unread_messages(self) -> bool:
        """Whether a message has arrived that was not read yet (O(1) in the core).

        Returns
        -------
        bool
        """
        return self._inbound.unread_count() > 0

    def get_message(self, index: int) -> WorkerMessage:
        """The message at ``index`` (0 = first received; negative counts from the end).

        ``index`` is an ``int`` or any integer type (``operator.index``: a numpy
        integer, ``True``), as in a ``list``.

        Raises
        ------
        TypeError
            if ``index`` is not an integer (a ``float`` such as ``1.5``, a ``str``).
        MessageIndexError
            (also an ``IndexError``) if no message has that index.
        MessageReleasedError
            if it was released by ``clear_read()``.
        """
        try:
            index = operator.index(index)
        except TypeError:
            raise TypeError(f"message index must be an int, not {type(index).__name__}") from None
        inbound = self._inbound
        n = inbound.length()
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise MessageIndexError(f"no message {index}: {n} received so far")
        inbound.info(index)  # a released message raises here
        return WorkerMessage(inbound, index, js_numbers=self._js_numbers)

    def get_messages(self) -> list[WorkerMessage]:
        """Every message still held (read or not), oldest first; released ones are
        left out.

        Returns
        -------
        list[WorkerMessage]
        """
        inbound = self._inbound
        js = self._js_numbers
        return [WorkerMessage(inbound, i, js_numbers=js) for i in inbound.held()]

    def get_next_unread_message(self) -> WorkerMessage | None:
        """The oldest unread message, not marked.

        Returns
        -------
        WorkerMessage | None
            ``None`` when every message has been read.
        """
        i = self._inbound.first_unread()
        return None if i is None else WorkerMessage(self._inbound, i, js_numbers=self._js_numbers)

    def clear_read(self) -> int:
        """Release the memory of every opened message.

        Their indices stay reserved: ``get_message(i)`` then raises
        ``MessageReleasedError`` and other indices do not shift. A handle you already
        hold (``WorkerMessage``) whose payload came with it (up to 64 KiB, from
        ``get_unread_messages()`` or ``receive()``) stays readable: ``read()``,
        ``kind`` and ``is_opened()`` work; ``received`` and ``nbytes``, and ``read()``
        of any other handle, raise ``MessageReleasedError``. A long-running loop
        should call it now and then: read messages are kept until released.

        Returns
        -------
        int
            How many messages were released.
        """
        return self._inbound.release_opened()

    def _update_messages(self) -> None:
        """Kept for code written for PyWebWorker 0.0.6; messages are always current,
        so this does nothing."""

    # -- the async API ---------------------------------------------------------------
    def _closed_error(self) -> PyWebWorkerError | None:
        """The error to raise when no more messages can come, else ``None``."""
        return None

    def _watch(self, on: bool) -> None:
        raise NotImplementedError

    def _handler_set(self, on: bool) -> None:
        """An ``on_message`` handler was set (``on``) or removed; see Worker."""

    def _wake(self, index: int | None = None, kind: int = 0, payload: str | bytes | None = None) -> None:
        """The glue's wake-up: a message arrived (with it, when the glue gives it: a
        short text), the worker became ready or changed state."""
        self._inbound.arrived(None if index is None else (index, kind, payload))
        waiters, self._waiters = self._waiters, []
        if self._handler is not None:
            self._deliver()  # first: the handler sees new messages before receive() marks them
        # The waiting receive() goes on right here, in this JS event, not one loop
        # turn later (_futures.resolve_now).
        resolve_now([(fut, True, None) for fut in waiters if not fut.done()])
        if self._handler is None and not waiters:
            # Nobody was waiting for this event: stop being told. Not turned off after
            # each wake-up, so a receive() loop costs no watch calls.
            self._set_watch(False)

    def _set_watch(self, on: bool) -> None:
        if on != self._watching:
            self._watch(on)
            self._watching = on
            # Turned off, arrivals go untold; turned on, some may have come untold before
            # (a take that found nothing, then receive(timeout=0), then on_message set):
            # either way an empty read-ahead proves nothing until the next fetch.
            self._inbound.arrived()

    async def _wait(self, until: float | None) -> None:
        """Wait for the next event (message, state change); ``until`` is a
        ``time.monotonic()`` value after which ``TimeoutError`` is raised."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        cancel = None
        if until is not None:
            delay = until - time.monotonic()
            if delay <= 0:
                raise TimeoutError("timed out")

            def expire() -> None:
                if not fut.done():
                    fut.set_exception(TimeoutError("timed out"))

            cancel = _js.runtime().set_timeout(expire, delay)
        self._waiters.append(fut)
        self._set_watch(True)
        try:
            await fut
        finally:
            if cancel is not None:
                cancel()
            if fut in self._waiters:
                self._waiters.remove(fut)

    async def receive(self, timeout: float | None = None) -> WorkerMessage:
        """Wait for the next unread message, mark it opened and return it.

        Parameters
        ----------
        timeout : float | None
            Seconds to wait (any finite value >= 0); ``None`` or ``float("inf")``
            waits for ever.

        Returns
        -------
        WorkerMessage
            Already opened; ``message.read()`` gives the payload.

        Raises
        ------
        TypeError, ValueError
            if ``timeout`` is not a number, or is NaN or negative (before waiting).
        TimeoutError
            if nothing arrived within ``timeout`` seconds (the message that comes
            later stays unread, nothing is lost).
        RemoteError
            if the next message is an error from the worker (it is marked opened).
        WorkerKilledError
            if the worker is killed while waiting and nothing is left unread.
        WorkerFailedError, WorkerStartError
            if the worker failed and nothing is left unread.
        """
        until = None if timeout is None else deadline(timeout)
        entry = self._inbound.take(_INLINE_BYTES, self._watching)  # read ahead in batches: _inbox.py
        if entry is not None and entry[1] != MSG_ERROR:  # the common case, in short
            index, kind, payload = entry
            return WorkerMessage(self._inbound, index, kind, payload, True, js_numbers=self._js_numbers)
        return await self._receive(until, entry, True)

    async def _receive(
        self, until: float | None = None, entry: Entry | None = None, taken: bool = False
    ) -> WorkerMessage:
        """As receive(); ``taken``: ``entry`` is what the first take() gave."""
        while True:
            if not taken:
                entry = self._inbound.take(_INLINE_BYTES, self._watching)
            taken = False
            if entry is not None:
                index, kind, payload = entry
                msg = WorkerMessage(self._inbound, index, kind, payload, opened=True, js_numbers=self._js_numbers)
                if kind == MSG_ERROR:
                    raise msg.read()
                return msg
            err = self._closed_error()
            if err is not None:
                raise err
            await self._wait(until)

    def __aiter__(self) -> AsyncIterator[WorkerMessage]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[WorkerMessage]:
        """Each message as it arrives, marked opened, until the worker is killed. An
        error message or a failure is raised, as by ``receive()``: a crash never ends the
        loop quietly."""
        while True:
            try:
                message = await self._receive()
            except WorkerKilledError:
                return
            yield message

    @property
    def on_message(self) -> Handler | None:
        """A function called with each new ``WorkerMessage`` as it arrives (not marked;
        call ``read()``), or ``None``. A coroutine function is scheduled as a task.

        Setting it delivers the messages already waiting that no handler saw yet.
        While one is set, a worker's messages come with their wake-ups, as without
        shared memory: the polling calls do not read them early from the worker's
        shared ring (mid-cell), so the handler sees each message before ``receive()``
        can take it.
        Errors raised by the handler, ``BaseException`` included (``SystemExit``,
        ``KeyboardInterrupt``), are printed to ``sys.stderr`` with their traceback
        (as ``asyncio`` does for callbacks) and do not stop delivery; inside a
        PyWorker they also reach the host as an error message.
        """
        return self._handler

    @on_message.setter
    def on_message(self, handler: Handler | None) -> None:
        if handler is not None:
            self._set_watch(True)  # first: outside a worker, parent raises here
        if (handler is None) != (self._handler is None):
            self._handler_set(handler is not None)
        self._handler = handler
        if handler is not None:
            self._deliver()

    def _deliver(self) -> None:
        handler = self._handler
        inbound = self._inbound
        n = inbound.length()
        while handler is not None and self._handled < n:
            msg = WorkerMessage(inbound, self._handled, js_numbers=self._js_numbers)
            self._handled += 1
            try:
                result = handler(msg)
                if asyncio.iscoroutine(result):
                    asyncio.ensure_future(self._run_handler(result, msg))
            except BaseException as exc:  # SystemExit too: delivery goes on
                self._handler_error(msg, exc)
            handler = self._handler

    async def _run_handler(self, coro: Coroutine[Any, Any, Any], msg: WorkerMessage) -> None:
        """A coroutine handler, as a task. Its errors are reported here: a task that
        raises ``SystemExit`` or ``KeyboardInterrupt`` would re-raise it out of the
        event loop, that is, into a JS timer (in Node, the end of the process)."""
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._handler_error(msg, exc)

    def _handler_error(self, msg: WorkerMessage, exc: BaseException) -> None:
        """An ``on_message`` handler raised: print it with its traceback to
        ``sys.stderr``, as ``asyncio`` does for a failing callback. Never raises."""
        try:
            print(f"pywebworker: on_message handler raised for message {msg.index}:", file=sys.stderr)
            traceback.print_exception(exc)
        except BaseException:  # stderr is gone: nowhere left to print
            pass
