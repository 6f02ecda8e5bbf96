"""joblib's parallel backend ``"pywebworker"``: ``joblib.Parallel`` runs its batches in a
:class:`~pywebworker.WorkerPool`'s PyWorkers, blocking where JSPI lets Python block.

How it waits (joblib 1.6.0's ``Parallel._retrieve``, read for this): the backend takes
joblib's callback path (``supports_retrieve_callback``): a batch's future calls joblib's
callback from the event loop when its worker answers; joblib's own loop waits for those
with ``time.sleep(0.01)``, which Pyodide (0.29.3 and 314.0.7 at least:
``pyodide/webloop.py`` replaces ``time.sleep``) runs as ``run_sync(asyncio.sleep(...))``
where Python can block: the event loop runs while it sleeps (checked at each call: a
``time.sleep`` that does not is refused, as is a Python that cannot block). That path
gives every ``return_as`` (``"list"``, ``"generator"``, ``"generator_unordered"``),
joblib's ``timeout`` and its early abort on the first error. joblib's other path (a
blocking ``.get()`` on each job, ``supports_retrieve_callback = False``) has neither
``"generator_unordered"`` (it would wait for ever) nor an early abort, and blocks no
better. Where Python cannot block, nothing is sent and
:class:`~pywebworker._blocking.BlockingError` says so.
"""

from __future__ import annotations

import functools
import operator
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from joblib.parallel import (  # type: ignore[import-untyped,unused-ignore]
    AutoBatchingMixin,
    FallbackToBackend,
    ParallelBackendBase,
    SequentialBackend,
    register_parallel_backend,
)

from . import _js, _task
from ._blocking import BlockingError, can_block
from ._executor import PoolFuture
from ._pool import WorkerPool
from ._task import capture, run_calls

# The WorkerPool options the backend passes on (``parallel_config(backend="pywebworker",
# packages=[...])``, ``register(...)``); the pool's size is ``n_jobs``.
POOL_OPTIONS = frozenset({
    "packages", "index_url", "index_urls", "config", "snapshot", "initializer", "initargs", "max_tasks_per_child",
})

# Seconds an unused pool is kept for the next Parallel call (loky keeps its workers 300 s).
IDLE_TIMEOUT = 300.0

# How the BlockingError names what works everywhere.
INSTEAD = "async with WorkerPool(n) as pool: await pool.map(f, items)"


class _Entry:
    __slots__ = ("cancel", "key", "pool", "users")

    def __init__(self, key: tuple[int, str], pool: WorkerPool) -> None:
        self.key = key
        self.pool = pool
        self.users = 0
        self.cancel: Callable[[], None] | None = None  # the idle timer


# The pools the backend keeps between Parallel calls, by (size, options): the pools in
# use, and at most one idle one (closed IDLE_TIMEOUT seconds after its last use, or
# when another size or options is asked for).
_pools: dict[tuple[int, str], _Entry] = {}


def _acquire(size: int, options: dict[str, Any]) -> WorkerPool:
    key = (size, repr(sorted(options.items())))
    entry = _pools.get(key)
    if entry is not None and (entry.pool.state != "running" or entry.pool._start_error is not None):  # noqa: SLF001
        _drop(entry)  # closed, killed or could not start: a new one (its packages may be there now)
        entry = None
    for other in list(_pools.values()):
        if other is not entry and other.users == 0:
            _drop(other)  # one idle pool at most: its workers are whole Pyodides
    if entry is None:
        entry = _pools[key] = _Entry(key, WorkerPool(size, name=f"joblib-{size}", **options))
    if entry.cancel is not None:
        entry.cancel()
        entry.cancel = None
    entry.users += 1
    return entry.pool


def _release(pool: WorkerPool, idle_timeout: float) -> None:
    for entry in _pools.values():
        if entry.pool is pool:
            entry.users = max(0, entry.users - 1)
            if entry.users == 0 and entry.cancel is None:
                entry.cancel = _js.runtime().set_timeout(functools.partial(_drop, entry, only_idle=True), idle_timeout)
            return


def _drop(entry: _Entry, *, only_idle: bool = False) -> None:
    if only_idle and entry.users:
        return
    if _pools.get(entry.key) is entry:
        del _pools[entry.key]
    if entry.cancel is not None:
        entry.cancel()
        entry.cancel = None
    entry.pool.close()  # lets queued and running tasks finish, then stops its workers


def shutdown(*, kill: bool = False) -> None:
    """Close the pools the backend keeps between ``Parallel`` calls; the next call starts
    a new one. In Node, call it at the end: a pool's workers keep the process alive until
    its idle timeout (300 s by default).

    Parameters
    ----------
    kill : bool
        ``False``: the workers stop once their tasks are done (``WorkerPool.close``);
        ``True``: now, and those tasks raise ``WorkerKilledError`` (``WorkerPool.kill``).
    """
    for entry in list(_pools.values()):
        _drop(entry)
        if kill:
            entry.pool.kill()


def pools() -> list[WorkerPool]:
    """The pools the backend keeps now, in use or idle (``repr`` shows their state)."""
    return [entry.pool for entry in _pools.values()]


def _cannot_wait() -> str | None:
    """Why joblib's wait could not let the workers' answers in here, or ``None``."""
    if not can_block():
        return (
            "joblib.Parallel must wait for its workers, and this Python cannot block: that needs JSPI "
            "(pyodide.ffi.run_sync: Chromium 137+, Node 26, in a notebook cell or code run by runPythonAsync). "
            f"Use `{INSTEAD}` instead"
        )
    if getattr(time.sleep, "__wrapped__", None) is None:  # Pyodide's sleep wraps the C one
        return (
            "joblib.Parallel waits with time.sleep, and this Python's time.sleep does not let the event loop "
            "run (Pyodide's own, which does where JSPI is, was replaced). "
            f"Use `{INSTEAD}` instead"
        )
    return None


def _held(lock: Any) -> bool:
    """Whether joblib's ``RLock`` is held: in Pyodide's one thread, by code the event loop
    interrupted (an input generator that blocked while joblib dispatched)."""
    owned = getattr(lock, "_is_owned", None)
    return bool(owned()) if owned is not None else False


class WorkerPoolBackend(AutoBatchingMixin, ParallelBackendBase):  # type: ignore[misc]
    """joblib's parallel backend on a :class:`~pywebworker.WorkerPool`: each batch of
    ``delayed`` calls runs in a PyWorker, functions and arguments by value (cloudpickle).

    Registered as ``"pywebworker"`` by ``import pywebworker.joblib``; use it with
    ``joblib.parallel_config(backend="pywebworker", n_jobs=4)`` or
    ``Parallel(backend="pywebworker")``. It needs JSPI to wait (Chromium 137+, Node 26):
    elsewhere a ``Parallel`` with ``n_jobs`` other than 1 raises ``BlockingError``.

    ``n_jobs`` workers run the batches: ``-1`` is every core of the machine
    (``navigator.hardwareConcurrency``), ``-2`` all but one, and so on; ``1`` (and
    joblib's default, ``None``) runs the calls here, one after the other, as joblib's
    process backends do. A pool is kept between ``Parallel`` calls (per size and
    options; an idle one is closed after ``idle_timeout`` seconds or when another is
    needed), so only the first call waits for workers to boot. A task's exception is
    raised as its own type (``except ValueError`` catches it) with the worker's
    traceback as ``__cause__``; on the first error (or joblib's ``timeout``) the
    queued batches are dropped and the workers still running batches of that call are
    killed and replaced, as loky kills its workers.

    The calls of a batch travel as plain data (``BatchedCalls``' calls), so workers need
    joblib only if the functions use it. In a worker, a nested ``Parallel`` runs
    sequentially.

    Parameters
    ----------
    nesting_level, inner_max_num_threads
        joblib's (``inner_max_num_threads`` is not supported: workers run no thread
        pools).
    idle_timeout : float
        Seconds an unused pool is kept for the next call (default 300, as loky).
    **pool_options
        ``WorkerPool``'s ``packages``, ``index_url``, ``index_urls``, ``config``,
        ``snapshot``, ``initializer``, ``initargs``, ``max_tasks_per_child``: given to
        ``parallel_config(backend="pywebworker", packages=["numpy"])`` or
        :func:`register`.

    Raises
    ------
    TypeError
        for an option ``WorkerPool`` does not take (``size``: that is ``n_jobs``).
    """

    # register()'s options for every backend of its name, under parallel_config's own.
    defaults: dict[str, Any] = {}  # noqa: RUF012 - replaced, never mutated

    default_n_jobs = 1
    supports_retrieve_callback = True
    supports_return_generator = True
    supports_timeout = True
    supports_inner_max_num_threads = False
    supports_sharedmem = False
    uses_threads = False

    def __init__(
        self, nesting_level: int | None = None, inner_max_num_threads: int | None = None, **options: Any,
    ) -> None:
        options = {**self.defaults, **options}
        idle_timeout = options.pop("idle_timeout", IDLE_TIMEOUT)
        pool_options = options
        unknown = sorted(set(pool_options) - POOL_OPTIONS)
        if unknown:
            raise TypeError(
                f"the pywebworker backend takes no option {', '.join(map(repr, unknown))}: "
                f"WorkerPool's {', '.join(sorted(POOL_OPTIONS))} (and idle_timeout); n_jobs is the pool's size"
            )
        super().__init__(nesting_level=nesting_level, inner_max_num_threads=inner_max_num_threads, **pool_options)
        self.idle_timeout = float(idle_timeout)
        self.pool_options = dict(pool_options)
        self.parallel: Any = None
        self._pool: WorkerPool | None = None
        self._n_jobs = 0
        self._options = self.pool_options  # with those of the last Parallel(**backend_kwargs)
        # Submitted and not done, with the Parallel each is for and its pool: what an abort stops.
        self._running: dict[Any, tuple[Any, WorkerPool]] = {}

    def effective_n_jobs(self, n_jobs: int | None) -> int:
        """Workers ``n_jobs`` asks for: ``-1`` the machine's cores, ``-2`` one fewer...;
        ``None``: 1. In a pool's worker, 1 (a nested ``Parallel`` runs sequentially).

        Raises
        ------
        ValueError
            for ``n_jobs == 0`` (as joblib's backends).
        """
        if n_jobs == 0:
            raise ValueError("n_jobs == 0 in Parallel has no meaning")
        if n_jobs is None or _task.serving:
            return 1
        n = operator.index(n_jobs)
        if n < 0:
            n = max(_js.runtime().cpu_count() + 1 + n, 1)
        return n

    def configure(
        self, n_jobs: int | None = 1, parallel: Any = None, prefer: str | None = None, require: str | None = None,
        **backend_kwargs: Any,
    ) -> int:
        """Take a pool of ``effective_n_jobs(n_jobs)`` workers for ``parallel``; returns
        its size. ``backend_kwargs`` (``Parallel(..., packages=[...])``) may hold
        ``WorkerPool`` options, over the backend's own; joblib's memory-mapping options
        have no use here.

        Raises
        ------
        FallbackToBackend
            for one job: joblib runs the calls here, sequentially.
        BlockingError
            if this Python cannot wait for workers (no JSPI): nothing is sent.
        """
        n = self.effective_n_jobs(n_jobs)
        if n == 1:
            raise FallbackToBackend(SequentialBackend(nesting_level=self.nesting_level))
        why = _cannot_wait()
        if why is not None:
            raise BlockingError(why)
        self.parallel = parallel
        if "idle_timeout" in backend_kwargs:
            self.idle_timeout = float(backend_kwargs["idle_timeout"])
        options = {**self.pool_options, **{k: v for k, v in backend_kwargs.items() if k in POOL_OPTIONS}}
        if self._pool is not None and (self._n_jobs != n or self._options != options):
            self.terminate()
        self._n_jobs, self._options = n, options
        self._get_pool()
        return n

    def _get_pool(self) -> WorkerPool:
        if self._pool is not None and self._pool.state != "running":  # shutdown() between two calls
            self.terminate()
        if self._pool is None:  # (again, if a call's generator outlived its terminate())
            self._pool = _acquire(self._n_jobs or 2, self._options)
        return self._pool

    def submit(self, func: Callable[[], Any], callback: Callable[[Any], Any] | None = None) -> PoolFuture:
        """Send one of joblib's batches to the pool; ``callback(future)`` once it is done
        (from the event loop, as joblib's callback thread would).

        Raises
        ------
        PayloadError
            (a ``TypeError``) if a function or an argument cannot be pickled.
        """
        calls = getattr(func, "items", None)
        if isinstance(calls, list) and all(isinstance(c, tuple) and len(c) == 3 for c in calls):
            args: tuple[Any, ...] = (run_calls, ([tuple(c) for c in calls],), {})
        else:  # not a BatchedCalls: send it whole (the worker then needs joblib)
            args = (func, (), {})
        pool = self._get_pool()
        future = pool.executor._submit(capture, args)  # noqa: SLF001
        parallel = getattr(callback, "parallel", None)
        self._running[future] = (parallel, pool)
        future.add_done_callback(lambda f: self._running.pop(f, None))
        if callback is not None:
            future.add_done_callback(_when_free(getattr(parallel, "_lock", None), callback))
        return future

    def retrieve_result_callback(self, out: PoolFuture) -> Any:
        """The batch's results (``out`` is done); raises the task's own exception."""
        return out.result(timeout=0)

    def abort_everything(self, ensure_ready: bool = True) -> None:
        """Stop the batches of the ``Parallel`` call that aborts (joblib marks it
        ``_aborting`` first): the queued ones are dropped, the workers running the others
        are killed and replaced. The pool stays, for other calls and the next one."""
        for future, (parallel, pool) in list(self._running.items()):
            if parallel is not None and not getattr(parallel, "_aborting", True):
                continue  # another live call sharing this backend (one parallel_config block)
            del self._running[future]
            if future._task is not None:  # noqa: SLF001
                pool._abandon(future._task)  # noqa: SLF001
            else:
                future.cancel()

    def terminate(self) -> None:
        """The end of a ``Parallel`` call: its pool goes back to the kept ones (idle
        after ``idle_timeout`` seconds it is closed)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            _release(pool, self.idle_timeout)
        self.reset_batch_stats()  # batch_size="auto" starts again at 1 (as loky's)

    def get_nested_backend(self) -> tuple[Any, None]:
        """In a worker, a nested ``Parallel`` runs sequentially."""
        return SequentialBackend(nesting_level=(self.nesting_level or 0) + 1), None

    @contextmanager
    def retrieval_context(self) -> Iterator[None]:
        """Checks that the results can be waited for here (JSPI), as :meth:`configure` did:
        a ``return_as="generator"`` may be read where Python cannot block."""
        why = _cannot_wait()
        if why is not None:
            raise BlockingError(why)
        yield


def _when_free(lock: Any, callback: Callable[[Any], Any]) -> Callable[[Any], None]:
    """``callback`` for a future's done callbacks, run once joblib's lock is free: while
    code that holds it is suspended (an input generator that blocked), joblib's callback
    would dispatch from that very generator."""

    def run(future: Any) -> None:
        if lock is not None and _held(lock):
            import asyncio

            asyncio.get_event_loop().call_later(0.005, run, future)
            return
        callback(future)

    return run


def register(name: str = "pywebworker", *, make_default: bool = False, **options: Any) -> None:
    """Register the backend with joblib under ``name`` (``import pywebworker.joblib``
    does it for ``"pywebworker"``).

    Parameters
    ----------
    name : str
        The name ``parallel_config(backend=name)`` takes.
    make_default : bool
        Make it joblib's default backend (``Parallel()`` outside any ``parallel_config``).
    **options
        Defaults for every pool of this name: ``idle_timeout`` and ``WorkerPool``'s
        options (:class:`WorkerPoolBackend`); ``parallel_config``'s own override them.

    Raises
    ------
    TypeError
        for an option the backend does not take.
    """
    WorkerPoolBackend(**options)  # checks them now
    backend: type[WorkerPoolBackend] = WorkerPoolBackend
    if options:  # a subclass, so that BACKENDS[name] stays the class of its backends
        backend = type("WorkerPoolBackend", (WorkerPoolBackend,), {
            "defaults": {**WorkerPoolBackend.defaults, **options}, "__module__": __name__,
            "__doc__": f"WorkerPoolBackend registered as {name!r}, with {sorted(options)}.",
        })
    register_parallel_backend(name, backend, make_default=make_default)
