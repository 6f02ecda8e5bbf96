"""The interface between the package and its JavaScript glue: what ``_js.py`` implements
in Pyodide, and what the unit tests fake (``tests/unit/fakejs.py``) under plain CPython.

Every method returns Python values (``str``, ``bytes``, ``int``, lists) or raises a
typed error (``_errors.from_core`` for a C core code). No JS object crosses this line,
so the rest of the package is plain Python.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypedDict

if TYPE_CHECKING:
    from ._wire import Batch

State = Literal["created", "starting", "running", "killed", "failed"]


# A message read with its payload: (index, kind, payload); payload ``None`` when it is
# larger than ``max_inline`` bytes. A plain tuple: receive() makes one per message, and
# in Pyodide a NamedTuple's constructor costs several times a tuple's.
Entry = tuple[int, int, "str | bytes | None"]


class MessageInfo(NamedTuple):
    """A message's metadata: kind (``_constants.MSG_*``), opened, received (ms since
    the epoch), payload size in bytes."""

    kind: int
    opened: bool
    received_ms: float
    nbytes: int


class ErrorInfo(TypedDict):
    """An error as data, as it crosses the wire (``{name, message, stack}``)."""

    name: str
    message: str
    stack: str


@dataclass
class PyStart:
    """What a PyWorker starts with (``js/pyworker.js`` init message)."""

    script: str | None
    url: str | None
    packages: list[str]
    index_url: str
    name: str
    indexes: dict[str, Any]
    modules: dict[str, Any] = field(default_factory=dict)
    tasks: bool = False  # also serve a WorkerPool's tasks (pywebworker/_task.py)
    spare: bool = False  # boot without a script and wait to be taken (_spares.py)
    config: dict[str, Any] | None = None  # _config.WorkerConfig.worker_part(): applied in the worker
    # "pyodide" or "micropython" (js/mpyworker.js); for MicroPython, index_url "" means
    # the files shipped in the wheel (pywebworker/micropython/).
    interpreter: str = "pyodide"
    snapshot: bool = True  # may boot from (or make) a memory snapshot (js/host_snapshot.js)
    snapshot_cache: bool = True  # may boot from the one cached across page loads (js/snapshot_cache.js)


class InboundPort(Protocol):
    """One endpoint's inbound queue in a C core, as the glue gives it: indices from 0,
    stable; ``read`` marks a message opened; ``max_inline`` is in bytes. Raises
    ``MessageIndexError``/``MessageReleasedError`` for a bad index."""

    def length(self) -> int: ...
    def unread_count(self) -> int: ...
    def first_unread(self) -> int | None: ...  # None: none unread (hides "== length")
    def held(self) -> list[int]: ...
    def info(self, index: int) -> MessageInfo: ...
    def read(self, index: int) -> tuple[int, str | bytes]: ...  # marks opened; bytes copied
    def mark_many(self, indices: list[int]) -> None: ...  # released ones skipped; never raises for them
    # Mark `marks` opened, then up to `limit` (0: all) oldest unread messages, not marked
    # (about 4 MiB of payloads at most); `limit` < 0: only the marks, returns [].
    def take_many(self, marks: list[int], max_inline: int, limit: int) -> list[Entry]: ...
    def release_opened(self) -> int: ...


class Inbound(InboundPort, Protocol):
    """What endpoints and message handles read through (``_inbox.Inbox`` over a port):
    ``take`` and ``mark_opened`` mark a message opened too."""

    def mark_opened(self, index: int) -> None: ...
    def take(self, max_inline: int) -> Entry | None: ...  # oldest unread, marked
    def unread(self, max_inline: int) -> list[Entry]: ...  # not marked


class WorkerPort(InboundPort, Protocol):
    """The host's side of one worker: its state, start, sends (returns the outbound
    index), kill (returns the undelivered count), limits and calls. Raises the typed
    errors of ``_errors.from_core``."""

    id: int
    def state(self) -> State: ...
    def start_js(self, script: str | None, url: str | None, type: str, name: str) -> None: ...  # noqa: A002
    def start_py(self, options: PyStart) -> None: ...
    # Run options.script (url, name, tasks) in the thread of `spare`, a live spare.
    def adopt(self, spare: WorkerPort, options: PyStart) -> None: ...
    def is_warm(self) -> bool: ...  # a spare booted and waits for its script
    # How a PyWorker booted (js/host_snapshot.js): "made", "loaded", "cached", "failed", "making" or "".
    def snapshot_state(self) -> str: ...
    # Store `signal` in a PyWorker's interrupt buffer (2: KeyboardInterrupt, 0: none);
    # False where there is no shared memory.
    def interrupt(self, signal: int) -> bool: ...
    # Whether the worker has a shared ring (js/ring.js): shared memory exists here.
    def has_ring(self) -> bool: ...
    # Block until a message is unread, for at most `ms` milliseconds (< 0: no limit),
    # reading the ring: 1 unread; 0 none in time or the worker gone; -1 the next message
    # needs the event loop; -2 no shared memory; -3 this thread may not block.
    def wait(self, ms: float) -> int: ...
    # One message now. With `later`: if it was posted at once, later() runs at the end of
    # this JS task and the index is returned; if it was queued in the core, the index plus
    # _outbox.QUEUED (later not called). See _outbox.py.
    def send(self, kind: int, payload: str | bytes | bytearray | memoryview,
             later: Callable[[], None] | None = None) -> int: ...
    # Text and JSON messages checked by _outbox.py: meta [kind, UTF-8 length] int32 pairs,
    # data their UTF-8 one after the other (`all_ascii`: all of it ASCII); one post. Returns
    # the first index.
    def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int: ...
    def kill(self) -> int: ...
    def destroy(self) -> None: ...
    def watch(self, on: bool) -> None: ...
    # Whether an on_message handler is set: then reading calls do not read the shared ring.
    def set_handler(self, on: bool) -> None: ...
    def set_limits(self, queue: int, max_messages: int, max_bytes: int) -> None: ...
    def dropped(self) -> int: ...
    def outbound(self) -> tuple[int, int]: ...  # (messages sent so far, of which undelivered)
    def is_ready(self) -> bool: ...
    def failure(self) -> ErrorInfo | None: ...
    def export_names(self) -> list[str] | None: ...
    def call(self, name: str, args: str, bufs: list[bytes]) -> int: ...  # begin and post
    def call_begin(self) -> int: ...
    def call_send(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None: ...
    def call_cancel(self, call_id: int) -> bool: ...  # False: no longer pending; never raises
    def call_stats(self) -> dict[str, int]: ...  # keys: _constants.CALL_STAT_NAMES
    def replies(self, batch: Batch) -> None: ...  # post one `returns`


class HostEvents(Protocol):
    """What the host glue tells Python, by worker id (implemented in ``_worker.py``).
    The facade guards each call: nothing raised here reaches JavaScript."""

    def state(self, worker_id: int) -> None: ...
    # message (with it, (index, kind, payload), when the glue gives it), ready
    def wake(self, worker_id: int, entry: Entry | None = None) -> None: ...
    def output(self, worker_id: int, stream: str, text: str) -> None: ...
    # A PyWorker's start-up reached `stage` ("loading", "installing", "files", "script").
    def stage(self, worker_id: int, stage: str) -> None: ...
    # A PyWorker could not make or load the memory snapshot (the error's JSON text): once per
    # Pyodide; `cache`: the one cached across page loads was corrupt (and is replaced).
    def snapshot_failed(self, worker_id: int, error_json: str, cache: bool = False) -> None: ...
    def calls(self, worker_id: int, text: str, bufs: list[list[bytes]]) -> None: ...
    def returns(self, worker_id: int, text: str, bufs: list[list[bytes]], late: set[int]) -> None: ...


class HostGlue(Protocol):
    """The host glue (``js/host.js``): makes workers; counts for tests and the soak
    test (``memory_bytes``: the core's wasm memory, bytes)."""

    def create(self, kind: int) -> WorkerPort: ...
    def count_workers(self) -> int: ...
    def live_workers(self) -> int: ...
    def memory_bytes(self) -> int: ...
    def clear_snapshots(self) -> int: ...  # bytes freed (js/host_snapshot.js)
    async def clear_snapshot_cache(self) -> bool: ...  # whether there was a cache (js/snapshot_cache.js)


class ParentPort(InboundPort, Protocol):
    """The host, seen from inside a PyWorker (``js/pyworker.js``): its messages,
    sending to it, and calls both ways."""

    id: int
    # As WorkerPort.send and send_many; the host has no outbound queue here: they return 0.
    def send(self, kind: int, payload: str | bytes | bytearray | memoryview,
             later: Callable[[], None] | None = None) -> int: ...
    def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int: ...
    def send_error(self, info: ErrorInfo) -> None: ...
    def watch(self, on: bool, wake: Callable[[], None]) -> None: ...
    def serve(self, on_calls: Callable[[str, list[list[bytes]]], None],
              on_returns: Callable[[str, list[list[bytes]], set[int]], None]) -> None: ...
    def call(self, name: str, args: str, bufs: list[bytes]) -> int: ...
    def call_cancel(self, call_id: int) -> bool: ...
    def call_stats(self) -> dict[str, int]: ...
    def replies(self, batch: Batch) -> None: ...
    # Whether this worker can share memory with the host (js/sync.js pwwSharedMemory).
    def shared_memory(self) -> bool: ...
    # A synchronous request (js/sync.js): blocks; (reply batch text, bytes) or None after
    # `timeout` seconds (math.inf: none).
    def sync(self, kind: str, name: str, args: str, bufs: list[bytes],
             timeout: float) -> tuple[str, list[bytes]] | None: ...
    # The same request without shared memory, for a Python that blocks with JSPI: the host
    # posts the answer back; `wait` blocks until the awaitable it is given settles and
    # returns its result (_blocking.block: pyodide.ffi.run_sync).
    def sync_posted(self, kind: str, name: str, args: str, bufs: list[bytes], timeout: float,
                    wait: Callable[[Awaitable[Any]], Any]) -> tuple[str, list[bytes]] | None: ...
    # A request nothing waits for (kind "release": the host objects _dom.py dropped).
    def sync_post(self, kind: str, text: str) -> None: ...
    # Whether this worker's events enter Python with stack switching (js/pyworker.js
    # pwwEnter: no shared memory, JSPI), so that the Python they run may block.
    def promising(self) -> bool: ...
    # Whether the host's interrupt (PyWorker.interrupt()) waits in Pyodide's interrupt
    # buffer, not yet seen; it is cleared (_interrupt.py).
    def take_interrupt(self) -> bool: ...


class BootPort(Protocol):
    """The PyWorker's start handshake (``ready``, ``failed``) and the switch that
    hides Pyodide's "Loading ..." lines while packages install."""

    def ready(self, names: list[str]) -> None: ...
    def failed(self, info: ErrorInfo) -> None: ...
    def quiet(self, on: bool) -> None: ...


class PagePort(Protocol):
    """The page's object through which JavaScript calls Python (``js/page.js``,
    ``page.py``): Python says which names exist and answers each call once."""

    def update(self, added: list[str], removed: list[str]) -> None: ...
    def settle(self, call_id: int, ok: bool, text: str, bufs: list[bytes]) -> bool: ...  # False: not pending
    def close(self) -> None: ...  # removes the object; calls still pending reject


# dispatch(call_id, name, args_json, bufs) for each call from the page; never raises.
PageDispatch = Callable[[int, str, str, list[bytes]], None]


class Runtime(Protocol):
    """Everything the package needs from its host JavaScript (``_js.py`` in Pyodide, a
    fake in the unit tests). ``set_timeout`` takes seconds (any finite float >= 0) and
    returns a cancel function."""

    def host(self, events: HostEvents) -> HostGlue: ...
    def parent(self) -> ParentPort | None: ...
    def boot(self) -> BootPort: ...
    def set_timeout(self, fn: Callable[[], None], seconds: float) -> Callable[[], None]: ...
    def host_index_url(self) -> str: ...
    def host_package_indexes(self) -> dict[str, Any]: ...
    def absolute_url(self, url: str) -> str: ...
    # The files of an importable package ({relative path: bytes}) for a PyWorker to
    # import the host's copy, or None when it is not importable here.
    def package_files(self, name: str) -> dict[str, bytes] | None: ...
    def cpu_count(self) -> int: ...  # logical cores this host reports (>= 1)
    def shared_memory(self) -> bool: ...  # SharedArrayBuffer usable here (_sync.py)
    async def run_script(self, source: str, namespace: dict[str, Any], filename: str) -> None: ...
    # The page object `globalThis[name]`; ValueError when that name is taken.
    def page(self, name: str, dispatch: PageDispatch) -> PagePort: ...
