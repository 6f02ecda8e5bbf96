"""Spare PyWorkers: Pyodide booted ahead of time, taken by ``PyWorker.start()``.

``prestart(n)`` starts ``n`` spares: PyWorkers that load Pyodide, this package and the
requested packages, say ``warm`` (js/protocol.js) and wait. A PyWorker whose Pyodide
(``index_url``), packages, package indexes and ``snapshot`` setting match takes one at
``start()``: the host glue hands the spare's thread to it (js/host.js ``adopt``) and
only its script runs there. A spare never runs user code before it is taken. Taken
spares are replaced in the background, so that ``n`` stay ready, until
``prestart(0, ...)`` for the same configuration.
"""

from __future__ import annotations

import asyncio
import json
import operator
from collections.abc import Iterable

from ._errors import WorkerKilledError
from ._futures import retrieve
from ._ports import PyStart
from ._worker import PyWorker

Key = tuple[str, tuple[str, ...], str, bool]

_idle: dict[Key, list[_Spare]] = {}
_wanted: dict[Key, int] = {}
_how: dict[Key, tuple[list[str], list[str] | None, str, bool]] = {}  # how to make another


def max_spares() -> int:
    """The most spares ``prestart`` keeps at once, over every configuration: two per
    logical core (``navigator.hardwareConcurrency``; ``os.availableParallelism()`` in
    Node), at least 4. Each is an idle Pyodide of about 60 MiB, and booting them
    competes for the cores: a typo such as ``prestart(200)`` must not take the machine
    down."""
    from . import _js

    return max(4, 2 * _js.runtime().cpu_count())


def key(options: PyStart) -> Key:
    """What a spare and a PyWorker must share: Pyodide, packages, package indexes, and
    whether it may boot from a memory snapshot (``_snapshots``)."""
    indexes = json.dumps(options.indexes, sort_keys=True, default=str)
    return options.index_url, tuple(sorted(options.packages)), indexes, options.snapshot


class _Spare(PyWorker):
    """A PyWorker without a script yet: ready (``ready()``) once warm."""

    def __init__(
        self, packages: Iterable[str] | str, index_urls: Iterable[str] | str | None, index_url: str | None,
        snapshot: bool = True,
    ) -> None:
        super().__init__(
            "", packages=packages, index_urls=index_urls, index_url=index_url, name="pywebworker-spare",
            snapshot=snapshot,
        )
        self._listed_as = None  # not in pywebworker.workers
        self.key = key(self._options(spare=True))
        self.taken = False

    def _start(self) -> None:
        self._port.start_py(self._options(spare=True))

    def _is_ready(self) -> bool:
        return self._port.is_warm()

    def _taken(self) -> None:
        """A PyWorker took this spare's thread (its own record is left killed)."""
        self.taken = True
        self._on_state()

    async def up(self) -> None:
        """Wait until warm, or taken; raises ``WorkerStartError`` if it failed to boot."""
        try:
            await self.ready(progress=False)  # in the background: no progress line
        except WorkerKilledError:
            if not self.taken:
                raise


def _live(k: Key) -> list[_Spare]:
    spares = [s for s in _idle.get(k, []) if s.state in ("starting", "running")]
    _idle[k] = spares
    return spares


def _top_up(k: Key) -> None:
    """Start spares until ``_wanted[k]`` are alive."""
    live = _live(k)
    packages, index_urls, index_url, snapshot = _how[k]
    while len(live) < _wanted.get(k, 0):
        spare = _Spare(packages, index_urls, index_url, snapshot)
        spare.start()
        live.append(spare)


def take(options: PyStart) -> _Spare | None:
    """A live spare matching ``options`` (a warm one first), removed from the idle
    list, or ``None``. The caller replaces it (``refill_after``)."""
    k = key(options)
    live = _live(k)
    if not live:
        return None
    warm = [s for s in live if s._is_ready()]  # noqa: SLF001 - this module's class
    spare = (warm or live)[0]
    live.remove(spare)
    return spare


def refill_after(worker: PyWorker, k: Key) -> None:
    """Replace a spare taken by ``worker`` once it is ready (or failed): a new Pyodide
    booting meanwhile would compete with it for the CPU and slow its warm start."""

    async def later() -> None:
        try:
            await worker.ready(progress=False)  # in the background: no progress line
        except BaseException:  # its owner sees why; the spare is replaced anyway
            pass
        _top_up(k)

    asyncio.ensure_future(later()).add_done_callback(retrieve)


def prestart(
    n: int = 1,
    *,
    packages: Iterable[str] | str = (),
    index_url: str | None = None,
    index_urls: Iterable[str] | str | None = None,
    snapshot: bool = True,
) -> asyncio.Future[int]:
    """Boot Pyodide in ``n`` spare workers now, in the background, for later PyWorkers.

    A ``PyWorker(...).start()`` (or a ``WorkerPool``'s worker) with the same Pyodide
    (``index_url``), the same ``packages`` (in any order), the same package indexes and
    the same ``snapshot`` setting takes a spare and runs only its own script there (a
    ``config``'s packages count as ``packages``; its files, ``env``, ``argv`` and
    ``cwd`` come with the script, and a config URL's packages are installed once the
    spare is taken): ``ready()`` then takes milliseconds, not the seconds of a cold
    start (``worker.warm_start`` says which).
    A spare still booting is taken too (it is further along than a new one). Taken
    spares are replaced in the background, so ``n`` stay waiting; a spare never runs
    user code before a PyWorker takes it. Each costs the memory of an idle Pyodide
    (about 60 MiB; see the README).

    Parameters
    ----------
    n : int
        How many spares to keep for this configuration (>= 0). ``0`` stops keeping
        them and terminates the idle ones.
    packages, index_url, index_urls
        As for ``PyWorker``: installed in each spare before it is warm.
    snapshot : bool
        ``True`` (default): the spares boot from the host's memory snapshot of this
        Pyodide where there is one (the first PyWorker or spare of a session makes it;
        ``pywebworker.set_snapshots``), and only PyWorkers and pools with
        ``snapshot=True`` take them. ``False``: they load Pyodide from scratch, and
        only ``snapshot=False`` ones take them. While ``set_snapshots(False)`` holds,
        both settings boot plainly and are one configuration.

    Returns
    -------
    asyncio.Future[int]
        Resolves to ``n`` once every spare started for this configuration is warm
        (or was taken); raises ``WorkerStartError`` if one failed to boot (bad packages,
        a wrong ``index_url``). Awaiting it is optional: the spares boot either way.

    Raises
    ------
    TypeError, ValueError
        if ``n`` is not an int >= 0, the other arguments are not strings, or
        ``snapshot`` is not a ``bool`` (``TypeError``); ``ValueError`` too if the spares
        kept for every configuration would then be more than :func:`max_spares`
        (two per core, at least 4): nothing changes then.
    """
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    probe = _Spare(packages, index_urls, index_url, snapshot)  # PyWorker checks them
    k = probe.key
    others = sum(m for other, m in _wanted.items() if other != k)
    cap = max_spares()
    if others + n > cap:
        probe.kill()
        raise ValueError(
            f"prestart({n}) would keep {others + n} spare Pyodides (about 60 MiB each) booted at once: "
            f"at most {cap} on this machine (2 per core, at least 4"
            f"{f'; {others} already kept for other configurations' if others else ''})"
        )
    _how[k] = (probe.packages, probe.index_urls, probe.index_url, probe.snapshot)
    _wanted[k] = n
    live = _live(k)
    for extra in live[n:]:  # fewer wanted: the idle ones beyond go
        live.remove(extra)
        extra.kill()
    if len(live) < n:
        probe.start()
        live.append(probe)
    else:
        probe.kill()
    _top_up(k)
    waiting = list(live)

    async def all_up() -> int:
        for spare in waiting:
            await spare.up()
        return n

    # A failed spare is not an error nobody retrieved: awaiting the future raises it, and
    # a PyWorker that would have taken the spare starts cold.
    future = asyncio.ensure_future(all_up())
    future.add_done_callback(retrieve)
    return future
