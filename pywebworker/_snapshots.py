"""Memory snapshots: PyWorkers boot from a snapshot of an initialised Pyodide.

The first PyWorker of a session for a Pyodide (its ``index_url``) boots as before and
takes a snapshot of Pyodide with this package imported, before any user script runs
(Pyodide's ``_makeSnapshot`` / ``makeMemorySnapshot``); the host keeps it and later
PyWorkers boot from it (``_loadSnapshot``), in about a fifth of the time. The host glue
does the work (``js/host_snapshot.js``); this module holds the switch, the warning and
``clear_snapshots``. A snapshot that fails to load is said once (a ``RuntimeWarning``);
that worker and the later ones boot plainly.
"""

from __future__ import annotations

import json
import warnings

_enabled = [True]


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
    if not isinstance(on, bool):
        raise TypeError(f"on must be a bool, not {type(on).__name__}")
    before, _enabled[0] = _enabled[0], on
    return before


def enabled() -> bool:
    """The setting of ``set_snapshots``."""
    return _enabled[0]


def clear_snapshots() -> int:
    """Drop the memory snapshots the host holds (and forget a snapshot that failed to
    load, so that the next PyWorker makes a new one).

    The next PyWorker of each Pyodide makes a new snapshot. A snapshot being made now is
    kept.

    Returns
    -------
    int
        The bytes freed (about 30 MiB per Pyodide 314 snapshot, 24 MiB for 0.29).
    """
    from ._worker import _glue  # imports this module

    return _glue().clear_snapshots()


def warn_failed(error_json: str) -> None:
    """A worker could not make or load the snapshot (said once per Pyodide by the glue)."""
    try:
        error = json.loads(error_json)
        reason = f"{error.get('name', 'Error')}: {error.get('message', '')}"
    except (ValueError, AttributeError):
        reason = error_json
    warnings.warn(
        f"pywebworker: PyWorkers boot without a memory snapshot from now on ({reason})",
        RuntimeWarning,
        stacklevel=2,
    )
