"""Named workers: ``pywebworker.workers`` and ``create_named_worker``, as PyScript's.

A JsWorker or PyWorker constructed with ``name=`` is registered under that name when
it starts, and leaves the registry when it is killed or fails; then another worker
may take the name. Only names given by the user register: a ``WorkerPool``'s workers
(``<pool>-<n>``), ``prestart``'s spares and the default ``worker-<id>`` names do not,
so they can never collide with a user's names.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, Literal

from ._timeouts import deadline

if TYPE_CHECKING:
    from ._worker import PyWorker, _Worker


class _Default:
    """The ``timeout`` argument left out: ``workers.timeout`` applies."""

    def __repr__(self) -> str:
        return "workers.timeout"


_DEFAULT = _Default()


class Workers:
    """The registry of named workers, ``pywebworker.workers`` (PyScript's ``workers``).

    ``await workers["name"]`` resolves to the worker of that name once it is ready,
    also when the lookup comes before the worker is started. A name that nobody
    registers within ``workers.timeout`` seconds raises ``KeyError``.

    ``"name" in workers``, ``len(workers)`` and ``iter(workers)`` see the names of the
    live workers (started, neither killed nor failed), in the order they started.

    Attributes
    ----------
    timeout : float | None
        Seconds that a lookup waits for its name to be registered (default 30);
        ``None`` or ``float("inf")`` waits for ever. It bounds the wait for the
        name only: once the worker is found, the lookup waits for ``ready()`` as
        long as that takes (wrap it in ``asyncio.wait_for`` to bound both).

    Examples
    --------
    >>> calc = PyWorker("def add(a, b):\\n    return a + b\\n__export__ = ['add']", name="calc")
    >>> calc.start()                          # anywhere else, even before this line:
    >>> worker = await workers["calc"]         # the same PyWorker, ready
    >>> await worker.exports.add(2, 3)
    5
    """

    def __init__(self) -> None:
        self.timeout: float | None = 30.0
        self._live: dict[str, _Worker] = {}
        self._waiting: dict[str, list[asyncio.Future[_Worker]]] = {}

    # -- the registry, kept by _worker.py ----------------------------------------------
    def _add(self, worker: _Worker, name: str) -> None:
        """Register ``worker`` as ``name`` (its ``start()``, before it starts the thread);
        ``_started`` wakes the lookups once that did not raise.

        Raises
        ------
        ValueError
            if a live worker already has that name; nothing is changed.
        """
        other = self._find(name)
        if other is not None:
            raise ValueError(f"a worker named {name!r} is already running ({other!r}): kill it first")
        self._live[name] = worker

    def _started(self, worker: _Worker, name: str) -> None:
        """``worker``, registered as ``name``, started: the lookups waiting for it get it
        (not before: a start that raised leaves them waiting for the next one)."""
        for fut in self._waiting.pop(name, ()):
            if not fut.done():
                fut.set_result(worker)

    def _leave(self, worker: _Worker, name: str) -> None:
        """``worker`` was killed or failed: its name is free (if it still held it)."""
        if self._live.get(name) is worker:
            del self._live[name]

    def _find(self, name: str) -> _Worker | None:
        worker = self._live.get(name)
        if worker is not None and worker.state in ("killed", "failed"):
            # Its own events normally remove it; this only guards against a missed one.
            del self._live[name]
            return None
        return worker

    # -- lookups -------------------------------------------------------------------------
    def __getitem__(self, name: str) -> _Lookup:
        """``await workers[name]``: the worker named ``name``, once it is ready.

        Raises
        ------
        TypeError
            if ``name`` is not a ``str`` (at once).
        KeyError
            when awaited, if no worker of that name started within ``workers.timeout``.
        WorkerStartError, WorkerKilledError
            when awaited, if the worker failed to start or was killed before it was ready.
        """
        _check_name(name)
        return _Lookup(self, name)

    async def get(self, name: str, timeout: float | None | _Default = _DEFAULT) -> _Worker:
        """The worker named ``name``, once it is ready (``await workers[name]`` with
        its own timeout).

        Parameters
        ----------
        name : str
            The ``name=`` the worker was given.
        timeout : float | None
            Seconds to wait for the name to be registered; default ``workers.timeout``;
            ``None`` or ``float("inf")`` waits for ever, ``0`` only looks.

        Returns
        -------
        JsWorker | PyWorker
            The worker, after its ``ready()``.

        Raises
        ------
        TypeError
            if ``name`` is not a ``str``, or ``timeout`` not a number.
        ValueError
            if ``timeout`` is NaN or negative.
        KeyError
            if no worker of that name started in time.
        WorkerStartError, WorkerKilledError
            if the worker failed to start, or was killed before it was ready.
        """
        _check_name(name)
        seconds = self.timeout if isinstance(timeout, _Default) else timeout
        until = deadline(seconds)  # checked before anything waits
        worker = self._find(name)
        if worker is None:
            worker = await self._appearance(name, until, seconds)
        await worker.ready()
        return worker

    async def _appearance(self, name: str, until: float | None, seconds: float | None) -> _Worker:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Worker] = loop.create_future()
        waiting = self._waiting.setdefault(name, [])
        waiting.append(fut)
        try:
            if until is None:
                return await fut
            return await asyncio.wait_for(fut, max(0.0, until - time.monotonic()))
        except TimeoutError:  # wait_for ran out
            raise KeyError(f"no worker named {name!r} started within {seconds} s") from None
        finally:
            if fut in waiting:
                waiting.remove(fut)
            if not waiting and self._waiting.get(name) is waiting:
                del self._waiting[name]

    # -- the live names ------------------------------------------------------------------
    def _names(self) -> list[str]:
        return [name for name in list(self._live) if self._find(name) is not None]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return f"<pywebworker.workers {self._names()!r}>"


class _Lookup:
    """What ``workers[name]`` returns: awaitable, and nothing runs until awaited."""

    __slots__ = ("_name", "_registry")

    def __init__(self, registry: Workers, name: str) -> None:
        self._registry = registry
        self._name = name

    def __await__(self) -> Generator[Any, None, _Worker]:
        return self._registry.get(self._name).__await__()

    def __repr__(self) -> str:
        return f"<pywebworker.workers[{self._name!r}]>"


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"a worker's name must be str, not {type(name).__name__}")


def check_name(name: object, what: str = "a worker's name") -> None:
    """The one rule for names given by the user (workers, pools, ``create_named_worker``,
    ``expose``): ``None`` (no name) or a non-empty ``str``.

    Raises
    ------
    TypeError
        if ``name`` is neither ``None`` nor a ``str``.
    ValueError
        if ``name`` is ``""``: an empty name would silently mean "no name".
    """
    if name is None:
        return
    if not isinstance(name, str):
        raise TypeError(f"{what} must be str or None, not {type(name).__name__}")
    if not name:
        raise ValueError(f"{what} must not be empty: give a name, or None for none")


workers = Workers()


# -- create_named_worker -------------------------------------------------------------------
def _pyworker_options(src: str, name: str, config: Any, type: str) -> dict[str, Any]:  # noqa: A002
    """The keyword arguments of the PyWorker that ``create_named_worker`` starts.

    ``config=`` is ``PyWorker(config=...)``; ``type="mpy"`` is
    ``PyWorker(interpreter="micropython")``.
    """
    if type not in ("py", "mpy"):
        raise ValueError(f'type must be "py" (Pyodide) or "mpy" (MicroPython), not {type!r}')
    options: dict[str, Any] = {"url": src, "name": name}
    if config is not None:
        options["config"] = config
    if type == "mpy":
        options["interpreter"] = "micropython"
    return options


async def create_named_worker(
    src: str, name: str, config: Any = None, type: Literal["py", "mpy"] = "py"  # noqa: A002 - PyScript's name
) -> PyWorker:
    """Start a PyWorker running the script at ``src``, registered as ``name``, and wait
    until it is ready (PyScript's ``create_named_worker``).

    Parameters
    ----------
    src : str
        The script's URL, relative to the host's location (the page; in Node, a URL
        or a file path, relative to the working directory).
    name : str
        The worker's name, for ``await workers[name]`` anywhere.
    config : dict | str | None
        The worker's configuration, as ``PyWorker(config=...)``.
    type : {"py", "mpy"}
        ``"py"`` for Pyodide, ``"mpy"`` for MicroPython.

    Returns
    -------
    PyWorker
        The worker, started and ready.

    Raises
    ------
    TypeError
        if ``src`` or ``name`` is not a ``str``.
    ValueError
        if ``name`` is empty, or a live worker already has it, or ``type`` is unknown;
        nothing is started.
    WorkerStartError
        if the script could not be loaded or raised before it was ready.

    Cancelled before the worker is ready (``asyncio.wait_for`` around it timing out),
    it kills the worker: the name is free again.

    Examples
    --------
    >>> worker = await create_named_worker(src="./calc.py", name="calc")
    >>> await worker.exports.add(2, 3)
    5
    """
    from ._worker import PyWorker

    if not isinstance(src, str):
        raise TypeError(f"src must be str, not {src.__class__.__name__}")
    _check_name(name)
    check_name(name)
    worker = PyWorker(**_pyworker_options(src, name, config, type))
    worker.start()
    try:
        await worker.ready()
    except BaseException:
        # Cancelled (a timeout around this call) or failed: the caller never gets the
        # worker, so it must not keep running, nor keep the name from a retry.
        worker.kill()
        raise
    return worker
