"""Inside a PyWorker: where ``worker.interrupt()``'s ``KeyboardInterrupt`` goes.

Pyodide raises it (its interrupt buffer, SIGINT) at whatever bytecode runs when it looks,
every few dozen. That may be the user's code: a call, the script, a handler. Raised there,
as Ctrl+C would, a call fails with it and the script may catch it. But it may as well be
pywebworker's or the event loop's own code, running between the user's: the loop about
to step a coroutine (an async export awaiting ``asyncio.sleep(0)`` spends most of its
time there), a reply being posted. Raised there, it would escape the event loop, which
fails the worker, or lose a reply.

So the worker's SIGINT handler (:func:`install`) raises only where a frame of the user's
code is on the stack (a frame of neither pywebworker nor the standard library, which
holds asyncio and Pyodide's own modules). Otherwise the interrupt goes to the async
exports running (:func:`start`): each gets it raised at the ``await`` where it waits
(its task is cancelled, and the ``CancelledError`` is turned into the interrupt); none
running, it is dropped. An interrupt the worker had not seen when a batch of calls
arrives (it was sent while none of its Python ran) is handled so before the batch runs
(``_parent.py``): it never hits a later call.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, TypeVar

from ._errors import report


class _Call:
    """One async export running, as an interrupt sees it."""

    __slots__ = ("pending", "started", "task")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.started = False
        self.pending = False  # an interrupt on its way to the task

    def interrupt(self) -> None:
        if self.pending:
            return
        self.pending = True
        task = self.task
        # Cancelling wakes the task wherever it waits (_driven or _run makes the
        # CancelledError a KeyboardInterrupt). Not from inside its own step (the handler
        # ran in _driven's frame): a task that returns in that step would end cancelled;
        # _driven sees `pending` before it waits.
        if self.started and task is not None and task is not asyncio.current_task(task.get_loop()):
            task.cancel()

    def take(self) -> bool:
        """The ``CancelledError`` just thrown in is this interrupt's (and no other
        cancellation is pending): raise ``KeyboardInterrupt`` instead."""
        if not self.pending:
            return False
        self.pending = False
        task = asyncio.current_task()
        return task is None or task.uncancel() == 0


_running: set[_Call] = set()
T = TypeVar("T")


def start(awaitable: Awaitable[Any], outcome: Callable[[Awaitable[Any]], Coroutine[Any, Any, T]]) -> asyncio.Task[T]:
    """The task of one async export's call: ``outcome(awaitable)``, the awaitable
    reachable by an interrupt that lands outside the user's code (module docstring)."""
    call = _Call()
    task = asyncio.ensure_future(outcome(_run(awaitable, call)))
    call.task = task
    _running.add(call)
    task.add_done_callback(lambda _: _running.discard(call))
    return task


async def _run(awaitable: Awaitable[Any], call: _Call) -> Any:
    call.started = True
    if call.pending:  # interrupted before its first step
        call.pending = False
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise KeyboardInterrupt
    if asyncio.iscoroutine(awaitable):
        return await _driven(awaitable, call)
    try:
        return await awaitable  # a Future: cancelled with the task
    except asyncio.CancelledError:
        if call.take():
            raise KeyboardInterrupt from None
        raise


@types.coroutine
def _driven(coro: Coroutine[Any, Any, Any], call: _Call) -> Generator[Any, Any, Any]:
    """``await coro``, step by step, so that an interrupt's ``CancelledError`` reaches
    ``coro`` as ``KeyboardInterrupt`` (where it waits, as if raised there)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = coro.send(value) if error is None else coro.throw(error)
        except StopIteration as stop:
            return stop.value
        value = error = None
        if call.pending:  # came during this step, outside coro: raised now, as a task's cancel would
            call.pending = False
            if asyncio.isfuture(step):
                step.cancel()
            error = KeyboardInterrupt()
            continue
        try:
            value = yield step
        except asyncio.CancelledError as exc:
            error = KeyboardInterrupt() if call.take() else exc
        except BaseException as exc:  # GeneratorExit too: coro gets it as from a plain await
            error = exc
        if call.pending and error is None:  # came as this step began, before coro ran
            call.pending = False
            error = KeyboardInterrupt()


def _roots() -> tuple[str, ...]:
    """Where the standard library's code lives (Pyodide's zip, its directory), and
    frozen modules."""
    dirs = {os.path.dirname(os.path.dirname(asyncio.__file__)), os.path.dirname(os.__file__),
            getattr(sys, "_stdlib_dir", None) or ""}
    return (*(d + "/" for d in dirs if d), "<frozen ")


_LIB = _roots()


def _users(frame: types.FrameType) -> bool:
    """Whether ``frame`` runs the user's code: neither pywebworker's nor the standard
    library's (asyncio, Pyodide's modules)."""
    name = frame.f_globals.get("__name__")
    if isinstance(name, str) and (name == "pywebworker" or name.startswith("pywebworker.")):
        return False
    return not frame.f_code.co_filename.startswith(_LIB)


def _on_sigint(signum: int, frame: types.FrameType | None) -> None:
    """The worker's SIGINT handler (module docstring)."""
    f = frame
    while f is not None:
        if _users(f):
            raise KeyboardInterrupt
        f = f.f_back
    stray()


def stray() -> None:
    """An interrupt that found none of the user's code running: to the async exports
    running, or dropped. Never raises."""
    try:
        for call in list(_running):
            call.interrupt()
    except BaseException as exc:  # noqa: BLE001 - runs inside any code: nothing may escape
        report("pywebworker: could not deliver an interrupt", exc)


def _escaped() -> None:
    """The event loop's hook for a ``KeyboardInterrupt`` that left one of its callbacks
    (a task or callback of the script that did not catch it): shown, and the worker
    serves on (without it, it would fail the worker)."""
    report("pywebworker: KeyboardInterrupt in a task or callback of the worker", sys.exception()
           or KeyboardInterrupt())


def install() -> None:
    """Handle this worker's interrupts as the module docstring says (the bootstrap calls
    it before the script runs; a script may still set its own SIGINT handler)."""
    signal.signal(signal.SIGINT, _on_sigint)
    loop = asyncio.get_event_loop()
    if hasattr(loop, "_keyboard_interrupt_handler"):  # Pyodide's WebLoop (private, 0.23 to 314)
        loop._keyboard_interrupt_handler = _escaped  # noqa: SLF001 - no public hook
