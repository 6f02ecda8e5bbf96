"""``concurrent.futures`` on workers: ``ProcessPoolExecutor`` whose processes are PyWorkers.

Change ``from concurrent.futures import ProcessPoolExecutor`` to ``from
pywebworker.futures import ProcessPoolExecutor`` and the rest of the code stays: ``with
ProcessPoolExecutor() as ex: list(ex.map(f, xs))``, ``ex.submit(f, x).result()``,
``concurrent.futures.wait`` and ``as_completed`` (the standard library's own, re-exported
here) block until the workers answer, where Pyodide can block (JSPI: Chromium 137+, Node
26; ``pywebworker._blocking``). Elsewhere each of them raises ``BlockingError`` (a
``RuntimeError``) at once, naming the ``await`` spelling, and ``submit`` with ``await
asyncio.wrap_future(future)`` still works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    CancelledError,
    Executor,
    Future,
    TimeoutError,  # noqa: A004 - concurrent.futures' own name
    as_completed,
    wait,
)
from typing import Any

from . import _js
from ._blocking import BlockingError
from ._executor import PoolExecutor, PoolFuture
from ._pool import WorkerPool

__all__ = [
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "BlockingError",
    "CancelledError",
    "Executor",
    "Future",
    "PoolFuture",
    "ProcessPoolExecutor",
    "TimeoutError",
    "as_completed",
    "wait",
]


class ProcessPoolExecutor(PoolExecutor):
    """CPython's ``concurrent.futures.ProcessPoolExecutor`` with PyWorkers for processes:
    each worker is its own Pyodide, functions and values travel by value (cloudpickle:
    a function defined in a notebook cell works).

    Parameters
    ----------
    max_workers : int | None
        Workers (>= 1). Default: the host's logical cores
        (``navigator.hardwareConcurrency``; ``os.availableParallelism()`` in Node), as
        CPython's default is ``os.process_cpu_count()``.
    mp_context : None
        Accepted for compatibility; must be ``None`` (there is no fork or spawn here).
    initializer : callable | None
        ``initializer(*initargs)`` runs in every worker before its first task; one that
        raises makes every pending and later future raise ``WorkerStartError`` (CPython:
        ``BrokenProcessPool``).
    initargs : tuple
        Its arguments.
    max_tasks_per_child : int | None
        A worker is replaced by a fresh one after this many tasks (a ``map`` chunk is one).
    **pool_options
        Passed to ``WorkerPool``: ``packages``, ``index_url``, ``index_urls``, ``config``,
        ``name``, ``snapshot``, ``max_pending``.

    Raises
    ------
    ValueError
        ``"max_workers must be greater than 0"`` (CPython's words) for ``max_workers``
        < 1; for an ``mp_context`` other than ``None``.
    TypeError
        for a non-callable ``initializer``, or a ``pool_options`` ``WorkerPool`` refuses.

    Notes
    -----
    The workers start at once, in the background (CPython starts processes on demand).
    ``shutdown(wait=True)`` (and leaving ``with``) waits for the running tasks and stops
    the workers. A worker that crashes under a task fails that task with
    ``WorkerFailedError`` and is replaced; CPython's pool would be broken for good.

    Examples
    --------
    >>> from pywebworker.futures import ProcessPoolExecutor
    >>> with ProcessPoolExecutor(2) as ex:
    ...     print(list(ex.map(pow, [2, 3], [5, 2])))
    [32, 9]
    """

    def __init__(
        self,
        max_workers: int | None = None,
        mp_context: Any = None,
        initializer: Callable[..., Any] | None = None,
        initargs: Iterable[Any] = (),
        *,
        max_tasks_per_child: int | None = None,
        **pool_options: Any,
    ) -> None:
        if max_workers is None:
            max_workers = _js.runtime().cpu_count()
        elif max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if mp_context is not None:
            raise ValueError("mp_context must be None: workers are PyWorkers, not forked or spawned processes")
        pool_options.setdefault("name", "process-pool")
        super().__init__(WorkerPool(
            max_workers, initializer=initializer, initargs=initargs, max_tasks_per_child=max_tasks_per_child,
            **pool_options,
        ))
        self._max_workers = max_workers

    def __repr__(self) -> str:
        return f"<pywebworker.futures.ProcessPoolExecutor max_workers={self._max_workers} {self.pool.state}>"
