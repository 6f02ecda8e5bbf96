"""pywebworker: background workers for Python in Pyodide, running Python or JavaScript,
with message queues that remember what has been read."""

from . import page
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
from ._version import __version__
from ._worker import JsWorker, PyWorker, Worker

__all__ = [
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
