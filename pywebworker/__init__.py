"""pywebworker: background workers for Python in Pyodide, running Python or JavaScript,
with message queues that remember what has been read."""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import page
    from ._blocking import BlockingError
    from ._display import messages_table, set_progress
    from ._dom import HostProxy
    from ._errors import (
        CoreError,
        MessageIndexError,
        MessageReleasedError,
        NotExportedError,
        PayloadError,
        PyWebWorkerError,
        QueueFullError,
        RemoteError,
        SharedMemoryError,
        WorkerFailedError,
        WorkerKilledError,
        WorkerStartError,
        WorkerStateError,
    )
    from ._executor import PoolExecutor
    from ._message import WorkerMessage
    from ._named import create_named_worker, workers
    from ._parent import Parent, parent
    from ._pool import WorkerPool
    from ._snapshots import clear_snapshot_cache, clear_snapshots, set_snapshot_cache, set_snapshots
    from ._spares import prestart
    from ._sync import shared_memory_available
    from ._worker import JsWorker, PyWorker, Worker

# Each public name and the module that defines it, imported on first use (PEP 562): a
# PyWorker's boot imports only the worker side (``from pywebworker import parent``), not
# the host's pools, display and page modules, nor the standard library they need (about a
# tenth of a plain boot's time: issue 23).
_WHERE = {
    "page": "",
    **dict.fromkeys(("messages_table", "set_progress"), "_display"),
    "HostProxy": "_dom",
    "BlockingError": "_blocking",
    **dict.fromkeys((
        "CoreError", "MessageIndexError", "MessageReleasedError", "NotExportedError", "PayloadError",
        "PyWebWorkerError", "QueueFullError", "RemoteError", "SharedMemoryError", "WorkerFailedError",
        "WorkerKilledError", "WorkerStartError", "WorkerStateError",
    ), "_errors"),
    "PoolExecutor": "_executor",
    "WorkerMessage": "_message",
    **dict.fromkeys(("create_named_worker", "workers"), "_named"),
    **dict.fromkeys(("Parent", "parent"), "_parent"),
    "WorkerPool": "_pool",
    **dict.fromkeys(("clear_snapshot_cache", "clear_snapshots", "set_snapshot_cache", "set_snapshots"), "_snapshots"),
    "prestart": "_spares",
    "shared_memory_available": "_sync",
    **dict.fromkeys(("JsWorker", "PyWorker", "Worker"), "_worker"),
}


def __getattr__(name: str) -> Any:
    import importlib

    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'pywebworker' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{where or name}")
    value = module if not where else getattr(module, name)
    globals()[name] = value  # once: the next lookup is a plain global
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "BlockingError",
    "CoreError",
    "HostProxy",
    "JsWorker",
    "MessageIndexError",
    "MessageReleasedError",
    "NotExportedError",
    "Parent",
    "PayloadError",
    "PoolExecutor",
    "PyWebWorkerError",
    "PyWorker",
    "QueueFullError",
    "RemoteError",
    "SharedMemoryError",
    "Worker",
    "WorkerFailedError",
    "WorkerKilledError",
    "WorkerMessage",
    "WorkerPool",
    "WorkerStartError",
    "WorkerStateError",
    "__version__",
    "clear_snapshot_cache",
    "clear_snapshots",
    "create_named_worker",
    "messages_table",
    "page",
    "parent",
    "prestart",
    "set_progress",
    "set_snapshot_cache",
    "set_snapshots",
    "shared_memory_available",
    "workers",
]
