"""Blocking where Pyodide allows it: ``pyodide.ffi.run_sync`` (JSPI, WebAssembly's
JavaScript Promise Integration) suspends Python's stack while the event loop runs on, so
synchronous code (``future.result()``, ``Pool.map``, ``joblib.Parallel``) can wait for
workers without a second thread and without shared memory.

Where it works: Chromium 137 and later (JSPI on by default; tested with 156) and Node 26
(tested; Node 20 and 22 have no JSPI by default), in code that Pyodide runs with JSPI: a
notebook cell, ``runPythonAsync``, a task of the event loop, and plain functions called
from those. Elsewhere (Node 20, browsers without JSPI, Python called synchronously from a
JavaScript event handler) :func:`block` raises
:class:`BlockingError` at once, naming the ``await`` spelling: it never hangs.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any, TypeVar

from ._errors import PyWebWorkerError

T = TypeVar("T")


class BlockingError(PyWebWorkerError, RuntimeError):
    """Synchronous code would have to wait here, and this Python cannot block: no JSPI
    (``pyodide.ffi.can_run_sync()`` is false). Its message says what would have blocked
    and the ``await`` spelling that works everywhere. Also a ``RuntimeError``, as a
    ``future.result()`` that cannot wait raised before."""


def can_block() -> bool:
    """Whether synchronous code may wait here (``pyodide.ffi.can_run_sync()``; ``False``
    outside Pyodide and on a Pyodide without ``run_sync``, before 0.27)."""
    try:
        from pyodide.ffi import can_run_sync
    except ImportError:
        return False
    try:
        return bool(can_run_sync())
    except Exception:  # noqa: BLE001 - a Pyodide that cannot tell cannot block
        return False


def jspi_supported() -> bool:
    """Whether this JavaScript engine has JSPI at all (``WebAssembly.Suspending``, or the
    older ``WebAssembly.Suspender``, as Pyodide tests it), even where this Python cannot
    block right now (:func:`can_block`): Python entered synchronously from a JavaScript
    event cannot, though tasks of the same Pyodide can. ``False`` outside Pyodide."""
    try:
        import js
    except ImportError:
        return False
    try:
        wasm = getattr(js, "WebAssembly", None)
        return hasattr(wasm, "Suspending") or hasattr(wasm, "Suspender")
    except Exception:  # noqa: BLE001 - an engine that cannot tell has none we can use
        return False


def block(awaitable: Awaitable[T], *, what: str, instead: str) -> T:
    """Wait for ``awaitable`` synchronously and return its result (``run_sync``).

    Parameters
    ----------
    awaitable : Awaitable
        What to wait for; awaited on the running event loop while Python's stack is
        suspended (other callbacks and tasks run meanwhile).
    what : str
        What would block, for the error message (``"future.result()"``).
    instead : str
        The ``await`` spelling to name in the error (``"await asyncio.wrap_future(f)"``).

    Returns
    -------
    Any
        The awaitable's result; its exception is raised here.

    Raises
    ------
    BlockingError
        if this Python cannot block (:func:`can_block` is false); the awaitable is
        closed, never run.
    """
    if not can_block():
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never awaited: no "coroutine was never awaited" warning
        require(what, instead)
    from pyodide.ffi import run_sync

    result: Any = run_sync(awaitable)
    return result  # type: ignore[no-any-return]


def require(what: str, instead: str) -> None:
    """Raise :class:`BlockingError` now if this Python cannot block: for calls that would
    block later (an iterator's ``next``), so that they fail before they start anything.

    Raises
    ------
    BlockingError
        naming ``what`` and the ``instead`` spelling, if :func:`can_block` is false.
    """
    if not can_block():
        if _engine_has_jspi():
            raise BlockingError(
                f"{what} must wait for the workers, and this Python cannot block here: it was entered "
                "from a JavaScript event (a callback, or code resumed by a worker's reply after an "
                "`await` on it), which Pyodide cannot suspend. `await asyncio.sleep(0)` first (the "
                f"event loop then resumes it with JSPI), or use `{instead}` instead"
            )
        raise BlockingError(
            f"{what} must wait for the workers, and this Python cannot block: that needs JSPI "
            "(pyodide.ffi.run_sync: Chromium 137+, Node 26, in a notebook cell or code run by "
            f"runPythonAsync). Use `{instead}` instead"
        )


def _engine_has_jspi() -> bool:
    """Whether the JavaScript engine has JSPI at all (``WebAssembly.Suspending``), though
    this Python may not be able to use it."""
    try:
        import js
    except ImportError:
        return False
    try:
        return getattr(getattr(js, "WebAssembly", None), "Suspending", None) is not None
    except Exception:  # noqa: BLE001 - an engine that cannot tell: no
        return False
