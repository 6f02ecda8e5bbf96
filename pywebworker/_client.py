"""Calls from this side to the other: one future per call id, settled by ``returns``
batches.

The pending-call table and its ids live in the C core (``pww_call_*``, reached through
the ports); this module keeps only what to resume.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import _js
from ._errors import NotExportedError, PyWebWorkerError, RemoteError, remote_error
from ._futures import Settled, resolve_now
from ._timeouts import deadline as make_deadline
from ._wire import pack, read_batch, unpack


class CallClient:
    """Calls to the functions the other side exports (``call``, ``exports``)."""

    _export_kind = "worker"  # what the other side is, for messages
    _js_numbers = False  # whether the other side is JavaScript (payload rules for ints)

    def __init__(self) -> None:
        self._calls: dict[int, asyncio.Future[Any]] = {}
        self._timers: dict[int, Callable[[], None]] = {}

    # -- what subclasses provide ----------------------------------------------------
    def _export_names(self) -> list[str] | None:
        """The other side's exported names, ``None`` while not known yet."""
        raise NotImplementedError

    def _can_post_now(self) -> bool:
        """Whether a call can be posted at once (the other side is ready)."""
        return True

    def _call_post(self, name: str, args: str, bufs: list[bytes]) -> int:
        """Begin a call in the core and post it; returns the call id (raises)."""
        raise NotImplementedError

    async def _call_prepare(self, name: str, deadline: float | None) -> int:
        """Wait until the other side can take ``name``; returns a call id already begun
        in the core, or 0 to say "begin and post in one go" (``_call_post``)."""
        return 0

    def _call_send(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        raise NotImplementedError

    def _call_cancel(self, call_id: int) -> None:
        raise NotImplementedError

    # -- calling ------------------------------------------------------------------------
    def _not_exported(self, name: str, names: list[str]) -> NotExportedError:
        listed = ", ".join(names) if names else "(none)"
        return NotExportedError(f"{name!r} is not exported by the {self._export_kind}; exported: {listed}", name, names)

    def _check_exported(self, name: str) -> None:
        names = self._export_names()
        if names is not None and name not in names:
            raise self._not_exported(name, names)

    def call(self, name: str, *args: Any, timeout: float | None = None) -> Awaitable[Any]:
        """Call the function ``name`` that the other side exports; await the result.

        Once the worker is ready the call is posted before this returns (calls made in
        one go travel together), and the result is an ``asyncio.Future``; before that,
        a task that waits for the worker first.

        Parameters
        ----------
        name : str
            An exported name (``__export__`` in a PyWorker, ``pywebworker.expose`` in a
            JsWorker, ``worker.expose`` on the host).
        *args
            Arguments, following the payload rules: ``str``, bytes-like (arrive as
            ``bytes`` / ``ArrayBuffer``), ``None``, ``bool``, ``int``, ``float``,
            ``list``, ``tuple`` (arrives as a list) and ``dict`` with ``str`` keys, nested
            freely.
        timeout : float | None
            Seconds, counted from this call (including any wait for the worker to be
            ready); any finite value >= 0; ``None`` or ``float("inf")`` waits for ever.

        Returns
        -------
        Awaitable
            Its result is the function's result, under the same payload rules.

        Raises
        ------
        RemoteError
            if the function raised: ``remote_type``, ``remote_message`` and
            ``remote_traceback`` describe it.
        NotExportedError
            (also an ``AttributeError``) if the ready worker does not export ``name``;
            it lists the names that are exported.
        PayloadError
            (also a ``TypeError``) if an argument cannot be sent; nothing is sent.
            Between two Pythons ints of any size travel exactly; to a JsWorker, ints
            beyond ±(2**53 - 1) are refused (send them as ``str``).
        TypeError, ValueError
            if ``timeout`` is not a number, or is NaN or negative.
        TimeoutError
            after ``timeout`` seconds; a reply that comes later is dropped.
        WorkerKilledError, WorkerFailedError, WorkerStartError
            if the worker is killed, fails, or fails to start while the call is
            pending (every pending call is rejected at once).

        All of these are raised by the ``await``, not by ``call`` itself.
        """
        if not self._can_post_now():
            return asyncio.ensure_future(self._call_later(name, args, timeout))
        fut: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        try:
            deadline = make_deadline(timeout)
            text, bufs = pack(list(args), f"arguments of {name}()", self._js_numbers)
            self._check_exported(name)
            call_id = self._call_post(name, text, bufs)
        except Exception as exc:
            fut.set_exception(exc)
            return fut
        self._track(fut, call_id, name, deadline)
        return fut

    async def _call_later(self, name: str, args: tuple[Any, ...], timeout: float | None) -> Any:
        """A call made before the worker was ready: wait for it, then post."""
        deadline = make_deadline(timeout)
        text, bufs = pack(list(args), f"arguments of {name}()", self._js_numbers)
        call_id = await self._call_prepare(name, deadline)
        if call_id == 0:
            self._check_exported(name)
            call_id = self._call_post(name, text, bufs)
        else:
            self._call_send(call_id, name, text, bufs)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._track(fut, call_id, name, deadline)
        return await fut

    def _track(self, fut: asyncio.Future[Any], call_id: int, name: str, deadline: float | None) -> None:
        """Keep ``fut`` until its reply. A timeout or a cancelled await gives the call
        up in the core (its reply, if it comes, is counted late and dropped)."""
        self._calls[call_id] = fut
        if deadline is not None:

            def expire() -> None:
                self._timers.pop(call_id, None)
                if self._calls.get(call_id) is fut:
                    del self._calls[call_id]
                    fut.set_exception(TimeoutError(f"{name}() timed out"))  # first: settled whatever follows
                    self._call_cancel(call_id)

            self._timers[call_id] = _js.runtime().set_timeout(expire, deadline - time.monotonic())
        # Runs only when the future ends without a reply (cancelled): _take removes it.
        fut.add_done_callback(functools.partial(self._call_done, call_id))

    def _call_done(self, call_id: int, fut: asyncio.Future[Any]) -> None:
        if self._calls.get(call_id) is fut:
            del self._calls[call_id]
            self._call_cancel(call_id)
        cancel = self._timers.pop(call_id, None)
        if cancel is not None:
            cancel()

    def _take(self, call_id: int) -> asyncio.Future[Any] | None:
        fut = self._calls.pop(call_id, None)
        cancel = self._timers.pop(call_id, None)
        if cancel is not None:
            cancel()
        return None if fut is None or fut.done() else fut

    def settle_batch(self, text: str, bufs: list[list[bytes]], late: set[int]) -> None:
        """Replies to a batch of calls (a ``returns`` message), already ended in the
        core; ``late`` holds the ids the core had given up (their replies are dropped).

        The futures are resolved and their waiters run now, in this JS task
        (``_futures.resolve_now``). A reply that cannot be decoded still settles its
        call, and only its call.
        """
        settled: list[Settled] = []

        def reject(call_id: int, exc: BaseException) -> None:
            fut = None if call_id in late else self._take(call_id)
            if fut is not None:
                settled.append((fut, False, exc))

        for call_id, ok, value, k in read_batch(text, reject, self._js_numbers):
            if call_id in late:
                continue
            fut = self._take(call_id)
            if fut is None:
                continue
            try:
                if not ok:
                    settled.append((fut, False, remote_error(value, RemoteError)))
                    continue
                if k >= 0:
                    value = unpack(value, bufs[k], self._js_numbers)
            except Exception as exc:
                settled.append((fut, False, exc))
                continue
            settled.append((fut, True, value))
        resolve_now(settled)

    def reject_all(self, exc_factory: Callable[[], PyWebWorkerError]) -> int:
        """Reject every pending call (the other side is gone); returns how many."""
        calls, self._calls = self._calls, {}
        for fut in calls.values():
            if not fut.done():
                fut.set_exception(exc_factory())
        return len(calls)
