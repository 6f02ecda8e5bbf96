"""JsWorker and PyWorker: workers started from Python, seen from the host."""

from __future__ import annotations

import operator
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from . import _config, _display, _js, _named, _snapshots
from ._client import CallClient
from ._config import WorkerConfig
from ._constants import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MESSAGES,
    INBOUND,
    KIND_JAVASCRIPT,
    KIND_PYTHON,
    MAX_LEN,
    MSG_TEXT,
    OUTBOUND,
)
from ._endpoint import Endpoint
from ._errors import (
    PyWebWorkerError,
    RemoteError,
    SharedMemoryError,
    WorkerFailedError,
    WorkerKilledError,
    WorkerStartError,
    WorkerStateError,
    remote_error,
    report,
)
from ._exports import Exports
from ._inbox import Inbox
from ._outbox import Outbox
from ._payload import encode
from ._ports import Entry, HostGlue, PyStart, WorkerPort
from ._server import CallServer
from ._sync import missing, waits_with_shared_memory
from ._timeouts import deadline as make_deadline
from ._wire import Batch

# id -> worker, so that events from JS find their Python object without keeping it alive.
_live: weakref.WeakValueDictionary[int, _Worker] = weakref.WeakValueDictionary()
_QUEUES = {"outbound": (OUTBOUND,), "inbound": (INBOUND,), "both": (OUTBOUND, INBOUND)}


class _Events:
    """``_ports.HostEvents``: every event of every worker, from the host glue, goes to
    its worker here (the facade reports what they raise). Same module as ``_Worker``,
    so it may call its private methods."""

    def state(self, worker_id: int) -> None:
        worker = _live.get(worker_id)
        if worker is not None:
            worker._on_state()  # noqa: SLF001

    def wake(self, worker_id: int, entry: Entry | None = None) -> None:
        worker = _live.get(worker_id)
        if worker is not None:
            if entry is None:
                worker._wake()  # noqa: SLF001
            else:
                worker._wake(*entry)  # noqa: SLF001

    def output(self, worker_id: int, stream: str, text: str) -> None:
        worker = _live.get(worker_id)
        if worker is not None:
            worker._on_output(stream, text)  # noqa: SLF001

    def stage(self, worker_id: int, stage: str) -> None:
        worker = _live.get(worker_id)
        if worker is not None:
            worker._on_stage(stage)  # noqa: SLF001

    def snapshot_failed(self, worker_id: int, error_json: str, cache: bool = False) -> None:
        _snapshots.warn_failed(error_json, cache)

    def calls(self, worker_id: int, text: str, bufs: list[list[bytes]]) -> None:
        worker = _live.get(worker_id)
        if worker is not None:
            worker.on_calls(text, bufs)

    def returns(self, worker_id: int, text: str, bufs: list[list[bytes]], late: set[int]) -> None:
        worker = _live.get(worker_id)
        if worker is not None:
            worker.settle_batch(text, bufs, late)


_events = _Events()


def _glue() -> HostGlue:
    return _js.runtime().host(_events)


def _host_input(prompt: str = "") -> str:
    """What answers a PyWorker's ``input(prompt)`` when the host exposed no ``input``:
    the host's own ``input()``, looked up when called (a notebook's, a page's
    ``prompt()``, Node's stdin). Its ``EOFError`` reaches the worker as ``EOFError``."""
    import builtins

    return str(builtins.input(prompt))


class _Worker(Endpoint, CallClient, CallServer):
    _kind = 0

    def __init__(self, script: str | None, url: str | None, name: str | None) -> None:
        Endpoint.__init__(self)
        CallClient.__init__(self)
        CallServer.__init__(self)
        self._exports: list[str] | None = None
        if (script is None) == (url is None):
            raise TypeError("give exactly one of script (source text) or url=")
        if script is not None and not isinstance(script, str):
            raise TypeError(f"script must be str, not {type(script).__name__}")
        if url is not None and not isinstance(url, str):
            raise TypeError(f"url must be str, not {type(url).__name__}")
        _named.check_name(name, "name")
        port = _glue().create(self._kind)
        self._port: WorkerPort = port
        self._inbound = Inbox(port)
        self._state: str | None = None  # the core's, as last asked (see state)
        self._outbox = Outbox(port)
        self._outbox.set_max_bytes(DEFAULT_MAX_BYTES)
        self._id = port.id
        self.script = script
        self.url = url
        self.name = name or f"worker-{port.id}"
        # Registered at start() under this name (pywebworker.workers); None: not listed.
        self._listed_as: str | None = name or None
        self._started: float | None = None  # time.monotonic() of start()
        self._ended: float | None = None  # ... of the first sight of killed or failed
        self._stages: list[tuple[str, float]] = []  # (stage, seconds after start()): _on_stage
        _live[port.id] = self
        weakref.finalize(self, port.destroy)

    # -- identity and state ------------------------------------------------------------
    @property
    def id(self) -> int:
        """This worker's id in the C core's registry (an int > 0, never reused)."""
        return self._id

    @property
    def state(self) -> str:
        """``"created"``, ``"starting"``, ``"running"``, ``"killed"`` or ``"failed"``."""
        # Asked of the core once per change: the glue tells _on_state of every change it
        # makes on its own, and Python forgets it after each change it asks for.
        state = self._state
        if state is None:
            state = self._state = self._port.state()
        return state

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} id={self._id} {self.state}>"

    def _repr_html_(self) -> str:
        return _display.worker_html(self)

    @property
    def uptime(self) -> float | None:
        """Seconds since ``start()`` (float), until the worker was killed or failed;
        ``None`` before ``start()``."""
        if self._started is None:
            return None
        return (time.monotonic() if self._ended is None else self._ended) - self._started

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> _Worker:
        """Start the worker (``new Worker(...)``, or a ``worker_threads`` worker in Node).

        Messages sent before the worker is running wait in the outbound queue and are
        delivered first, in order.

        Returns
        -------
        JsWorker | PyWorker
            ``self``, so ``w = JsWorker(src).start()`` works.

        Raises
        ------
        WorkerStateError
            if the worker was already started (or killed).
        ValueError
            if the worker has a ``name=`` that a live worker (started, neither killed
            nor failed) already has; the worker is not started. A started worker with
            a ``name=`` is in ``pywebworker.workers`` until it is killed or fails.
        """
        if self.state != "created":
            raise WorkerStateError(f"{self.name} cannot start: it is {self.state} (a worker starts once)")
        listed = self._listed_as
        if listed is not None:
            _named.workers._add(self, listed)  # noqa: SLF001 - raises ValueError if the name is taken
        self._started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self._started = None
            if listed is not None:
                _named.workers._leave(self, listed)  # noqa: SLF001
            raise
        finally:
            self._state = None  # the glue changed it without an event
        if listed is not None:
            _named.workers._started(self, listed)  # noqa: SLF001
        return self

    def _start(self) -> None:
        raise NotImplementedError

    def kill(self) -> int:
        """Terminate the worker at once (``Worker.terminate()``).

        Every pending ``await`` (``ready``, ``receive``, each pending ``call``) raises
        ``WorkerKilledError`` at once; ``call_stats["cancelled"]`` counts the calls
        the C core rejected. Messages already received stay readable. Calling it
        again, or on a failed worker, changes nothing.

        Returns
        -------
        int
            How many messages sent with ``send_message`` were never delivered.
        """
        self._outbox.close_task()
        try:
            return self._port.kill()
        finally:
            self._inbound.arrived()  # the glue read the worker's shared ring first, untold (js/ring.js)
            self._state = None
            if self._listed_as is not None:
                _named.workers._leave(self, self._listed_as)  # noqa: SLF001

    terminate = kill

    def send_message(self, data: Any) -> int:
        """Queue ``data`` for the worker; delivered now if it is running, else in order
        once it is. In a burst of sends (each within microseconds of the last), text and
        JSON messages after the second leave together at the end of the JS task (when
        your code returns or awaits), after 1 ms of sending, or before bytes, a call,
        ``kill()`` or ``set_queue_limits``; never out of order (see the README,
        "Messages and read tracking").

        Parameters
        ----------
        data : str | bytes | bytearray | memoryview | None | bool | int | float | list | tuple | dict
            ``str`` arrives as a JS string, bytes-like as an ``ArrayBuffer``, the rest
            as JSON-compatible data (a JS object, array, number...). Values arrive
            exactly or are refused: ints beyond ±(2**53 - 1) are refused for a
            JsWorker (send them as ``str``) and arrive exactly in a PyWorker; a ``str``
            holding a surrogate (``"\\ud800"``) is refused as text but kept inside a
            list or dict.

        Returns
        -------
        int
            The message's index in the outbound queue.

        Raises
        ------
        PayloadError
            (also a ``TypeError``) if ``data`` cannot be sent (the message says what
            and where); nothing is queued.
        WorkerStateError
            if the worker is killed or failed.
        QueueFullError
            if the outbound queue is at its limit; nothing is queued.
        """
        outbox = self._outbox
        payload: str | bytes | bytearray | memoryview
        if type(data) is str and data.isascii():  # the common case, in short (_outbox.py)
            if outbox.batching:
                return outbox.add(MSG_TEXT, data)
            kind, payload = MSG_TEXT, data
        else:
            kind, payload = encode(data, self._js_numbers)
        try:
            return outbox.send(kind, payload)  # the core refuses a dead worker
        except WorkerStateError:
            raise WorkerStateError(f"cannot send to {self.name}: it is {self.state}") from None

    def postMessage(self, data: Any) -> int:  # noqa: N802 - the Web Worker spelling
        """Alias of :meth:`send_message`, spelled as on a ``js.Worker``.

        Returns
        -------
        int
            The message's index in the outbound queue.
        """
        return self.send_message(data)

    def set_queue_limits(
        self, max_messages: int = DEFAULT_MAX_MESSAGES, max_bytes: int = DEFAULT_MAX_BYTES, *, queue: str = "both"
    ) -> None:
        """Bound the memory a queue may hold (live, unreleased messages).

        Parameters
        ----------
        max_messages : int
            Messages; 0 means unlimited. Default 1 000 000.
        max_bytes : int
            Payload bytes; 0 means unlimited. Default 256 MiB.
        queue : {"both", "inbound", "outbound"}
            Inbound is worker to host, outbound host to worker.

        A ``send_message`` beyond the outbound limit raises ``QueueFullError`` and
        queues nothing. A message from the worker beyond the inbound limit is dropped
        and counted in ``dropped_messages``; once there is room again (after
        ``clear_read()``), an ``"error"`` message says how many were dropped.

        Raises
        ------
        TypeError
            if a limit is not an integer (``operator.index``: ``1.5`` is refused).
        ValueError
            for a limit below 0 or over 2**31 - 1, or an unknown ``queue``.
        """
        queues = _QUEUES.get(queue)
        if queues is None:
            raise ValueError(f'queue must be "both", "inbound" or "outbound", not {queue!r}')
        try:
            max_messages, max_bytes = operator.index(max_messages), operator.index(max_bytes)
        except TypeError:
            bad = max_bytes if isinstance(max_messages, int) else max_messages
            raise TypeError(f"limits must be int, not {type(bad).__name__}") from None
        for limit in (max_messages, max_bytes):
            if not 0 <= limit <= MAX_LEN:
                raise ValueError(f"limits must be from 0 (unlimited) to {MAX_LEN}, not {limit}")
        self._outbox.close_task()
        for q in queues:
            self._port.set_limits(q, max_messages, max_bytes)
        if OUTBOUND in queues:
            self._outbox.set_max_bytes(max_bytes)

    def wait_for_messages(self, timeout: float | None = None) -> bool:
        """Block until a message from the worker is unread, for a synchronous loop in one
        cell: with shared memory without giving the event loop a turn and without
        spinning (``Atomics.wait``), or else with JSPI (``pyodide.ffi.run_sync``) while
        the event loop runs on. Shared memory needs a thread that may block: Node, or
        Pyodide inside a worker (a JupyterLite kernel, a PyWorker); a browser page's main
        thread blocks only with JSPI.

        With shared memory the worker writes its messages into a ring the host reads
        at once (``get_unread_messages()`` and the other reading calls read it too).
        A message that does not fit there (larger than 128 KiB, or the 1 MiB ring is
        full) or that the worker sent behind one still on its way (any ``print`` output
        and calls go that way too) comes through the event loop, as without shared
        memory: then this returns ``False`` at once, and ``await worker.receive()``
        (or the end of the cell) gets it. With JSPI the event loop delivers every
        message meanwhile: this returns ``False`` only when ``timeout`` passed.

        Parameters
        ----------
        timeout : float | None
            Seconds to wait at most (any finite value >= 0); ``None`` or
            ``float("inf")``: as long as the worker lives and (with shared memory)
            nothing needs the event loop.

        Returns
        -------
        bool
            ``True`` once an unread message is there (``has_unread_messages()``);
            ``False`` when ``timeout`` passed first, or (shared memory) what the worker
            sent next needs the event loop.

        Raises
        ------
        TypeError, ValueError
            for a ``timeout`` that is not a number, NaN or negative.
        SharedMemoryError
            (a ``PyWebWorkerError``) where this thread can block neither way: no shared
            memory (the page is not cross-origin isolated) or a browser page's main
            thread, where ``Atomics.wait`` is not allowed, and no JSPI; the message
            names the ways out. ``CannotBlockHereError`` (a ``SharedMemoryError`` and a
            ``BlockingError``) where the engine has JSPI but this Python cannot block
            now (entered synchronously from JavaScript).
        WorkerKilledError, WorkerFailedError, WorkerStartError
            if the worker is gone and nothing is left unread.
        """
        until = make_deadline(timeout)
        if not self._port.has_ring():
            self._can_wait(main_thread=False)
            return self._block_for_messages(until)
        if self._inbound.unread_count() > 0:  # also sends the marks read() made (_inbox.py)
            return True
        ms = -1.0 if until is None else max(0.0, (until - time.monotonic()) * 1000)
        code = self._port.wait(ms)
        self._inbound.arrived()  # read into the core meanwhile, untold: fetch next time
        if code == 1:
            return True
        if code in (-2, -3):  # no shared memory after all; this thread may not Atomics.wait
            self._can_wait(main_thread=code == -3)
            return self._block_for_messages(until)
        if code == 0:
            err = self._closed_error()
            if err is not None:
                raise err
        return False

    @staticmethod
    def _can_wait(main_thread: bool) -> None:
        """Return if wait_for_messages() can block with JSPI here, where it cannot with
        shared memory (none, or a browser page's main thread: ``main_thread``); else raise
        its error, naming the ways out.

        Raises
        ------
        SharedMemoryError, CannotBlockHereError
            as wait_for_messages().
        """
        from ._blocking import can_block, jspi_supported
        from ._sync import JSPI_WAY, CannotBlockHereError

        if can_block():
            return
        what, instead = "wait_for_messages()", "await worker.receive()"
        if not main_thread:  # (inside a PyWorker: a worker of the worker's own)
            where = "worker" if _js.runtime().parent() is not None else "page"
            waits_with_shared_memory(False, what, instead, "wait_for_messages() needs", where)  # raises
        why = ("wait_for_messages() cannot block a browser page's main thread (Atomics.wait is not allowed there): "
               f"`{instead}` instead, or run Pyodide in a worker")
        if jspi_supported():
            raise CannotBlockHereError(f"{why}. This JavaScript engine has JSPI, but this Python cannot block here: "
                                       "it was entered synchronously from JavaScript (after an await that a JS event "
                                       "resumed, `await asyncio.sleep(0)` first gets there)")
        raise SharedMemoryError(f"{why}, {JSPI_WAY}")

    def _block_for_messages(self, until: float | None) -> bool:
        """wait_for_messages() with JSPI: the event loop runs, this Python waits."""
        from ._blocking import block

        return block(self._until_unread(until), what="wait_for_messages()", instead="await worker.receive()")

    async def _until_unread(self, until: float | None) -> bool:
        while True:
            if self._inbound.unread_count() > 0:
                return True
            err = self._closed_error()
            if err is not None:
                raise err
            try:
                await self._wait(until)
            except TimeoutError:
                return self._inbound.unread_count() > 0

    @property
    def dropped_messages(self) -> int:
        """How many messages from the worker were dropped because the inbound queue
        was full (see :meth:`set_queue_limits`). 0 unless you lower the limits."""
        return self._port.dropped()

    def _is_ready(self) -> bool:
        return self.state == "running"

    def _last_error(self, cls: type[RemoteError]) -> RemoteError:
        """Why the worker failed (kept by the glue apart from the queue), as ``cls``."""
        failure = self._port.failure()
        if failure is None:
            return cls("Error", f"{self.name} failed")
        return remote_error(failure, cls)

    def _closed_error(self) -> PyWebWorkerError | None:
        state = self.state
        if state == "killed":
            return WorkerKilledError(f"{self.name} was killed")
        if state == "failed":
            return self._last_error(WorkerFailedError)
        return None

    async def ready(self, timeout: float | None = None, *, progress: bool | None = None) -> _Worker:
        """Wait until the worker has run its script's top level; returns ``self``.

        Parameters
        ----------
        timeout : float | None
            Seconds (any finite value >= 0); ``None`` or ``float("inf")`` waits for
            ever.
        progress : bool | None
            In a notebook (an IPython kernel, as in JupyterLite), a PyWorker that is
            not ready yet shows a line that follows its start-up (loading Pyodide,
            installing packages, fetching files, running the script) and ends as a
            one-line summary: the time each stage took, or the error. ``False``: no
            line; ``None``: as ``pywebworker.set_progress`` says (on by default).
            Outside IPython (plain Pyodide, Node) nothing is shown.

        Raises
        ------
        TypeError, ValueError
            if ``timeout`` is not a number, or is NaN or negative.
        WorkerStartError
            with the worker's error (``remote_type``, ``remote_message``,
            ``remote_traceback``) if the script failed to load or raised.
        WorkerKilledError
            if killed before it was ready.
        WorkerStateError
            if ``start()`` was not called.
        TimeoutError
            after ``timeout`` seconds.
        """
        until = make_deadline(timeout)
        if self._kind == KIND_PYTHON and self.state in ("starting", "running") and not self._is_ready():
            line = _display.Progress.open(progress)
            if line is not None:
                planned = self._planned()
                return await line.follow(
                    self._ready(until), lambda: _display.worker_status(self, planned),
                    lambda exc: _display.worker_summary(self, exc),
                )
        return await self._ready(until)

    def _planned(self) -> list[str]:
        """The start-up stages this worker goes through (js/protocol.js PWW_STAGES)."""
        return ["loading", "script"]

    async def _ready(self, until: float | None) -> _Worker:
        while True:
            state = self.state
            if state == "created":
                raise WorkerStateError(f"{self.name} is not started: call start() first")
            if state == "failed":
                was_ready = self._port.is_ready()
                raise self._last_error(WorkerFailedError if was_ready else WorkerStartError)
            if state == "killed":
                raise WorkerKilledError(f"{self.name} was killed before it was ready")
            if self._is_ready():
                return self
            await self._wait(until)

    def _watch(self, on: bool) -> None:
        self._port.watch(on)

    def _handler_set(self, on: bool) -> None:
        # With a handler, messages come only with their wake-ups (as without shared
        # memory): a reading call that read the shared ring would let receive() or a
        # read() open a message before its wake-up gives it to the handler.
        self._port.set_handler(on)

    def _on_output(self, stream: str, text: str) -> None:
        try:
            print(text, file=sys.stderr if stream == "stderr" else sys.stdout)
        except Exception as exc:  # a replaced stream that fails: say so, go on
            report(f"pywebworker: could not print a line of {self.name}'s {stream}", exc)

    def _on_stage(self, stage: str) -> None:
        if self._started is not None:
            self._stages.append((stage, time.monotonic() - self._started))

    def _on_state(self) -> None:
        self._state = None
        self._outbox.close_task()
        if self._calls and self.state in ("killed", "failed"):
            self.reject_all(self._closed_error)  # type: ignore[arg-type]
        if self.state in ("killed", "failed"):
            if self._ended is None:
                self._ended = time.monotonic()
            if self._listed_as is not None:
                _named.workers._leave(self, self._listed_as)  # noqa: SLF001
        self._wake()

    # -- calls (_client.CallClient, _server.CallServer) ---------------------------------
    @property
    def exports(self) -> Exports:
        """The worker's exported functions as attributes:
        ``await worker.exports.name(*args)`` is ``await worker.call("name", *args)``.

        A PyWorker exports the functions its script lists in ``__export__`` (the
        PyScript convention); a JsWorker those it passes to ``pywebworker.expose``.
        ``dir(worker.exports)`` lists them once the worker is ready.
        """
        return Exports(self.call, self._export_names, self._not_exported)

    @property
    def pending_calls(self) -> int:
        """Calls made to this worker whose reply has not come yet (from the C core)."""
        return self._port.call_stats()["pending"]

    @property
    def call_stats(self) -> dict[str, int]:
        """Counters of this worker's calls, kept by the C core: ``pending``, ``begun``,
        ``ended`` (by a reply), ``cancelled`` (timed out, or rejected by ``kill()`` or
        a failure) and ``late`` (replies that came after their call was cancelled, and
        were dropped). ``begun == pending + ended + cancelled``."""
        return self._port.call_stats()

    def _export_names(self) -> list[str] | None:
        if self._exports is None:
            self._exports = self._port.export_names()
        return self._exports

    def _can_post_now(self) -> bool:
        return self._exports is not None or self._export_names() is not None

    def _call_post(self, name: str, args: str, bufs: list[bytes]) -> int:
        self._outbox.flush()  # messages sent before a call go before it
        try:
            return self._port.call(name, args, bufs)
        except WorkerStateError:  # killed or failed since it was ready
            raise self._closed_error() or WorkerStateError(f"{self.name} is not running") from None

    async def _call_prepare(self, name: str, until: float | None) -> int:
        if self._export_names() is not None:
            return 0  # ready: begin and post in one go
        state = self.state
        if state in ("killed", "failed"):
            raise self._closed_error()  # type: ignore[misc]
        # Pending in the core from now on, so that a kill accounts for it too.
        call_id = self._port.call_begin()
        try:
            await self._ready(until)
            names = self._export_names() or []
            if name not in names:
                raise self._not_exported(name, names)
        except BaseException:
            self._port.call_cancel(call_id)
            raise
        return call_id

    def _call_send(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        self._outbox.flush()
        try:
            self._port.call_send(call_id, name, args, bufs)
        except WorkerStateError:
            self._port.call_cancel(call_id)
            raise self._closed_error() or WorkerStateError(f"{self.name} is not running") from None

    def _call_cancel(self, call_id: int) -> None:
        self._port.call_cancel(call_id)

    def _post_batch(self, batch: Batch) -> None:
        self._port.replies(batch)

    def _fallback(self, name: str) -> Callable[..., Any] | None:
        # A PyWorker's input() calls "input": the host's own input() unless one is exposed.
        return _host_input if name == "input" else None

    # -- context managers ----------------------------------------------------------------
    def __enter__(self) -> _Worker:
        if self.state == "created":
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    async def __aenter__(self) -> _Worker:
        if self.state == "created":
            self.start()
        try:
            await self.ready()
        except BaseException:
            self.kill()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.kill()


class JsWorker(_Worker):
    """A worker that runs JavaScript, as ``new Worker(...)`` would.

    The script sees plain Web Worker globals (``self``, ``onmessage``,
    ``postMessage``, ``addEventListener``, ``close``) in browsers and in Node, and
    natural values: ``event.data`` is a string, an ``ArrayBuffer`` or a plain object.

    Parameters
    ----------
    script : str | None
        JavaScript source text.
    url : str | None
        Or the script's URL (in Node: a URL or a file path). Exactly one of the two.
    type : {"classic", "module"}
        As the ``type`` option of ``new Worker``.
    name : str | None
        A name for messages and debugging (``worker-<id>`` by default). Given, the
        worker is registered under it while it lives (``pywebworker.workers``).

    Raises
    ------
    TypeError
        if neither or both of ``script`` and ``url`` are given, or ``type`` is unknown.
    ValueError
        if ``name`` is ``""`` (``None`` means no name).

    Examples
    --------
    >>> w = JsWorker("onmessage = (e) => postMessage(e.data)").start()
    >>> w.send_message("hi")          # in the next cell:
    >>> [m.read() for m in w.get_unread_messages()]
    ['hi']
    """

    _kind = KIND_JAVASCRIPT
    _js_numbers = True  # ints beyond ±(2**53 - 1) cannot reach the script exactly

    def __init__(
        self,
        script: str | None = None,
        *,
        url: str | None = None,
        type: Literal["classic", "module"] = "classic",  # noqa: A002 - the Worker option's name
        name: str | None = None,
    ) -> None:
        if type not in ("classic", "module"):
            raise TypeError(f'type must be "classic" or "module", not {type!r}')
        self.type = type
        super().__init__(script, url, name)

    def interrupt(self) -> None:
        """A JsWorker cannot be interrupted: JavaScript has no interrupt (a busy loop
        holds its thread until it returns). ``kill()`` it.

        Raises
        ------
        PyWebWorkerError
            always.
        """
        raise PyWebWorkerError(f"cannot interrupt {self.name}: JavaScript has no interrupt; kill() it")

    def _start(self) -> None:
        self._port.start_js(self.script, self.url, self.type, self.name)


class PyWorker(_Worker):
    """A worker that runs Python in its own Pyodide.

    The script runs with top-level ``await`` allowed and talks back through
    ``from pywebworker import parent``. Its ``print`` output and stderr appear on the
    host's ``sys.stdout`` / ``sys.stderr`` (in a notebook: the output of the cell
    that is running when they arrive).

    Parameters
    ----------
    script : str | None
        Python source text.
    url : str | None
        Or the URL (in Node: a URL or file path) of a ``.py`` file. Exactly one.
    packages : Iterable[str]
        Installed in the worker before the script runs, by name or as wheel URLs
        (``micropip.install``), from the same indexes as the host: see
        ``index_urls``. Pyodide's "Loading ..." lines are not printed.
    index_urls : Iterable[str] | str | None
        The package indexes the worker installs from (as ``micropip.set_index_urls``).
        Default: the host's, read when the worker starts: micropip's index URLs if
        the host imported micropip (else micropip's default, PyPI after Pyodide's own
        packages), and in JupyterLite the site's ``piplite`` wheel indexes first, as
        ``%pip install`` does. Given explicitly, exactly these (no ``piplite``).
    index_url : str | None
        Where the worker loads Pyodide from (the directory of ``pyodide.mjs``).
        Default: the host's own indexURL, so the same Pyodide version. For a
        MicroPython worker, the directory of ``micropython.mjs`` and
        ``micropython.wasm``; default: the copy shipped in this package (offline).
    name : str | None
        A name for messages, tracebacks and debugging. Given, the worker is
        registered under it while it lives (``pywebworker.workers``). ``""`` raises
        ``ValueError`` (as for ``create_named_worker``, ``WorkerPool`` and ``expose``).
    config : Mapping | str | None
        The worker's configuration with PyScript's keys (PyScript's ``config`` of a
        worker; see the README, "Configuration"): a dict, JSON text (``{...}``), TOML
        text, or the URL of a ``.json`` or ``.toml`` file (relative: the host's
        location; in Node also a path). Keys: ``packages`` (list of str, installed
        after the keyword's), ``files`` (``{url: path}``, fetched into the worker's
        file system before the script runs; PyScript's ``{NAME}`` templates, a path
        ending in ``/`` keeps the file name, one ending in ``/*`` unpacks a .zip or
        .tar.gz there), ``env`` (``{name: value}`` added to ``os.environ``), ``argv``
        (``sys.argv``), ``cwd`` (the working directory, made if missing; relative
        paths in ``files`` start there), ``interpreter`` (a Pyodide version or the URL
        of ``pyodide.mjs``: as ``index_url``). PyScript's page-only keys (``plugins``,
        ``sync_main_only``, ``experimental_create_proxy``,
        ``experimental_ffi_timeout``, ``packages_cache``) are ignored. A dict or text
        is checked here; a URL is fetched and checked by the worker, which then fails
        its start instead. A file that cannot be fetched fails the start
        (``WorkerStartError``, ``remote_type`` ``"OSError"``, naming the URL and the
        HTTP status).
    interpreter : str
        ``"pyodide"`` (default) or ``"micropython"``: MicroPython's WebAssembly port
        (the build PyScript uses, shipped in this package), which starts in tens of
        milliseconds instead of seconds, with the same ``parent`` API (messages,
        ``__export__`` calls, calls to the host) but MicroPython's small standard
        library and no packages. Of ``config``, MicroPython takes
        ``files`` (no archives), ``argv`` and ``cwd``, given as a dict or text.
    snapshot : bool
        ``True`` (default): boot from a memory snapshot of Pyodide with this package
        imported, in about a fifth of the time, when the host has one for
        ``index_url``; the session's first PyWorker of each Pyodide makes it (at no
        cost to its own start) before its packages and script. Packages are installed
        after the snapshot is loaded. ``False``: load Pyodide from scratch. See
        ``pywebworker.set_snapshots`` (all workers) and ``clear_snapshots``. In a
        browser the snapshot is also cached across page loads (Cache Storage), so the
        first PyWorker of the next page load boots from it too
        (``set_snapshot_cache``, ``clear_snapshot_cache``). A snapshot that fails to
        load is warned about once (``RuntimeWarning``) and the worker boots plainly.

    Attributes
    ----------
    warm_start : bool
        ``True`` once ``start()`` took a spare booted by ``pywebworker.prestart`` (same
        ``index_url``, ``packages`` (those of a dict or text ``config`` included),
        package indexes and ``snapshot`` setting): only the config's files, ``env``, ``argv``, ``cwd`` (and a
        config URL's packages) and the script run then.

    Raises
    ------
    TypeError
        if neither or both of ``script`` and ``url`` are given, or they are not ``str``,
        or ``packages`` or ``index_urls`` are not ``str``, or ``config`` is neither a
        mapping nor a string, or ``snapshot`` is not a ``bool``.
    ValueError
        for a ``config`` with an unknown or unsupported key or a value of the wrong type
        (the message names the key and lists the allowed ones), text that does not
        parse, or an ``interpreter`` that differs from ``index_url``; for an unknown
        ``interpreter``, or what MicroPython cannot do: ``packages``, ``index_urls``, a
        WorkerPool's tasks, and of ``config``: a URL, ``env``, ``interpreter``, archives.
        Nothing starts.

    The worker is ready (``await worker.ready()``, ``async with``) when its script's
    top level has finished, or earlier, as soon as the script waits for the host
    while its top level is still running: ``await parent.receive()``, ``async for m in
    parent``, or setting ``parent.on_message``. If the script assigns ``__export__``
    at its top level, it is ready only once ``__export__`` exists (checked at each
    such wait and at the end of the top level), so its exports are served from the
    start. An exception from the top level after that fails the worker
    (``WorkerFailedError``); before it, the start (``WorkerStartError``).

    Examples
    --------
    >>> w = PyWorker('''
    ... from pywebworker import parent
    ... parent.on_message = lambda m: parent.send_message(m.read().upper())
    ... ''').start()
    >>> await w.ready()
    >>> w.send_message("hi"); (await w.receive()).read()
    'HI'
    """

    _kind = KIND_PYTHON

    def __init__(
        self,
        script: str | None = None,
        *,
        url: str | None = None,
        packages: Iterable[str] = (),
        index_urls: Iterable[str] | str | None = None,
        index_url: str | None = None,
        name: str | None = None,
        config: Mapping[str, Any] | str | WorkerConfig | None = None,
        interpreter: str = "pyodide",
        snapshot: bool = True,
        _tasks: bool = False,
    ) -> None:
        if not isinstance(snapshot, bool):
            raise TypeError(f"snapshot must be a bool, not {type(snapshot).__name__}")
        self.snapshot = snapshot
        self.packages = _strs(packages, "packages")
        self.index_urls = None if index_urls is None else _strs(index_urls, "index_urls")
        self.config = None if config is None else _config.load(config)
        given = None
        if isinstance(self.config, WorkerConfig):
            self.packages = _config.merge_packages(self.packages, self.config.packages)
            given = self.config.index_url
            if given is not None and index_url is not None and given != index_url:
                raise ValueError(f"config: 'interpreter' means index_url={given!r}, but index_url={index_url!r}")
        self.interpreter = _interpreter(interpreter, self.packages, self.index_urls, _tasks)
        if interpreter == "micropython":
            _micropython_config(self.config)
            self.index_url = index_url or ""  # "": the files shipped in this package
        else:
            self.index_url = index_url or given or _js.runtime().host_index_url()
        self._tasks = _tasks  # a WorkerPool's worker: serve its tasks too (_task.py)
        self.warm_start = False
        super().__init__(script, url, name)
        if _tasks:
            self._listed_as = None  # a pool's worker (<pool>-<n>) is not in pywebworker.workers

    def _options(self, spare: bool = False) -> PyStart:
        """The init message's content: the host's package indexes and files read now."""
        if self.interpreter == "micropython":
            return PyStart(
                self.script, self.url, [], self.index_url, self.name, {},
                config=self._config_part(_js.runtime().absolute_url), interpreter="micropython",
            )
        rt = _js.runtime()
        if self.index_urls is None:
            indexes = rt.host_package_indexes()
        else:
            indexes = {"index_urls": [rt.absolute_url(u) for u in self.index_urls], "piplite": None}
        piplite = indexes["piplite"]
        modules = {}
        if piplite is not None:
            modules["piplite"] = piplite.pop("files")
        # The host's cloudpickle, so that a pool's tasks unpickle with the version that pickled them.
        cloudpickle = rt.package_files("cloudpickle")
        if cloudpickle is not None:
            modules["cloudpickle"] = cloudpickle
        # A relative wheel URL means the host's location: the worker's script has none.
        packages = [rt.absolute_url(p) if p.endswith(".whl") else p for p in self.packages]
        return PyStart(
            self.script, self.url, packages, self.index_url, self.name, indexes, modules, self._tasks, spare,
            None if spare else self._config_part(rt.absolute_url), snapshot=self.snapshot and _snapshots.enabled(),
            snapshot_cache=_snapshots.cache_enabled(),
        )

    def _config_part(self, absolute: Callable[[str], str]) -> dict[str, Any] | None:
        """What the worker applies of ``config``, relative URLs made absolute here."""
        config = self.config
        if config is None:
            return None
        if isinstance(config, str):
            return WorkerConfig().worker_part(absolute(config))
        part = config.worker_part()
        part["files"] = [[absolute(url), dest] for url, dest in config.files]
        return part

    def _start(self) -> None:
        from . import _spares  # imports this module

        options = self._options()
        spare = _spares.take(options) if self.interpreter == "pyodide" else None
        if spare is None:
            self._port.start_py(options)
            return
        try:
            self._port.adopt(spare._port, options)  # noqa: SLF001 - a PyWorker's own port
            spare._state = None  # noqa: SLF001 - the glue left it killed, without an event
        except BaseException:
            spare.kill()  # taken from the idle list: nobody else would stop it
            raise
        self.warm_start = True
        spare._taken()  # noqa: SLF001
        _spares.refill_after(self, spare.key)

    def _is_ready(self) -> bool:
        return self._port.is_ready()

    @property
    def from_snapshot(self) -> bool:
        """``True`` once the worker booted from a memory snapshot (``snapshot`` above): the
        one the host holds, or in a browser the one an earlier page load cached;
        ``False`` before its start reached its script, for the worker that made the
        snapshot, and for a plain boot (also after a snapshot failed to load)."""
        return self._port.snapshot_state() in ("loaded", "cached") and self._is_ready()

    @property
    def stages(self) -> list[tuple[str, float]]:
        """The start-up stages the worker reported, in order: ``(stage, seconds)``,
        ``seconds`` (float) after ``start()`` when it began. Stages: ``"loading"``
        (Pyodide or MicroPython), ``"installing"`` (``packages``, and a config URL's),
        ``"files"`` (the config's files), ``"script"`` (the script runs; ready follows
        when its top level ends). A spare taken by ``start()`` (``warm_start``) reports
        only ``"script"``. Empty before the first."""
        return list(self._stages)

    def _planned(self) -> list[str]:
        if self.warm_start:
            return ["script"]
        config = self.config
        # A config URL's files and packages are known only once the worker fetched it.
        files = self.interpreter == "pyodide" and isinstance(config, WorkerConfig) and bool(config.files)
        return ["loading", *(["installing"] if self.packages else []), *(["files"] if files else []), "script"]

    def interrupt(self) -> None:
        """Raise ``KeyboardInterrupt`` in the worker's running Python (Pyodide's
        interrupt buffer, ``pyodide.setInterruptBuffer``), as Ctrl+C would: a busy
        loop stops at its next bytecode, the script's ``except KeyboardInterrupt`` or
        ``finally`` runs, and the worker stays alive and serves on (an uncaught one in
        a call fails that call with a ``RemoteError``; in the script's top level it
        fails the worker, as any uncaught exception). Returns at once, before the
        worker stops. An ``async`` export gets it at the ``await`` where it is, also
        when it lands in the event loop's own code; one that runs no Python meanwhile
        (``await asyncio.sleep(60)``) gets it when the worker next runs Python. One that
        finds none of the worker's Python running and no ``async`` export under way is
        dropped, never raised in a later call. Needs shared memory (Node; a cross-origin
        isolated page).

        Raises
        ------
        WorkerStateError
            if the worker is not started, or is killed or failed.
        SharedMemoryError
            (a ``PyWebWorkerError``) without shared memory: the message names the two
            headers the page needs.
        PyWebWorkerError
            for a MicroPython worker, which has no interrupt buffer: ``kill()`` it.
        """
        state = self.state
        if state not in ("starting", "running"):
            raise WorkerStateError(f"cannot interrupt {self.name}: it is {state}")
        if self.interpreter == "micropython":
            raise PyWebWorkerError(
                f"cannot interrupt {self.name}: a MicroPython worker has no interrupt buffer; kill() it"
            )
        if not self._port.interrupt(2):
            raise SharedMemoryError(missing("interrupt() needs", "page"))


def _interpreter(interpreter: str, packages: list[str], index_urls: list[str] | None, tasks: bool) -> str:
    """``interpreter`` checked, with what it cannot do.

    Raises
    ------
    ValueError
        for an unknown interpreter, or packages, index URLs or a pool's tasks asked of
        MicroPython.
    """
    if interpreter not in ("pyodide", "micropython"):
        raise ValueError(f'interpreter must be "pyodide" or "micropython", not {interpreter!r}')
    if interpreter == "micropython":
        if packages:
            raise ValueError(
                f"MicroPython workers cannot install packages: {', '.join(packages)} "
                '(use interpreter="pyodide", or ship pure-Python modules in the script)'
            )
        if index_urls is not None:
            raise ValueError("MicroPython workers cannot install packages: index_urls has no use")
        if tasks:
            raise ValueError('a WorkerPool runs its tasks in Pyodide: interpreter="micropython" cannot serve them')
    return interpreter


def _micropython_config(config: WorkerConfig | str | None) -> None:
    """What MicroPython cannot take of ``config`` (its packages were refused with the
    keyword's).

    Raises
    ------
    ValueError
        for a config URL (checked by ``_config.py`` inside a Pyodide worker), ``env``
        (MicroPython has no ``os.environ``), ``interpreter`` (a Pyodide), or a ``files``
        destination ending in ``/*`` (archives are unpacked by Pyodide).
    """
    if config is None:
        return
    if isinstance(config, str):
        raise ValueError(
            "a MicroPython worker's config must be a dict or JSON/TOML text: a config URL is "
            "checked by Pyodide inside the worker (fetch it yourself and pass the text)"
        )
    if config.env:
        raise ValueError("config: 'env' needs os.environ, which MicroPython does not have")
    if config.index_url is not None:
        raise ValueError("config: 'interpreter' names a Pyodide; this worker runs MicroPython")
    for _url, dest in config.files:
        if dest.endswith("/*"):
            raise ValueError(f"config: 'files' destination {dest!r} unpacks an archive, which needs Pyodide")


def _strs(value: Iterable[str] | str, what: str) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must be str or a list of str, not {type(item).__name__}")
    return items


Worker = JsWorker
