"""``pool.executor``: a WorkerPool as a ``concurrent.futures.Executor``, in Pyodide."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._pool import WorkerPool


class _NoBlockFuture(concurrent.futures.Future):  # type: ignore[type-arg]
    """A ``concurrent.futures.Future`` that refuses to block: Pyodide has one thread, so
    waiting in ``result()`` for a task would wait for ever."""

    def _check(self, timeout: float | None) -> None:
        if not self.done() and timeout != 0:
            raise RuntimeError(
                "result() would block Pyodide's only thread for ever: "
                "use `await asyncio.wrap_future(future)` (or await the pool's own futures)"
            )

    def result(self, timeout: float | None = None) -> Any:
        self._check(timeout)
        return super().result(timeout=0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._check(timeout)
        return super().exception(timeout=0)


class PoolExecutor(concurrent.futures.Executor):
    """A ``WorkerPool`` as a ``concurrent.futures.Executor`` (``pool.executor``).

    ``submit`` returns a ``concurrent.futures.Future`` completed from the event loop,
    without blocking: ``await asyncio.wrap_future(executor.submit(fn, x))`` and
    ``await loop.run_in_executor(pool.executor, fn, x)`` work (pywebworker teaches
    Pyodide's WebLoop, whose ``run_in_executor`` runs every function inline on the main
    thread, to hand this executor's work to the pool; other executors keep Pyodide's
    behaviour). Code written against this interface moves to Dask's
    (``client.get_executor()``) or Ray's executors unchanged.

    The futures keep the standard contract (CPython's ``ProcessPoolExecutor``): a
    future is pending while its task waits for a worker, ``running()`` once a worker
    has it, and only a pending one can be cancelled (``cancel()`` returns ``False``
    once it runs); ``shutdown(cancel_futures=True)`` cancels the pending ones
    (``cancelled()`` is ``True``) and lets the running ones finish; ``submit`` after
    ``shutdown`` raises ``RuntimeError``. A task's exception is the future's.

    What cannot work in Pyodide, which has one thread: a blocking ``future.result()``
    (it raises ``RuntimeError`` instead of waiting for ever), ``executor.map`` (its
    iterator blocks: use ``await pool.map``), and ``shutdown(wait=True)`` waiting (it
    closes the pool and returns; ``await pool.close()`` waits).
    """

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self._shutdown = False
        self._pending: set[concurrent.futures.Future[Any]] = set()  # submitted, not done
        _teach_webloop()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """As ``WorkerPool.submit``, returning a ``concurrent.futures.Future``.

        Raises
        ------
        RuntimeError
            after ``shutdown()`` (``"cannot schedule new futures after shutdown"``, as
            ``concurrent.futures``), and as ``WorkerStateError`` (also a
            ``RuntimeError``) if the pool is closed, killed or could not start.
        PayloadError, QueueFullError
            as ``WorkerPool.submit``.
        """
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        task = self.pool._task(fn, args, kwargs)  # noqa: SLF001 - the pool's engine
        outer: concurrent.futures.Future[Any] = _NoBlockFuture()
        task.on_start = outer.set_running_or_notify_cancel  # a worker took it: running()
        inner = self.pool._enqueue(task)  # noqa: SLF001

        def settle(f: asyncio.Future[Any]) -> None:
            if outer.done():
                return  # cancelled by its owner while pending
            if f.cancelled():
                if not outer.cancel():  # running: only a pending future cancels
                    outer.set_exception(concurrent.futures.CancelledError())
                return
            if not outer.running():  # failed before a worker took it (the pool killed)
                outer.set_running_or_notify_cancel()
            exc = f.exception()
            if exc is not None:
                outer.set_exception(exc)
            else:
                outer.set_result(f.result())

        def done(f: concurrent.futures.Future[Any]) -> None:
            self._pending.discard(f)
            if f.cancelled():
                inner.cancel()  # leaves the pool's queue

        self._pending.add(outer)
        inner.add_done_callback(settle)
        outer.add_done_callback(done)
        return outer

    def map(self, *args: Any, **kwargs: Any) -> Any:
        """Not in Pyodide: iterating it would block. Use ``await pool.map(fn, items)``.

        Raises
        ------
        NotImplementedError
            always.
        """
        raise NotImplementedError(
            "Executor.map blocks while iterating, which Pyodide's one thread cannot do: use `await pool.map(fn, items)`"
        )

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more tasks; ``cancel_futures``: cancel the pending futures (those no
        worker has taken); then ``pool.close()``. Returns without waiting (``await
        pool.close()`` waits). Calling it again changes nothing but may cancel more."""
        self._shutdown = True
        if cancel_futures:
            for f in list(self._pending):
                f.cancel()  # False (and kept) for a running one
        self.pool.close(cancel_queued=cancel_futures)


def _teach_webloop() -> None:
    """Make ``loop.run_in_executor(pool.executor, ...)`` run in the pool: Pyodide's
    WebLoop runs ``func`` inline whatever the executor (pyodide/webloop.py)."""
    loop = asyncio.get_event_loop()
    cls = type(loop)
    if cls.__name__ != "WebLoop" or getattr(cls.run_in_executor, "pywebworker", False):
        return
    original = cls.run_in_executor

    def run_in_executor(self: Any, executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        if isinstance(executor, PoolExecutor):
            return asyncio.wrap_future(executor.submit(func, *args), loop=self)
        return original(self, executor, func, *args)

    run_in_executor.pywebworker = True  # type: ignore[attr-defined]
    cls.run_in_executor = run_in_executor  # type: ignore[method-assign,assignment]

