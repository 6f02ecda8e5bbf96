"""``pool.executor``: a WorkerPool as a ``concurrent.futures.Executor``, in Pyodide, blocking
where JSPI lets Python block (``_blocking``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._blocking import block, can_block, require
from ._errors import outcome
from ._task import capture, capture_chunk

if TYPE_CHECKING:
    from ._pool import WorkerPool, _Task


class _BlockingEvent:
    """``threading.Event`` for the waiters of ``concurrent.futures.wait`` and
    ``as_completed``: ``wait()`` blocks with JSPI (``_blocking.block``) while the event
    loop settles the futures. Pyodide has one thread, so a ``threading.Event`` would
    wait for ever."""

    def __init__(self) -> None:
        self._flag = False
        self._set: asyncio.Future[None] | None = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        if self._set is not None and not self._set.done():
            self._set.set_result(None)

    def clear(self) -> None:
        self._flag = False
        self._set = None

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        if timeout is not None and timeout <= 0:
            return False
        if self._set is None or self._set.done():
            self._set = asyncio.get_event_loop().create_future()

        async def until() -> bool:
            try:
                await asyncio.wait_for(asyncio.shield(self._set), timeout)  # type: ignore[arg-type]
            except TimeoutError:
                pass
            return self._flag

        return block(until(), what="concurrent.futures.wait()/as_completed()", instead="await asyncio.wait(...)")


class _Waiters(list):  # type: ignore[type-arg]
    """A future's ``_waiters``: each waiter ``concurrent.futures`` installs gets a
    :class:`_BlockingEvent` (its own ``threading.Event`` would never wake)."""

    def append(self, waiter: Any) -> None:
        if not isinstance(waiter.event, _BlockingEvent):
            waiter.event = _BlockingEvent()
        super().append(waiter)


class PoolFuture(concurrent.futures.Future):  # type: ignore[type-arg]
    """A ``concurrent.futures.Future`` of a pool's task whose ``result()`` and
    ``exception()`` wait for the worker where Python can block (JSPI:
    ``pyodide.ffi.run_sync``), and which ``concurrent.futures.wait`` and
    ``as_completed`` wait for too. Where Python cannot block, waiting raises
    ``BlockingError`` (a ``RuntimeError``) naming ``await asyncio.wrap_future(future)``."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters = _Waiters()
        self._task: _Task | None = None  # the pool's task, once submitted

    def _wait(self, timeout: float | None, what: str) -> None:
        if self.done() or timeout == 0:
            return
        if timeout is not None and timeout < 0:
            timeout = 0
        loop = asyncio.get_event_loop()
        settled: asyncio.Future[None] = loop.create_future()

        def wake(_: object) -> None:
            if not settled.done():
                settled.set_result(None)  # in the loop's own thread: Pyodide has one

        self.add_done_callback(wake)

        async def until() -> None:
            try:
                await asyncio.wait_for(settled, timeout)
            except TimeoutError:
                pass

        block(until(), what=what, instead="await asyncio.wrap_future(future)")

    def result(self, timeout: float | None = None) -> Any:
        """The task's result, waiting up to ``timeout`` seconds (``None``: for ever).

        Raises
        ------
        TimeoutError
            (``concurrent.futures.TimeoutError``) if not done within ``timeout``.
        CancelledError
            if it was cancelled.
        BlockingError
            if it is not done and this Python cannot block (no JSPI).
        Exception
            the task's own exception, with the worker's traceback as ``__cause__``.
        """
        self._wait(timeout, "future.result()")
        return super().result(timeout=0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The task's exception or ``None``, waiting as :meth:`result` does."""
        self._wait(timeout, "future.exception()")
        return super().exception(timeout=0)


class PoolExecutor(concurrent.futures.Executor):
    """A ``WorkerPool`` as a ``concurrent.futures.Executor`` (``pool.executor``; the engine
    of ``pywebworker.futures.ProcessPoolExecutor``).

    ``submit`` returns a :class:`PoolFuture`, completed from the event loop: ``await
    asyncio.wrap_future(executor.submit(fn, x))`` and ``await loop.run_in_executor(
    pool.executor, fn, x)`` work everywhere (pywebworker teaches Pyodide's WebLoop, whose
    ``run_in_executor`` runs every function inline on the main thread, to hand this
    executor's work to the pool; other executors keep Pyodide's behaviour). Where Python
    can block (JSPI, ``pywebworker._blocking``), ``future.result()``, ``map``,
    ``shutdown(wait=True)``, ``concurrent.futures.wait`` and ``as_completed`` block as in
    CPython; elsewhere they raise ``BlockingError`` (a ``RuntimeError``) naming the
    ``await`` spelling (``shutdown`` then returns without waiting).

    The futures keep the standard contract (CPython's ``ProcessPoolExecutor``): a future
    is pending while its task waits for a worker, ``running()`` once a worker has it, and
    only a pending one can be cancelled (``cancel()`` returns ``False`` once it runs);
    ``shutdown(cancel_futures=True)`` cancels the pending ones (``cancelled()`` is
    ``True``) and lets the running ones finish; ``submit`` after ``shutdown`` raises
    ``RuntimeError``. A task's exception is re-raised as its own type (``except
    ValueError`` catches it) with the worker's traceback as ``__cause__``; as
    ``RemoteError`` only if it cannot be pickled, and for ``SystemExit``,
    ``KeyboardInterrupt`` and ``GeneratorExit`` raised in a task (they must not end the
    host's Python). A worker that crashes under a task fails it with
    ``WorkerFailedError``, and the pool replaces the worker (CPython's pool would break).
    """

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self._shutdown = False
        self._pending: set[concurrent.futures.Future[Any]] = set()  # submitted, not done
        _teach_webloop()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn(*args, **kwargs)`` in a free worker, by value (cloudpickle), as
        ``WorkerPool.submit``; returns a :class:`PoolFuture`.

        Raises
        ------
        RuntimeError
            after ``shutdown()`` (``"cannot schedule new futures after shutdown"``, as
            ``concurrent.futures``), and as ``WorkerStateError`` (also a
            ``RuntimeError``) if the pool is closed, killed or could not start.
        PayloadError, QueueFullError
            as ``WorkerPool.submit``.
        """
        return self._submit(capture, (fn, args, kwargs))

    def _submit(self, runner: Callable[..., Any], args: tuple[Any, ...]) -> PoolFuture:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        if not callable(args[0]):
            raise TypeError(f"fn must be callable, not {type(args[0]).__name__}")
        task = self.pool._task(runner, args, None)  # noqa: SLF001 - the pool's engine
        outer = PoolFuture()
        outer._task = task  # noqa: SLF001 - the joblib backend stops it on abort (WorkerPool._abandon)
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
                return
            try:
                outer.set_result(outcome(f.result()))
            except BaseException as err:  # noqa: BLE001 - the task's own exception
                outer.set_exception(err)

        def done(f: concurrent.futures.Future[Any]) -> None:
            self._pending.discard(f)
            if f.cancelled():
                inner.cancel()  # leaves the pool's queue

        self._pending.add(outer)
        inner.add_done_callback(settle)
        outer.add_done_callback(done)
        return outer

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1,
        buffersize: int | None = None,
    ) -> Iterator[Any]:
        """``map(fn, *iterables)`` in the workers: an iterator of the results in order,
        each waited for when it is reached (as ``ProcessPoolExecutor.map``). Every task
        is submitted now, ``chunksize`` items each.

        Parameters
        ----------
        timeout : float | None
            Seconds from this call until each result must be there.
        chunksize : int
            Items per task (>= 1).
        buffersize : int | None
            Not supported (Python 3.14's bounded map): ``None`` only.

        Raises
        ------
        BlockingError
            here, before anything is submitted, if this Python cannot block (its
            message names ``await pool.map(fn, items)``).
        TimeoutError
            from the iterator, past ``timeout``.
        Exception
            from the iterator, a task's own exception when its result is reached.
        """
        if buffersize is not None:
            raise ValueError("buffersize is not supported: pass None")
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        require("Executor.map()", "await pool.map(fn, items)")
        end = None if timeout is None else time.monotonic() + timeout
        items = list(zip(*iterables, strict=False))
        futures = [
            self._submit(capture_chunk, (fn, items[i:i + chunksize], True)) for i in range(0, len(items), chunksize)
        ]
        return _results(futures, end)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more tasks; ``cancel_futures``: cancel the pending futures (those no
        worker has taken); then close the pool (``pool.close()``). ``wait``: block
        until the running tasks are done and the workers stopped, where Python can
        block (else it returns at once: ``await pool.close()`` waits). Calling it again
        changes nothing but may cancel more."""
        self._shutdown = True
        if cancel_futures:
            for f in list(self._pending):
                f.cancel()  # False (and kept) for a running one
        closed = self.pool.close(cancel_queued=cancel_futures)
        if wait and can_block():
            block(closed, what="shutdown(wait=True)", instead="await pool.close()")


def _results(futures: list[PoolFuture], end: float | None) -> Iterator[Any]:
    """The chunks' results in order; cancels the rest if the caller stops early or a
    chunk raises (as CPython's ``Executor.map``)."""
    try:
        futures.reverse()  # pop from the end: the next chunk, and no reference kept to done ones
        while futures:
            f = futures.pop()
            yield from f.result(None if end is None else max(0.0, end - time.monotonic()))
    finally:
        for f in futures:
            f.cancel()


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

