"""Settling many futures at once, from a JS event, without one loop turn each.

asyncio schedules every done callback of a future (an awaiting task's wake-up,
``gather``'s bookkeeping) with ``call_soon``, which in Pyodide costs one JS task each.
:func:`resolve_now` runs them at once instead, which is what the loop would do next
anyway. That needs the private ``Future._callbacks``; a Future type whose
``_callbacks`` does not behave as CPython's (3.11 to 3.14, Pyodide 0.29 and 314) is
settled the plain way, and so is any future settled while a task runs.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from ._errors import report

Settled = tuple["asyncio.Future[Any]", bool, Any]  # (future, ok, result or exception)

_fast_types: dict[type, bool] = {}  # Future type -> whether its _callbacks can be taken


def _noop(fut: asyncio.Future[Any]) -> None:
    pass


def retrieve(fut: asyncio.Future[Any]) -> None:
    """A done callback that reads ``fut``'s exception, so that asyncio does not log it as
    "never retrieved": for background work whose failure is reported elsewhere (a pool's
    ``ready()``, an awaited ``prestart``)."""
    if not fut.cancelled():
        fut.exception()


def _probe(kind: type[asyncio.Future[Any]], loop: asyncio.AbstractEventLoop) -> bool:
    """Whether futures of ``kind`` keep their callbacks in ``_callbacks`` as a list of
    ``(callback, Context)`` pairs that ``remove_done_callback`` removes (and counts)."""
    try:
        fut = kind(loop=loop)
        fut.add_done_callback(_noop)
        callbacks = getattr(fut, "_callbacks", None)
        good = (
            isinstance(callbacks, list)
            and len(callbacks) == 1
            and isinstance(callbacks[0], tuple)
            and len(callbacks[0]) == 2
            and callbacks[0][0] is _noop
            and isinstance(callbacks[0][1], contextvars.Context)
            and fut.remove_done_callback(_noop) == 1
            and not getattr(fut, "_callbacks", None)
        )
        fut.cancel()
        return good
    except Exception:  # a Future type we cannot even probe: the plain way
        return False


def fast_path(fut: asyncio.Future[Any]) -> bool:
    """Whether ``fut``'s callbacks can be run by :func:`resolve_now` (probed once per
    Future type)."""
    kind = type(fut)
    good = _fast_types.get(kind)
    if good is None:
        good = _fast_types[kind] = _probe(kind, fut.get_loop())
    return good


def _outside_task(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is running and no task is (we were called from an event)."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return False
    return running is loop and asyncio.current_task(loop) is None


def resolve_now(settled: list[Settled]) -> None:
    """Complete each future with ``(fut, ok, result or exception)`` and run its done
    callbacks right here, in order, when that is safe (see the module docstring);
    otherwise they are scheduled by asyncio as usual. A callback that raises is
    reported through the loop's exception handler, as asyncio does; it never stops
    the others.
    """
    if not settled:
        return
    now = _outside_task(settled[0][0].get_loop())
    pending: list[tuple[asyncio.Future[Any], Any, contextvars.Context]] = []
    for fut, ok, value in settled:
        if now and fast_path(fut):
            for cb, ctx in getattr(fut, "_callbacks", None) or ():
                fut.remove_done_callback(cb)
                pending.append((fut, cb, ctx))
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
    for fut, cb, ctx in pending:
        try:
            ctx.run(cb, fut)
        except BaseException as exc:  # SystemExit too: raised into a JS event, it would end Node
            report(f"Exception in callback {cb!r}", exc)
