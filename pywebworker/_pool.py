"""WorkerPool: PyWorkers that run functions sent by value (cloudpickle), in parallel.

Each worker is a PyWorker started with ``_tasks`` (it serves ``_task.run_task``) that
runs one task at a time; tasks wait in this pool's queue, in order, for a free worker.
Workers take spares (``prestart``) when they start. A worker that crashes or is killed
is replaced; one that runs a task past its timeout is interrupted where there is shared
memory (``PyWorker.interrupt()``), and replaced if that does not stop the task in time or
there is none.
"""

from __future__ import annotations

import asyncio
import collections
import math
import operator
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import _config, _display, _js
from ._errors import (
    PayloadError,
    PyWebWorkerError,
    QueueFullError,
    RemoteError,
    WorkerFailedError,
    WorkerKilledError,
    WorkerStartError,
    WorkerStateError,
)
from ._futures import retrieve
from ._named import check_name
from ._task import TASK_EXPORT, as_wire, from_wire, run_chunk
from ._timeouts import deadline
from ._worker import PyWorker, _strs

if TYPE_CHECKING:
    from ._executor import PoolExecutor


# Seconds a task interrupted at its timeout has to stop before its worker is killed.
INTERRUPT_GRACE = 2.0
# Workers in a row of one slot that may be killed or crash before they are ready before
# the pool gives up (a worker whose script or packages fail stops the pool at once).
MAX_LOST_STARTS = 3


def _pickle(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    import cloudpickle

    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    try:
        return bytes(cloudpickle.dumps((fn, args, kwargs)))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # PicklingError, TypeError, RecursionError, a __reduce__ raising SystemExit...
        what = getattr(fn, "__qualname__", type(fn).__name__)
        raise PayloadError(f"cannot send {what}() and its arguments to a worker: {type(exc).__name__}: {exc}") from exc


def _unpickle(wire: bytes | str) -> Any:
    import cloudpickle

    try:
        return cloudpickle.loads(from_wire(wire))
    except BaseException as exc:  # a module the host lacks, a class that changed, sys.exit as a reducer...
        # Even KeyboardInterrupt or SystemExit: raised from a done callback, they would
        # escape the event loop and leave the task's future pending for ever.
        raise PayloadError(f"the task's result cannot be unpickled on the host: {type(exc).__name__}: {exc}") from exc


class _Task:
    """One unit of work: a pickled call (``name is None``) or a call of an export."""

    __slots__ = (
        "args", "blob", "cancel_timer", "expired", "future", "label", "name", "on_start", "retries", "timeout",
    )

    def __init__(
        self, future: asyncio.Future[Any], label: str, *, blob: bytes | None = None, name: str | None = None,
        args: tuple[Any, ...] = (), timeout: float | None = None, retries: int = 0,
    ) -> None:
        self.future = future
        self.label = label
        self.blob = blob
        self.name = name
        self.args = args
        self.timeout = timeout
        self.retries = retries
        self.expired = False  # ran past its timeout
        self.cancel_timer: Callable[[], None] | None = None
        self.on_start: Callable[[], object] | None = None  # called when a worker takes it (the executor)
        # Settled (or cancelled while it waits in the queue): its payload is not needed.
        future.add_done_callback(self._release)

    def _release(self, _: object) -> None:
        self.blob, self.args = None, ()


class _Slot:
    """A place for one worker: replaced workers take the same slot."""

    __slots__ = ("done", "lost", "ready", "task", "worker")

    def __init__(self, worker: PyWorker) -> None:
        self.worker = worker
        self.ready = False
        self.task: _Task | None = None
        self.lost = 0  # workers in a row that died before they were ready (reset once one is)
        self.done = 0  # tasks its worker finished (max_tasks_per_child)


class WorkerPool:
    """A pool of PyWorkers that run your functions in parallel, each in its own Pyodide.

    Functions travel by value with cloudpickle (as in Dask, Ray and loky): a function
    defined in a notebook cell, a lambda or a closure runs in a worker. Arguments and
    results are pickled too, so any picklable value works (not only JSON). Each worker
    runs one task at a time; the others wait in the pool's queue, first in first out.
    The pool's workers take spares started by ``prestart`` (same ``packages``,
    ``index_url`` and ``snapshot``): then they are ready in milliseconds.

    Parameters
    ----------
    size : int | None
        Workers. Default: the machine's cores minus one (``navigator.hardwareConcurrency``;
        ``os.availableParallelism()`` in Node), at least 1.
    packages : Iterable[str]
        Installed in every worker, as for ``PyWorker`` (and needed by your functions
        when they import them).
    script : str | None
        Python run in every worker before it serves tasks; the functions it lists in
        ``__export__`` are called with :meth:`call`. Its top level must end.
    index_url, index_urls
        As for ``PyWorker``: where the workers load Pyodide and install packages from.
    config : Mapping | str | None
        As for ``PyWorker`` (PyScript's keys: ``packages``, ``files``, ``env``,
        ``argv``, ``cwd``, ``interpreter``), for every worker of the pool; checked
        here, before any worker starts.
    name : str | None
        A name for the pool; its workers are ``<name>-1``, ``<name>-2``...
    max_pending : int | None
        The most tasks waiting for a worker (not counting running ones): beyond it
        :meth:`submit` raises ``QueueFullError`` and :meth:`map` /
        :meth:`imap_unordered` wait for room. ``None``: no limit.
    snapshot : bool
        As for ``PyWorker``, for every worker the pool starts, replacements included:
        ``True`` (default) boots each from the host's memory snapshot of its Pyodide
        where there is one (about a fifth of a plain boot's time; the session's first
        PyWorker of that Pyodide makes it, so a fresh session's pool whose workers
        start together boots them plainly, one of them making it);
        ``False`` loads Pyodide from scratch in each. Workers take only spares
        (``prestart``) with the same setting. ``pywebworker.set_snapshots(False)``
        turns snapshots off for every pool too.

    initializer : callable | None
        Run as ``initializer(*initargs)`` in every worker, replacements included,
        before its first task (``concurrent.futures`` and ``multiprocessing``'s
        ``initializer``); it travels by value. One that raises is a failed start
        (``WorkerStartError``, "the pool's initializer raised"): the pool stops.
    initargs : Iterable
        Its arguments, pickled once.
    max_tasks_per_child : int | None
        Replace a worker by a fresh one after it ran this many tasks (a map's chunk
        counts as one); ``None``: never (``multiprocessing``'s ``maxtasksperchild``).
        ``retired`` counts them.

    Raises
    ------
    TypeError, ValueError
        for a ``size`` or ``max_pending`` that is not an int >= 1, ``packages`` that
        are not strings, a ``snapshot`` that is not a ``bool`` (``TypeError``), or a
        ``config`` that ``PyWorker`` refuses. Nothing starts then.

    Examples
    --------
    >>> async with WorkerPool(2) as pool:
    ...     squares = await pool.map(lambda x: x * x, range(10))
    >>> squares[:4]
    [0, 1, 4, 9]
    """

    def __init__(
        self,
        size: int | None = None,
        *,
        packages: Iterable[str] | str = (),
        script: str | None = None,
        index_url: str | None = None,
        index_urls: Iterable[str] | str | None = None,
        name: str | None = None,
        max_pending: int | None = None,
        config: Mapping[str, Any] | str | None = None,
        snapshot: bool = True,
        initializer: Callable[..., Any] | None = None,
        initargs: Iterable[Any] = (),
        max_tasks_per_child: int | None = None,
    ) -> None:
        if not isinstance(snapshot, bool):
            raise TypeError(f"snapshot must be a bool, not {type(snapshot).__name__}")
        self.snapshot = snapshot
        if initializer is not None and not callable(initializer):
            raise TypeError(f"initializer must be callable, not {type(initializer).__name__}")
        # Run in every worker (replacements too) before its first task.
        self._init_blob = None if initializer is None else _pickle(initializer, tuple(initargs), {})
        self.max_tasks_per_child = None if max_tasks_per_child is None else _positive(
            max_tasks_per_child, "max_tasks_per_child"
        )
        self.retired = 0  # workers replaced after max_tasks_per_child tasks
        self.config = None if config is None else _config.load(config)
        if size is None:
            size = max(1, _js.runtime().cpu_count() - 1)
        self.size = _positive(size, "size")
        self.max_pending = None if max_pending is None else _positive(max_pending, "max_pending")
        if script is not None and not isinstance(script, str):
            raise TypeError(f"script must be str, not {type(script).__name__}")
        self.packages = _strs(packages, "packages")
        self.index_urls = None if index_urls is None else _strs(index_urls, "index_urls")
        self.index_url = index_url
        self.script = script or ""
        check_name(name, "a pool's name")
        self.name = name or f"pool-{id(self) & 0xFFFF:04x}"
        self.done = 0  # tasks that returned a result
        self.failed = 0  # tasks that raised (in the worker, by timeout, or a crash)
        self.replaced = 0  # workers replaced after a crash, a kill or a timeout
        self._state = "running"  # running, closing, closed, killed
        self._queue: collections.deque[_Task] = collections.deque()
        self._count = 0
        self._loop = asyncio.get_event_loop()
        self._started = time.monotonic()
        self._start_error: BaseException | None = None
        self._proven = False  # a worker of this pool was ready once: its script and packages work
        self._ready = self._loop.create_future()
        self._closed = self._loop.create_future()
        self._room: asyncio.Future[None] | None = None
        self._executor: PoolExecutor | None = None
        self._slots = [_Slot(self._new_worker()) for _ in range(self.size)]
        for slot in self._slots:
            self._watch(slot)

    # -- workers ---------------------------------------------------------------------------
    def _new_worker(self) -> PyWorker:
        self._count += 1
        worker = PyWorker(
            self.script, packages=self.packages, index_urls=self.index_urls, index_url=self.index_url,
            name=f"{self.name}-{self._count}", config=self.config, snapshot=self.snapshot, _tasks=True,
        )
        worker.start()
        return worker

    def _watch(self, slot: _Slot) -> None:
        task = self._loop.create_task(self._until_ready(slot))
        task.add_done_callback(retrieve)

    async def _until_ready(self, slot: _Slot) -> None:
        worker = slot.worker
        try:
            await worker.ready(progress=False)  # in the background: no progress line
            if self._init_blob is not None:
                await self._initialize(worker)
        except BaseException as exc:
            if self._state == "killed" or slot.worker is not worker:
                return
            # Killed or crashed while it started (its owner, a JS error, an out-of-memory
            # tab): replaced, as a worker that dies later is. Before any worker of the
            # pool was ready, a failed start (the script raised, a package is missing)
            # would fail again in every worker: the pool stops. It stops too after
            # MAX_LOST_STARTS lost starts in a row in one slot.
            slot.lost += 1
            first = isinstance(exc, WorkerStartError) and not self._proven
            if first or slot.lost >= MAX_LOST_STARTS:
                self._broken(exc)
            else:
                self._replace(slot)
            return
        if slot.worker is worker and self._state in ("running", "closing"):
            slot.ready = True
            slot.lost = 0
            self._proven = True
            if not self._ready.done() and all(s.ready for s in self._slots):
                self._ready.set_result(None)
            self._pump()

    async def _initialize(self, worker: PyWorker) -> None:
        """Run the pool's ``initializer`` in ``worker``; a raise is a failed start
        (``WorkerStartError``): it would raise in every worker."""
        try:
            await worker.call(TASK_EXPORT, as_wire(self._init_blob))  # type: ignore[arg-type]
        except RemoteError as exc:
            if worker.state != "running":
                raise
            raise WorkerStartError(
                exc.remote_type, f"the pool's initializer raised: {exc.remote_message}", exc.remote_traceback
            ) from None

    def _broken(self, exc: BaseException) -> None:
        """A worker could not start: the pool cannot serve; every queued task and
        ``ready()`` raise why, and the workers stop. The first failure is why: the
        others follow from it (the workers this stops report their kill)."""
        if self._start_error is not None:
            return
        self._start_error = exc
        if not self._ready.done():
            self._ready.set_exception(exc)
            self._ready.exception()  # retrieved: ready() raises it for whoever awaits
        self._stop(exc)

    def _replace(self, slot: _Slot) -> None:
        old = slot.worker
        old.kill()
        slot.ready = False
        slot.task = None
        slot.done = 0
        if self._state not in ("running", "closing") or self._start_error is not None:
            return
        self.replaced += 1
        slot.worker = self._new_worker()
        self._watch(slot)

    # -- scheduling ------------------------------------------------------------------------
    def _pump(self) -> None:
        """Give queued tasks to free workers; stop once closing and all is done."""
        queue = self._queue
        if queue:
            for slot in self._slots:
                if not queue:
                    break
                if slot.ready and slot.task is None:
                    while queue and queue[0].future.done():  # cancelled while queued
                        queue.popleft()
                    if queue:
                        self._run(slot, queue.popleft())
            if self._room is not None and (self.max_pending is None or len(queue) < self.max_pending):
                room, self._room = self._room, None
                if not room.done():
                    room.set_result(None)
        if self._state == "closing" and not queue and not any(s.task for s in self._slots):
            self._stop(None)

    def _run(self, slot: _Slot, task: _Task) -> None:
        worker = slot.worker
        if worker.state != "running":  # it died while idle: its replacement takes the task
            self._queue.appendleft(task)
            self._replace(slot)
            return
        slot.task = task
        if task.on_start is not None:
            task.on_start()
        if task.name is None:
            call = asyncio.ensure_future(worker.call(TASK_EXPORT, as_wire(task.blob)))  # type: ignore[arg-type]
        else:
            call = asyncio.ensure_future(worker.call(task.name, *task.args))
        if task.timeout is not None:
            task.cancel_timer = _js.runtime().set_timeout(lambda: self._expire(slot, worker, call), task.timeout)
        call.add_done_callback(lambda c: self._settle(slot, worker, task, c))

    def _expire(self, slot: _Slot, worker: PyWorker, call: asyncio.Future[Any]) -> None:
        """The task ran past its timeout: interrupt its Python (KeyboardInterrupt, where
        there is shared memory), and kill the worker if it does not answer within
        ``INTERRUPT_GRACE`` seconds (or at once, without shared memory)."""
        if call.done() or slot.worker is not worker or slot.task is None:
            return
        task = slot.task
        task.expired = True
        try:
            worker.interrupt()  # the public path: SharedMemoryError without shared memory
        except PyWebWorkerError:
            self._give_up(slot, worker, call)
        else:
            task.cancel_timer = _js.runtime().set_timeout(lambda: self._give_up(slot, worker, call), INTERRUPT_GRACE)

    def _give_up(self, slot: _Slot, worker: PyWorker, call: asyncio.Future[Any]) -> None:
        if not call.done() and slot.worker is worker:
            self._replace(slot)  # the call rejects, and _settle says why

    def _settle(self, slot: _Slot, worker: PyWorker, task: _Task, call: asyncio.Future[Any]) -> None:
        if task.cancel_timer is not None:
            task.cancel_timer()
            task.cancel_timer = None
        if slot.worker is worker:
            slot.task = None
        future = task.future
        exc = None if call.cancelled() else call.exception()
        if task.expired:
            if slot.worker is worker and worker.state == "running":
                worker._port.interrupt(0)  # noqa: SLF001 - a late interrupt must not hit the next task
                how = "it was interrupted (KeyboardInterrupt in the worker), and its worker kept"
            else:
                how = f"its worker {worker.name} was killed and replaced"
            self._fail(future, TimeoutError(f"{task.label} ran longer than {task.timeout} s: {how}"))
        elif exc is None and not call.cancelled():
            if not future.done():
                try:
                    future.set_result(call.result() if task.name is not None else _unpickle(call.result()))
                    self.done += 1
                except PayloadError as err:
                    future.set_exception(err)
                    self.failed += 1
            self._retire_after(slot, worker)
        elif isinstance(exc, (WorkerFailedError, WorkerKilledError)) or worker.state in ("killed", "failed"):
            if self._state == "killed":
                self._fail(future, WorkerKilledError(f"{self.name} was killed while {task.label} ran"), quiet=True)
            elif task.retries > 0 and not future.done():
                task.retries -= 1
                self._queue.appendleft(task)
            elif isinstance(exc, WorkerFailedError):
                self._fail(future, exc)
            else:  # killed under the task (by its owner, or a JS error)
                self._fail(future, WorkerFailedError(
                    type(exc).__name__ if exc else "Error", f"{worker.name} stopped while {task.label} ran: {exc}"
                ))
            if slot.worker is worker:
                self._replace(slot)
        else:
            self._fail(future, exc)
            self._retire_after(slot, worker)
        self._pump()

    def _retire_after(self, slot: _Slot, worker: PyWorker) -> None:
        """``max_tasks_per_child``: a worker that finished that many tasks is replaced
        by a fresh one (``multiprocessing.Pool(maxtasksperchild=)``)."""
        if slot.worker is not worker or self.max_tasks_per_child is None:
            return
        slot.done += 1
        if slot.done >= self.max_tasks_per_child and self._state in ("running", "closing"):
            self.retired += 1
            self.replaced -= 1  # _replace counts it; a retirement is not a failure
            self._replace(slot)

    def _fail(self, future: asyncio.Future[Any], exc: BaseException | None, *, quiet: bool = False) -> None:
        """Fail ``future``; ``quiet``: the pool's owner stopped it (kill, close), so a
        future nobody awaits is not logged as "exception was never retrieved" (10 000
        lines after a kill); awaiting it still raises."""
        if not future.done():
            future.set_exception(exc or asyncio.CancelledError())
            self.failed += 1
            if quiet:
                future.exception()

    def _stop(self, exc: BaseException | None, *, quiet: bool = False) -> None:
        """Stop every worker; fail what is queued (with ``exc``, or as killed)."""
        queued, self._queue = list(self._queue), collections.deque()
        for task in queued:
            why = exc or WorkerKilledError(f"{self.name} stopped before {task.label} ran")
            self._fail(task.future, why, quiet=quiet)
        for slot in self._slots:
            slot.worker.kill()
            slot.ready = False
        if self._state in ("running", "closing"):
            self._state = "closed"
        if self._room is not None and not self._room.done():
            self._room.set_result(None)
        if not self._closed.done():
            self._closed.set_result(None)

    def _enqueue(self, task: _Task) -> asyncio.Future[Any]:
        if self._start_error is not None:
            raise WorkerStateError(f"{self.name} could not start its workers: {self._start_error}")
        if self._state != "running":
            raise WorkerStateError(f"{self.name} is {self._state}: it takes no more tasks")
        if self._full():
            raise QueueFullError(f"{self.name} has {len(self._queue)} tasks waiting (max_pending={self.max_pending})")
        self._queue.append(task)
        self._pump()
        return task.future

    def _abandon(self, task: _Task) -> None:
        """Stop ``task`` (the joblib backend's abort): a queued one leaves the queue
        (its future cancelled); a running one has its worker killed and replaced, the
        only way to stop Python in a worker (its future fails with
        ``WorkerFailedError``). Other tasks and workers go on."""
        if task.future.done():
            return
        for slot in self._slots:
            if slot.task is task:
                self._replace(slot)
                return
        task.future.cancel()  # leaves the queue (_pump skips it; _full drops it)

    def _full(self) -> bool:
        """Whether ``max_pending`` tasks wait (cancelled ones leave the queue first)."""
        if self.max_pending is None or len(self._queue) < self.max_pending:
            return False
        self._queue = collections.deque(t for t in self._queue if not t.future.done())
        return len(self._queue) >= self.max_pending

    async def _wait_room(self) -> None:
        while self._state == "running" and self._full():
            if self._room is None:
                self._room = self._loop.create_future()
            await asyncio.shield(self._room)

    # -- the API ---------------------------------------------------------------------------
    async def ready(self, timeout: float | None = None, *, progress: bool | None = None) -> WorkerPool:
        """Wait until every worker is ready; returns ``self``.

        Parameters
        ----------
        timeout : float | None
            Seconds; ``None`` waits for ever.
        progress : bool | None
            In a notebook (an IPython kernel), a pool that is not ready yet shows a
            line with how many workers are ready and the stage of each other one, then
            a one-line summary; as ``PyWorker.ready``'s.

        Raises
        ------
        WorkerStartError
            if a worker failed to start (its script raised, a package could not be
            installed) before any worker of the pool was ready, or one slot lost
            ``MAX_LOST_STARTS`` (3) workers in a row before they were ready: the pool
            is unusable, its workers are stopped. A worker killed or crashing while
            it starts is otherwise replaced, as one that dies later is.
        WorkerKilledError
            if the pool was killed (before or after it was ready).
        TimeoutError
            after ``timeout`` seconds.
        """
        deadline(timeout)  # checks the value
        if self._state == "killed":  # also once ready: its workers are gone
            raise WorkerKilledError(f"{self.name} was killed")
        if self._start_error is not None and self._ready.done() and self._ready.exception() is None:
            raise self._start_error  # a replacement worker could not start: the pool stopped
        waiting = asyncio.wait_for(asyncio.shield(self._ready), timeout)
        line = None if self._ready.done() else _display.Progress.open(progress)
        if line is None:
            await waiting
        else:
            await line.follow(waiting, self._status, self._summary)
        return self

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        """Run ``fn(*args, **kwargs)`` in a free worker (``concurrent.futures``'s
        ``submit``, returning an ``asyncio.Future``).

        ``fn``, the arguments and the result travel by value (cloudpickle). A coroutine
        function is awaited in the worker. Cancelling the future (or the task awaiting
        it) removes a queued task; a running one runs to its end and its result is
        dropped.

        Returns
        -------
        asyncio.Future
            Its result is ``fn``'s. Awaiting it raises ``RemoteError`` (with the
            worker's traceback) if ``fn`` raised, ``WorkerFailedError`` if the worker
            crashed while running it, ``WorkerKilledError`` if the pool was killed
            first, ``PayloadError`` if the result cannot be unpickled on the host
            (a result the worker cannot pickle raises ``RemoteError`` with
            ``remote_type == "PayloadError"``).

        Raises
        ------
        PayloadError
            (also a ``TypeError``) if ``fn`` or an argument cannot be pickled.
        QueueFullError
            if ``max_pending`` tasks are already waiting.
        WorkerStateError
            if the pool is closed, killed, or could not start.
        """
        return self.apply(fn, args, kwargs)

    def apply(
        self, fn: Callable[..., Any], args: Iterable[Any] = (), kwargs: dict[str, Any] | None = None, *,
        timeout: float | None = None, retries: int = 0,
    ) -> asyncio.Future[Any]:
        """:meth:`submit` with a per-task ``timeout`` and ``retries``.

        Parameters
        ----------
        timeout : float | None
            Seconds the task may run, counted from when a worker starts it (not while
            it waits in the queue). Past it, the task raises ``TimeoutError``. Where
            there is shared memory (Node; a cross-origin isolated page) the worker's
            Python is interrupted first (``KeyboardInterrupt`` through Pyodide's
            interrupt buffer) and the worker kept if the task stops within
            ``INTERRUPT_GRACE`` (2) seconds (``PyWorker.interrupt()``); a task that
            catches the interrupt and runs on past those seconds, and every task where
            there is no shared memory (a page that is not cross-origin isolated), has
            its worker killed and replaced: Python in a worker cannot be stopped any
            other way. The ``TimeoutError``'s message says which happened.
        retries : int
            How many times to run the task again in another worker if its worker
            crashes or is killed under it (``WorkerFailedError``). Default 0: no
            silent retry. An exception ``fn`` raises is never retried.

        Returns
        -------
        asyncio.Future
            As :meth:`submit`.

        Raises
        ------
        TypeError, ValueError
            for a bad ``timeout`` or ``retries``; otherwise as :meth:`submit`.
        """
        return self._enqueue(self._task(fn, args, kwargs, timeout=timeout, retries=retries))

    def _task(
        self, fn: Callable[..., Any], args: Iterable[Any], kwargs: dict[str, Any] | None, *,
        timeout: float | None = None, retries: int = 0,
    ) -> _Task:
        """A pickled call of ``fn``, checked and not queued yet (``apply``, the executor)."""
        timeout = _seconds(timeout)
        retries = operator.index(retries)
        if retries < 0:
            raise ValueError(f"retries must be >= 0, not {retries}")
        args = tuple(args)
        blob = _pickle(fn, args, dict(kwargs or {}))
        label = f"{getattr(fn, '__qualname__', type(fn).__name__)}()"
        return _Task(self._loop.create_future(), label, blob=blob, timeout=timeout, retries=retries)

    def call(self, name: str, /, *args: Any, timeout: float | None = None) -> asyncio.Future[Any]:
        """Call ``name``, a function the pool's ``script`` lists in ``__export__``, on
        whichever worker is free (``PyWorker.call``'s payload rules: JSON values and
        bytes, not pickles).

        Returns
        -------
        asyncio.Future
            The function's result; raises as ``PyWorker.call`` (``NotExportedError``,
            ``RemoteError``), and ``TimeoutError`` past ``timeout`` seconds of running
            (the worker interrupted or replaced, as for :meth:`apply`).

        Raises
        ------
        QueueFullError, WorkerStateError
            as :meth:`submit`.
        """
        timeout = _seconds(timeout)
        if not isinstance(name, str):
            raise TypeError(f"name must be str, not {type(name).__name__}")
        task = _Task(self._loop.create_future(), f"{name}()", name=name, args=args, timeout=timeout)
        return self._enqueue(task)

    async def map(
        self, fn: Callable[..., Any], iterable: Iterable[Any], *, chunksize: int | None = None,
        timeout: float | None = None,
    ) -> list[Any]:
        """``[fn(x) for x in iterable]``, computed in the workers; results in input order.

        Items travel in chunks (one task each): ``chunksize`` items, by default about
        four chunks per worker (as ``multiprocessing.Pool.map``), so that small items
        do not each pay a round trip.

        Parameters
        ----------
        chunksize : int | None
            Items per task (>= 1).
        timeout : float | None
            Seconds each chunk may run (see :meth:`apply`).

        Returns
        -------
        list
            The results, in the order of ``iterable``.

        Raises
        ------
        RemoteError, WorkerFailedError, WorkerKilledError, PayloadError
            the first failure of a chunk; the other chunks are cancelled.
        """
        if not callable(fn):  # here, not as a RemoteError from every chunk
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        items = list(iterable)
        if not items:
            return []
        if chunksize is None:
            chunksize = max(1, math.ceil(len(items) / (4 * self.size)))
        chunksize = _positive(chunksize, "chunksize")
        futures: list[asyncio.Future[Any]] = []
        try:
            for i in range(0, len(items), chunksize):
                await self._wait_room()
                futures.append(self.apply(run_chunk, (fn, items[i:i + chunksize]), timeout=timeout))
            parts = await asyncio.gather(*futures)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        return [r for part in parts for r in part]

    async def imap_unordered(self, fn: Callable[..., Any], iterable: Iterable[Any]) -> AsyncIterator[Any]:
        """``fn(x)`` for each item, yielded as each finishes (``async for``).

        Items are submitted one task each, as room allows (``max_pending``). Leaving
        the loop early cancels the tasks not yet run.

        Raises
        ------
        RemoteError, WorkerFailedError, WorkerKilledError, PayloadError
            the first failure met; the tasks not yet run are cancelled.
        """
        # Each task says when it is done (a queue of finished futures): waiting costs
        # nothing per pending task, so a long input stays linear.
        finished: asyncio.Queue[asyncio.Future[Any]] = asyncio.Queue()
        pending: set[asyncio.Future[Any]] = set()

        async def next_done() -> Any:
            f = await finished.get()
            pending.discard(f)
            return f.result()

        try:
            for item in iterable:
                while self._full() and pending:
                    yield await next_done()
                f = self.submit(fn, item)
                pending.add(f)
                f.add_done_callback(finished.put_nowait)
                while not finished.empty():
                    yield await next_done()
            while pending:
                yield await next_done()
        finally:
            for f in pending:
                if not f.done():
                    f.cancel()
                elif not f.cancelled():  # left behind by a failure or a break: read, so not
                    f.exception()  # logged as "exception was never retrieved"

    def close(self, *, cancel_queued: bool = False) -> asyncio.Future[None]:
        """Take no more tasks; let the queued and running ones finish; then stop the
        workers (``concurrent.futures.Executor.shutdown``).

        Parameters
        ----------
        cancel_queued : bool
            Fail the tasks still waiting for a worker with ``WorkerKilledError`` instead
            of running them (``shutdown(cancel_futures=True)``).

        Returns
        -------
        asyncio.Future
            Resolves once every worker has stopped; awaiting it is optional.
        """
        if self._state == "running":
            self._state = "closing"
            if cancel_queued:
                queued, self._queue = list(self._queue), collections.deque()
                for task in queued:
                    self._fail(
                        task.future, WorkerKilledError(f"{self.name} was closed before {task.label} ran"), quiet=True
                    )
            self._pump()
        return asyncio.shield(self._closed)

    def kill(self) -> None:
        """Stop every worker now. Running and queued tasks raise ``WorkerKilledError``;
        ``ready()`` too if it is pending. Calling it again changes nothing."""
        if self._state == "killed":
            return
        was = self._state
        self._state = "killed"
        if not self._ready.done():
            self._ready.set_exception(WorkerKilledError(f"{self.name} was killed before it was ready"))
            self._ready.exception()
        if was != "closed":
            self._stop(WorkerKilledError(f"{self.name} was killed"), quiet=True)
        elif not self._closed.done():
            self._closed.set_result(None)

    terminate = kill

    @property
    def executor(self) -> PoolExecutor:
        """This pool as a ``concurrent.futures.Executor`` (see :class:`PoolExecutor`)."""
        if self._executor is None:
            from ._executor import PoolExecutor

            self._executor = PoolExecutor(self)
        return self._executor

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """``"running"``, ``"closing"`` (queued tasks finishing), ``"closed"`` or ``"killed"``."""
        return self._state

    @property
    def workers(self) -> list[PyWorker]:
        """The pool's current workers (a replaced worker is gone from here)."""
        return [s.worker for s in self._slots]

    @property
    def busy(self) -> int:
        """Workers running a task now."""
        return sum(1 for s in self._slots if s.task is not None)

    @property
    def queued(self) -> int:
        """Tasks waiting for a worker."""
        return sum(1 for t in self._queue if not t.future.done())

    def __repr__(self) -> str:
        return (
            f"<WorkerPool {self.name!r} {self._state} size={self.size} busy={self.busy} queued={self.queued} "
            f"done={self.done} failed={self.failed}>"
        )

    def _repr_html_(self) -> str:
        rows = [(s.worker.name, s.worker.state, self._doing(s), s.task.label if s.task else "") for s in self._slots]
        head = (
            f"WorkerPool {self.name} ({self._state}): size {self.size}, "
            f"busy {self.busy}, queued {self.queued}, done {self.done}, failed {self.failed}, "
            f"replaced {self.replaced}, up {time.monotonic() - self._started:.1f} s"
        )
        return _display.pool_html(head, rows)

    @staticmethod
    def _doing(slot: _Slot) -> str:
        """What a slot's worker does now: busy, idle, or the stage of its start."""
        if slot.task is not None:
            return "busy"
        if slot.ready:
            return "idle"
        stages = slot.worker._stages  # noqa: SLF001
        return _display.stage_name(slot.worker, stages[-1][0]) if stages else "starting"

    def _status(self) -> str:
        """The progress line of a pool that starts (ready(), in a notebook)."""
        ready = sum(1 for s in self._slots if s.ready)
        starting = ", ".join(f"{s.worker.name} {self._doing(s)}" for s in self._slots if not s.ready)
        return (f"⏳ {self.name}: {ready} of {self.size} workers ready"
                f"{'; ' + starting if starting else ''}, {time.monotonic() - self._started:.1f} s")

    def _summary(self, error: BaseException | None) -> str:
        took = f"{time.monotonic() - self._started:.1f} s"
        if error is None:
            return f"✓ {self.name} ready in {took}: {self.size} workers"
        if isinstance(error, TimeoutError):
            return f"⏳ {self.name}: still starting after {took} (ready() timed out)"
        return f"✗ {self.name} did not start ({took}): {type(error).__name__}: {error}"

    async def __aenter__(self) -> WorkerPool:
        try:
            await self.ready()
        except BaseException:
            self.kill()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            await self.close()
        else:
            self.kill()


def _seconds(timeout: float | None) -> float | None:
    """A task's timeout in seconds, checked (``_timeouts.deadline``); ``None`` for none."""
    return None if deadline(timeout) is None else float(timeout)  # type: ignore[arg-type]


def _positive(value: Any, what: str) -> int:
    n = operator.index(value)
    if n < 1:
        raise ValueError(f"{what} must be >= 1, not {n}")
    return n
