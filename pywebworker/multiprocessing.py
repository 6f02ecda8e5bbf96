"""``multiprocessing.Pool`` on workers: the standard library's pool API, with PyWorkers for
processes.

Change ``import multiprocessing`` to ``from pywebworker import multiprocessing`` (or
``from multiprocessing import Pool, cpu_count`` to ``from pywebworker.multiprocessing
import Pool, cpu_count``): ``with Pool(2) as pool: pool.map(f, xs)`` blocks until the
workers answer, where Pyodide can block (JSPI: Chromium 137+, Node 26;
``pywebworker._blocking``). Elsewhere the blocking calls raise ``BlockingError`` (a
``RuntimeError``) at once; the ``*_async`` calls, callbacks and ``ready()`` still work.

What stays out, with a clear ``NotImplementedError``: ``Process``, ``Queue``, ``Pipe``,
``Manager``, ``Lock`` and the other names that share Python objects or memory between
processes. A PyWorker is its own Pyodide: it shares nothing with this one but messages.
Use ``Pool``, or ``PyWorker`` with messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import _js
from ._blocking import block, require
from ._errors import outcome
from ._pool import WorkerPool
from ._task import capture, capture_chunk

__all__ = ["AsyncResult", "MapResult", "Pool", "TimeoutError", "cpu_count"]

Callback = Callable[[Any], object] | None
ErrorCallback = Callable[[BaseException], object] | None


class TimeoutError(Exception):  # noqa: A001 - multiprocessing's own name
    """``AsyncResult.get(timeout)`` ran out of time (``multiprocessing.TimeoutError``)."""


def cpu_count() -> int:
    """The host's logical cores: ``navigator.hardwareConcurrency`` in a browser,
    ``os.availableParallelism()`` in Node (``multiprocessing.cpu_count``)."""
    return _js.runtime().cpu_count()


class AsyncResult:
    """The result of ``apply_async`` (``multiprocessing.pool.AsyncResult``)."""

    def __init__(
        self, pool: Pool, futures: list[asyncio.Future[Any]], unpack: Callable[[list[Any]], Any],
        callback: Callback, error_callback: ErrorCallback,
    ) -> None:
        self._pool = pool
        self._futures = futures
        self._unpack = unpack
        self._callback = callback
        self._error_callback = error_callback
        self._done: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._value: Any = None
        self._error: BaseException | None = None
        self._left = len(futures)
        if not futures:
            self._value = unpack([])
            self._finish()
        for f in futures:
            f.add_done_callback(self._one_done)

    def _one_done(self, f: asyncio.Future[Any]) -> None:
        if self._done.done():
            return
        self._left -= 1
        if f.cancelled():
            self._error = _terminated()
        elif f.exception() is not None:
            self._error = f.exception()
        else:
            try:
                outcome(f.result())
            except BaseException as exc:  # noqa: BLE001 - the task's own exception
                self._error = exc
        if self._error is not None:
            for other in self._futures:
                other.cancel()  # the rest of a map: not needed
            self._finish()
        elif self._left == 0:
            try:
                self._value = self._unpack([outcome(x.result()) for x in self._futures])
            except BaseException as exc:  # noqa: BLE001
                self._error = exc
            self._finish()

    def _finish(self) -> None:
        # Callbacks run on the host, in order of completion (multiprocessing runs them in
        # its result thread); one that raises is reported, never lost in a done callback.
        try:
            if self._error is None and self._callback is not None:
                self._callback(self._value)
            elif self._error is not None and self._error_callback is not None:
                self._error_callback(self._error)
        except Exception as exc:  # noqa: BLE001
            asyncio.get_event_loop().call_exception_handler({"message": "a Pool callback raised", "exception": exc})
        finally:
            self._done.set_result(None)

    def ready(self) -> bool:
        """Whether the call finished."""
        return self._done.done()

    def successful(self) -> bool:
        """Whether it finished without raising.

        Raises
        ------
        ValueError
            if it is not ready yet (as multiprocessing).
        """
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return self._error is None

    def wait(self, timeout: float | None = None) -> None:
        """Block until ready or ``timeout`` seconds passed.

        Raises
        ------
        BlockingError
            if it is not ready and this Python cannot block (no JSPI).
        """
        if self.ready() or timeout is not None and timeout <= 0:
            return

        async def until() -> None:
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._done), timeout)

        block(until(), what="AsyncResult.wait()", instead="a callback=, or polling ready()")

    def get(self, timeout: float | None = None) -> Any:
        """The result, waiting up to ``timeout`` seconds (``None``: for ever).

        Raises
        ------
        TimeoutError
            (``pywebworker.multiprocessing.TimeoutError``) if not ready in time.
        Exception
            the task's own exception, with the worker's traceback as ``__cause__``.
        BlockingError
            if it is not ready and this Python cannot block (no JSPI).
        """
        self.wait(timeout)
        if not self.ready():
            raise TimeoutError
        if self._error is not None:
            raise self._error
        return self._value


MapResult = AsyncResult  # multiprocessing.pool's name for map_async's result


class Pool:
    """``multiprocessing.Pool`` whose processes are PyWorkers (``WorkerPool`` underneath).

    Parameters
    ----------
    processes : int | None
        Workers (>= 1); default :func:`cpu_count`.
    initializer : callable | None
        ``initializer(*initargs)`` in every worker, before its first task.
    initargs : tuple
        Its arguments.
    maxtasksperchild : int | None
        A worker is replaced by a fresh one after this many tasks (a chunk is one).
    context : None
        Accepted for compatibility; must be ``None``.
    **pool_options
        Passed to ``WorkerPool`` (``packages``, ``index_url``, ``config``, ``name``...).

    Raises
    ------
    ValueError
        ``"Number of processes must be at least 1"`` (multiprocessing's words), a
        ``maxtasksperchild`` < 1, or a ``context`` other than ``None``.

    Notes
    -----
    As in CPython, leaving ``with Pool() as pool:`` calls :meth:`terminate`: the work
    must be collected inside the block (``map`` does). Callbacks run on the host's event
    loop. A task's exception is raised by ``get()`` as its own type, with the worker's
    traceback as ``__cause__``; ``SystemExit``/``KeyboardInterrupt`` in a task arrive as
    ``RemoteError`` (they must not end the host's Python). A worker that crashes under
    a task fails that task with ``WorkerFailedError`` and is replaced.
    """

    def __init__(
        self, processes: int | None = None, initializer: Callable[..., Any] | None = None,
        initargs: Iterable[Any] = (), maxtasksperchild: int | None = None, context: Any = None,
        **pool_options: Any,
    ) -> None:
        if processes is None:
            processes = cpu_count()
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if maxtasksperchild is not None and (not isinstance(maxtasksperchild, int) or maxtasksperchild <= 0):
            raise ValueError("maxtasksperchild must be a positive int or None")
        if context is not None:
            raise ValueError("context must be None: workers are PyWorkers, not forked or spawned processes")
        pool_options.setdefault("name", "mp-pool")
        self._pool = WorkerPool(
            processes, initializer=initializer, initargs=initargs, max_tasks_per_child=maxtasksperchild,
            **pool_options,
        )
        self._processes = processes
        self._state = "RUN"  # RUN, CLOSE, TERMINATE (multiprocessing.pool's)

    # -- async -------------------------------------------------------------------------
    def _check_running(self) -> None:
        if self._state != "RUN":
            raise ValueError("Pool not running")

    def apply_async(
        self, func: Callable[..., Any], args: Iterable[Any] = (), kwds: dict[str, Any] | None = None,
        callback: Callback = None, error_callback: ErrorCallback = None,
    ) -> AsyncResult:
        """``func(*args, **kwds)`` in a worker; returns an :class:`AsyncResult` at once.

        Raises
        ------
        ValueError
            ``"Pool not running"`` after :meth:`close` or :meth:`terminate`.
        PayloadError
            if ``func`` or an argument cannot be pickled.
        """
        self._check_running()
        f = self._pool.apply(capture, (func, tuple(args), dict(kwds or {})))
        return AsyncResult(self, [f], lambda r: r[0], callback, error_callback)

    def map_async(
        self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int | None = None,
        callback: Callback = None, error_callback: ErrorCallback = None,
    ) -> AsyncResult:
        """``list(map(func, iterable))`` in the workers, in chunks; an :class:`AsyncResult`."""
        return self._map_async(func, iterable, chunksize, callback, error_callback, star=False)

    def starmap_async(
        self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]], chunksize: int | None = None,
        callback: Callback = None, error_callback: ErrorCallback = None,
    ) -> AsyncResult:
        """``[func(*args) for args in iterable]`` in the workers; an :class:`AsyncResult`."""
        return self._map_async(func, iterable, chunksize, callback, error_callback, star=True)

    def _map_async(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int | None,
        callback: Callback, error_callback: ErrorCallback,
        *, star: bool,
    ) -> AsyncResult:
        self._check_running()
        items = [tuple(x) for x in iterable] if star else list(iterable)
        size = self._chunksize(len(items), chunksize)
        futures = [
            self._pool.apply(capture_chunk, (func, items[i:i + size], star)) for i in range(0, len(items), size)
        ]
        return AsyncResult(self, futures, lambda parts: [x for part in parts for x in part], callback, error_callback)

    def _chunksize(self, n: int, chunksize: int | None) -> int:
        if chunksize is None:  # multiprocessing's: about four chunks per process
            chunksize, extra = divmod(n, self._processes * 4)
            return max(1, chunksize + bool(extra))
        if chunksize < 1:
            raise ValueError(f"Chunksize must be 1+, not {chunksize:n}")
        return chunksize

    # -- blocking ----------------------------------------------------------------------
    def apply(self, func: Callable[..., Any], args: Iterable[Any] = (), kwds: dict[str, Any] | None = None) -> Any:
        """``func(*args, **kwds)`` in a worker, waited for (JSPI; else ``BlockingError``)."""
        return self.apply_async(func, args, kwds).get()

    def map(self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int | None = None) -> list[Any]:
        """``list(map(func, iterable))`` in the workers, waited for; the first exception
        of a task is raised, as its own type."""
        self._need_block("Pool.map()")
        return self.map_async(func, iterable, chunksize).get()  # type: ignore[no-any-return]

    def starmap(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]], chunksize: int | None = None) -> Any:
        """``[func(*args) for args in iterable]`` in the workers, waited for."""
        self._need_block("Pool.starmap()")
        return self.starmap_async(func, iterable, chunksize).get()

    def imap(self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:
        """``map`` as an iterator: results in order, each waited for when reached."""
        self._need_block("Pool.imap()")
        results = [r for r in self._chunks(func, iterable, chunksize)]
        return _in_order(results)

    def imap_unordered(self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:
        """``map`` as an iterator of results as they finish."""
        self._need_block("Pool.imap_unordered()")
        return _as_finished(self._chunks(func, iterable, chunksize))

    def _chunks(self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int) -> list[AsyncResult]:
        self._check_running()
        if chunksize < 1:
            raise ValueError(f"Chunksize must be 1+, not {chunksize:n}")
        items = list(iterable)
        return [self.map_async(func, items[i:i + chunksize], chunksize) for i in range(0, len(items), chunksize)]

    @staticmethod
    def _need_block(what: str) -> None:
        require(what, "map_async(..., callback=...) or apply_async, or WorkerPool's `await pool.map(...)`")

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        """No more tasks; the queued ones finish, then the workers stop."""
        if self._state == "RUN":
            self._state = "CLOSE"
            self._pool.close()

    def terminate(self) -> None:
        """Stop the workers now; pending results fail."""
        if self._state == "TERMINATE":
            return
        self._state = "TERMINATE"
        self._pool.kill()

    def join(self) -> None:
        """Wait until the workers stopped (after :meth:`close` or :meth:`terminate`).

        Raises
        ------
        ValueError
            ``"Pool is still running"`` before ``close()``/``terminate()``.
        BlockingError
            if work remains and this Python cannot block.
        """
        if self._state == "RUN":
            raise ValueError("Pool is still running")
        if self._pool.state not in ("closed", "killed"):
            block(self._pool.close(), what="Pool.join()", instead="await pool._pool.close()")

    def __enter__(self) -> Pool:
        self._check_running()
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    def __repr__(self) -> str:
        return f"<pywebworker.multiprocessing.Pool state={self._state} pool_size={self._processes}>"


def _terminated() -> BaseException:
    from ._errors import WorkerKilledError

    return WorkerKilledError("the pool was terminated before the task finished")


def _in_order(results: list[AsyncResult]) -> Iterator[Any]:
    for r in results:
        yield from r.get()


def _as_finished(results: list[AsyncResult]) -> Iterator[Any]:
    left = list(results)
    while left:
        ready = [r for r in left if r.ready()]
        if not ready:
            waiting = [asyncio.shield(r._done) for r in left]  # noqa: SLF001 - this module's class
            block(asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED), what="Pool.imap_unordered()",
                  instead="map_async")
            continue
        for r in ready:
            left.remove(r)
            yield from r.get()


_OUT = {"Process", "Queue", "SimpleQueue", "JoinableQueue", "Pipe", "Manager", "Lock", "RLock", "Semaphore",
        "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array", "get_context", "set_start_method",
        "get_start_method", "shared_memory"}


def __getattr__(name: str) -> Any:
    if name in _OUT:
        raise NotImplementedError(
            f"pywebworker.multiprocessing has no {name}: a PyWorker is its own Pyodide and shares no Python "
            "objects or memory with this one. Use Pool (map, apply_async...), or a PyWorker and its messages"
        )
    raise AttributeError(f"module 'pywebworker.multiprocessing' has no attribute {name!r}")
