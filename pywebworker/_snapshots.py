"""Memory snapshots: PyWorkers boot from a snapshot of an initialised Pyodide.

The first PyWorker of a session for a Pyodide (its ``index_url``) boots as before and
takes a snapshot of Pyodide with this package imported, before any user script runs
(Pyodide's ``_makeSnapshot`` / ``makeMemorySnapshot``); the host keeps it and later
PyWorkers boot from it (``_loadSnapshot``), in about a fifth of the time. The host glue
does the work (``js/host_snapshot.js``); this module holds the switches, the warnings,
``clear_snapshots`` and ``clear_snapshot_cache``. A snapshot that fails to load is said
once (a ``RuntimeWarning``); that worker and the later ones boot plainly.

In a browser the snapshot is also kept across page loads, in Cache Storage
(``js/snapshot_cache.js``): the first PyWorker of the next page load boots from it.
An entry made by another Pyodide or pywebworker is replaced without a word; a corrupt
one (its bytes do not match their SHA-256, or are not a Pyodide memory snapshot) is
said once and replaced, never used.
"""

from __future__ import annotations

import json
import warnings

_enabled = [True]
_cache_enabled = [True]


def set_snapshots(on: bool) -> bool:
    """Whether PyWorkers (and a ``WorkerPool``'s workers, and ``prestart``'s spares) boot
    from a memory snapshot where one can be made; returns the previous setting.

    Applies to workers started from now on; ``PyWorker(..., snapshot=False)`` turns it
    off for one worker. Off, every PyWorker loads Pyodide from scratch, as raw Pyodide
    does (about 5x slower to start), and the host holds no snapshot.

    Parameters
    ----------
    on : bool
        ``True`` (the default) or ``False``.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        if ``on`` is not a ``bool``.
    """
    return _swap(_enabled, on)


def enabled() -> bool:
    """The setting of ``set_snapshots``."""
    return _enabled[0]


def clear_snapshots() -> int:
    """Drop the memory snapshots the host holds (and forget a snapshot that failed to
    load, so that the next PyWorker makes a new one).

    The next PyWorker of each Pyodide makes a new snapshot, or in a browser boots from
    the one cached across page loads (``clear_snapshot_cache`` deletes that). A snapshot
    being made now is kept.

    Returns
    -------
    int
        The bytes freed (about 30 MiB per Pyodide 314 snapshot, 24 MiB for 0.29).
    """
    from ._worker import _glue  # imports this module

    return _glue().clear_snapshots()


def set_snapshot_cache(on: bool) -> bool:
    """Whether PyWorkers use the memory snapshot cached across page loads, and cache the
    one they make; returns the previous setting.

    Browsers only: the snapshot (about 30 MiB for Pyodide 314, 24 MiB for 0.29) is kept
    in the page origin's Cache Storage (``caches``, the cache ``pywebworker-snapshots``),
    one entry per Pyodide, so that the first PyWorker of the next page load boots from
    it. Off, workers started from now on neither read nor write it (the snapshot the
    host holds in memory is still used: ``set_snapshots``). Where there is no Cache
    Storage (Node, a ``file:`` page, an insecure origin) this changes nothing.

    Parameters
    ----------
    on : bool
        ``True`` (the default) or ``False``.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        if ``on`` is not a ``bool``.
    """
    return _swap(_cache_enabled, on)


def _swap(setting: list[bool], on: bool) -> bool:
    """Set a switch, returning its previous value; ``on`` must be a ``bool``."""
    if not isinstance(on, bool):
        raise TypeError(f"on must be a bool, not {type(on).__name__}")
    before, setting[0] = setting[0], on
    return before


def cache_enabled() -> bool:
    """The setting of ``set_snapshot_cache``."""
    return _cache_enabled[0]


async def clear_snapshot_cache() -> bool:
    """Delete the memory snapshots cached across page loads (this origin's Cache Storage
    cache ``pywebworker-snapshots``, as ``caches.delete`` does).

    The snapshots the host holds in memory stay: call ``clear_snapshots()`` too for the
    next PyWorker to make a new one. A snapshot the host has yet to write (it waits for
    the worker that made it to be ready) may still land after this.

    Returns
    -------
    bool
        ``True`` if there was a cache to delete; ``False`` where there was none, or no
        Cache Storage (Node, an insecure origin).
    """
    from ._worker import _glue  # imports this module

    return await _glue().clear_snapshot_cache()


def warn_failed(error_json: str, cache: bool = False) -> None:
    """A worker could not make or load the snapshot (said once per Pyodide by the glue);
    ``cache``: the one cached across page loads could not be used (it is replaced)."""
    try:
        error = json.loads(error_json)
        reason = f"{error.get('name', 'Error')}: {error.get('message', '')}"
    except (ValueError, AttributeError):
        reason = error_json
    what = (
        "the memory snapshot cached by an earlier page load was not used, and is replaced"
        if cache
        else "PyWorkers boot without a memory snapshot from now on"
    )
    warnings.warn(f"pywebworker: {what} ({reason})", RuntimeWarning, stacklevel=2)
