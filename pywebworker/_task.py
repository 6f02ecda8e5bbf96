"""Inside a WorkerPool's worker: run the tasks the pool sends, functions by value.

A task is ``cloudpickle.dumps((fn, args, kwargs))``; its result travels back the same
way. cloudpickle is the host's own copy, which every PyWorker can import (``_worker.py``
puts its files in the worker), so both sides pickle with the same version.
"""

from __future__ import annotations

import base64
import inspect
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ._errors import PayloadError
from ._parent import parent

# The name the pool calls (``worker.call(TASK_EXPORT, blob)``); listed in "ready".
TASK_EXPORT = "__pww_task__"

# Pickles up to this size (bytes) travel as base64 text: a call's bytes argument or
# result costs about 0.2 ms more than text of the same size (buffers cross between Python
# and JS on both sides), which would double a small task's round trip; larger ones are
# transferred as bytes, without the third more of base64.
SMALL_PICKLE = 64 * 1024


def as_wire(blob: bytes) -> bytes | str:
    """A pickle as it travels: base64 text when small, else the bytes."""
    return base64.b64encode(blob).decode("ascii") if len(blob) <= SMALL_PICKLE else blob


def from_wire(wire: bytes | str) -> bytes:
    """The pickle that :func:`as_wire` sent."""
    return base64.b64decode(wire) if isinstance(wire, str) else bytes(wire)


def run_task(blob: bytes | str) -> bytes | str | Coroutine[Any, Any, bytes | str]:
    """Run one task: ``fn(*args, **kwargs)``, awaited if it returns an awaitable.

    A plain function's task is answered at once, in the batch of its call (no trip
    through the event loop); an awaitable result returns a coroutine, which the call
    server awaits (``_server.py``).

    Returns
    -------
    bytes | str
        ``cloudpickle.dumps(result)``, as :func:`as_wire` sends it.

    Raises
    ------
    PayloadError
        if the result cannot be pickled (the host raises it as a ``RemoteError`` whose
        ``remote_type`` is ``"PayloadError"``).
    BaseException
        whatever unpickling the task or running it raises: the pool's caller gets it as
        a ``RemoteError`` with this worker's traceback.
    """
    import cloudpickle

    fn, args, kwargs = cloudpickle.loads(from_wire(blob))
    result: Any = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        return _later(result)
    return _dumps(result)


async def _later(awaitable: Awaitable[Any]) -> bytes | str:
    return _dumps(await awaitable)


def _dumps(result: Any) -> bytes | str:
    import cloudpickle

    try:
        return as_wire(bytes(cloudpickle.dumps(result)))
    except Exception as exc:
        raise PayloadError(f"the task's result ({type(result).__name__}) cannot be pickled: {exc}") from None


def run_chunk(fn: Callable[[Any], Any], items: list[Any]) -> list[Any] | Coroutine[Any, Any, list[Any]]:
    """``[fn(x) for x in items]``: one task of ``pool.map``. From the first awaitable
    result on, the rest is a coroutine that awaits each."""
    out: list[Any] = []
    for i, item in enumerate(items):
        result = fn(item)
        if inspect.isawaitable(result):
            return _chunk_later(fn, items, i, result, out)
        out.append(result)
    return out


async def _chunk_later(
    fn: Callable[[Any], Any], items: list[Any], i: int, first: Awaitable[Any], out: list[Any]
) -> list[Any]:
    out.append(await first)
    for item in items[i + 1:]:
        result = fn(item)
        out.append(await result if inspect.isawaitable(result) else result)
    return out


# Whether this Python is a pool's worker (serve() ran): joblib's backend runs a nested
# Parallel here sequentially.
serving = False


def serve() -> list[str]:
    """Serve the pool's tasks in this worker (the bootstrap calls it for a pool's
    worker, before the script runs); returns the exported name."""
    global serving
    serving = True
    parent.expose(run_task, name=TASK_EXPORT)
    return [TASK_EXPORT]


# -- the standard library's layers (pywebworker.futures, .multiprocessing, joblib) -------
# A task's exception travels back as a value, pickled, so that the host re-raises it as
# its own type with the worker's traceback as __cause__ (CPython's process pool does the
# same); RemoteError only where it cannot be pickled.


def capture(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``(True, fn(*args, **kwargs))``, or ``(False, raised(exc))`` if it raised; a
    coroutine when ``fn`` returns an awaitable."""
    try:
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            return _capture_later(result)
    except BaseException as exc:  # noqa: BLE001 - every exception is the task's outcome
        return False, raised(exc)
    return True, result


async def _capture_later(awaitable: Awaitable[Any]) -> Any:
    try:
        return True, await awaitable
    except BaseException as exc:  # noqa: BLE001
        return False, raised(exc)


def capture_chunk(fn: Callable[..., Any], items: list[Any], star: bool) -> Any:
    """``[fn(x) for x in items]`` (``fn(*x)`` with ``star``) as :func:`capture` returns
    it: the first exception ends the chunk (the items before it are dropped, as in
    CPython's ``ProcessPoolExecutor.map`` with a ``chunksize``). From the first
    awaitable result on, the rest is a coroutine that awaits each."""
    call = (lambda x: fn(*x)) if star else fn
    return capture(run_chunk, (call, items), {})


def run_calls(calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
    """A joblib batch in a pool's worker: ``[fn(*args, **kwargs) for ...]``, the calls of
    joblib's ``BatchedCalls`` sent as plain data, so that the worker needs no joblib
    unless the functions do. Where they do (joblib is imported), the backend is
    registered here too: a nested ``Parallel(backend="pywebworker")`` then runs
    sequentially in this worker instead of failing on an unknown name."""
    if "joblib" in sys.modules and "pywebworker.joblib" not in sys.modules:
        try:
            import pywebworker.joblib  # noqa: F401 - registers "pywebworker" here
        except ImportError:  # a joblib too old or half-imported: tasks still run
            pass
    return [fn(*args, **kwargs) for fn, args, kwargs in calls]


def raised(exc: BaseException) -> tuple[bytes | None, str, str, str]:
    """``exc`` as it travels: (its pickle or None, type name, message, traceback)."""
    import cloudpickle

    from ._errors import error_info

    info = error_info(exc)
    blob: bytes | None
    try:
        blob = bytes(cloudpickle.dumps(exc)) if isinstance(exc, Exception) else None
    except BaseException:  # noqa: BLE001 - not picklable: the host raises RemoteError
        blob = None
    return blob, info["name"], info["message"], info["stack"]
