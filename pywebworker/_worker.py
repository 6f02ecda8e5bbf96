"""JsWorker and PyWorker: workers started from Python, seen from the host."""

from __future__ import annotations

import operator
import sys
import weakref
from collections.abc import Iterable
from typing import Any, Literal

from . import _js
from ._calls import CALL_STATS, Caller, Exports
from ._endpoint import Endpoint, _deadline
from ._errors import (
    PyWebWorkerError,
    RemoteError,
    WorkerFailedError,
    WorkerKilledError,
    WorkerStartError,
    WorkerStateError,
    report,
)
from ._payload import encode, error_from_json

STATES = ("created", "starting", "running", "killed", "failed")
_KIND_PYTHON, _KIND_JAVASCRIPT = 1, 2
_ESTATE = -5  # csrc/pww.h PWW_ESTATE: pushing to the outbound queue of a killed/failed worker
_INT32_MAX = 2**31 - 1  # the core's limits are C ints

# id -> worker, so that events from JS find their Python object without keeping it alive.
_live: weakref.WeakValueDictionary[int, _Worker] = weakref.WeakValueDictionary()


def _on_event(worker_id: int, event: str, a: Any = None, b: Any = None, c: Any = None) -> None:
    """Every event of every worker comes from the host glue (js/host.js) through here.

    Nothing may be raised back into JavaScript (Node's worker events re-throw into the
    process): each path settles what it can (a call's future, a reply) and whatever
    still escapes, ``BaseException`` included, is reported (``_errors.report``).
    """
    try:
        worker = _live.get(worker_id)
        if worker is None:
            return
        if event == "return":
            worker._settle(a, True, b, c)
        elif event == "returns":
            worker._settle_batch(a, b, c)
        elif event == "throw":
            worker._settle(a, False, b, None)
        elif event == "call":
            worker._on_call(a, b, c.args, c.bufs)
        else:
            worker._on_event(event, a, b)
    except BaseException as exc:
        report(f"pywebworker: error while handling the event {event!r} of worker {worker_id}", exc)


def _host() -> Any:
    return _js.host(_on_event)


class _Worker(Endpoint, Caller):
    _kind = 0

    def __init__(self, script: str | None, url: str | None, name: str | None) -> None:
        Endpoint.__init__(self)
        Caller.__init__(self)
        self._exports: list[str] | None = None
        if (script is None) == (url is None):
            raise TypeError("give exactly one of script (source text) or url=")
        if script is not None and not isinstance(script, str):
            raise TypeError(f"script must be str, not {type(script).__name__}")
        if url is not None and not isinstance(url, str):
            raise TypeError(f"url must be str, not {type(url).__name__}")
        self._api = _host()
        worker_id = int(self._api.create(self._kind))
        if worker_id < 0:
            self._raise(worker_id, "creating a worker")
        self._id = worker_id
        self.script = script
        self.url = url
        self.name = name or f"worker-{worker_id}"
        _live[worker_id] = self
        weakref.finalize(self, self._api.destroy, worker_id)

    # -- identity and state ------------------------------------------------------------
    @property
    def id(self) -> int:
        """This worker's id in the C core's registry (an int > 0, never reused)."""
        return self._id

    @property
    def state(self) -> str:
        """``"created"``, ``"starting"``, ``"running"``, ``"killed"`` or ``"failed"``."""
        return STATES[int(self._api.state(self._id))]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} id={self._id} {self.state}>"

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
        """
        if self.state != "created":
            raise WorkerStateError(f"{self.name} cannot start: it is {self.state} (a worker starts once)")
        code = int(self._start())
        if code < 0:
            self._raise(code, "start")
        return self

    def _start(self) -> int:
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
        return int(self._api.kill(self._id))

    terminate = kill

    def send_message(self, data: Any) -> int:
        """Queue ``data`` for the worker; delivered now if it is running, else in order
        once it is.

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
        kind, payload = encode(data, self._js_numbers)
        index: int = self._api.send(self._id, kind, payload)  # the core refuses a dead worker
        if index < 0:
            if index == _ESTATE:
                raise WorkerStateError(f"cannot send to {self.name}: it is {self.state}")
            self._raise(index, f"send_message to {self.name}")
        return index

    def postMessage(self, data: Any) -> int:  # noqa: N802 - the Web Worker spelling
        """Alias of :meth:`send_message`, spelled as on a ``js.Worker``.

        Returns
        -------
        int
            The message's index in the outbound queue.
        """
        return self.send_message(data)

    def set_queue_limits(
        self, max_messages: int = 1_000_000, max_bytes: int = 256 << 20, *, queue: str = "both"
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
        queues = {"outbound": (0,), "inbound": (1,), "both": (0, 1)}.get(queue)
        if queues is None:
            raise ValueError(f'queue must be "both", "inbound" or "outbound", not {queue!r}')
        try:
            max_messages, max_bytes = operator.index(max_messages), operator.index(max_bytes)
        except TypeError:
            bad = max_bytes if isinstance(max_messages, int) else max_messages
            raise TypeError(f"limits must be int, not {type(bad).__name__}") from None
        for limit in (max_messages, max_bytes):
            if not 0 <= limit <= _INT32_MAX:
                raise ValueError(f"limits must be from 0 (unlimited) to {_INT32_MAX}, not {limit}")
        for q in queues:
            code = int(self._api.setLimits(self._id, q, max_messages, max_bytes))
            if code < 0:
                self._raise(code, "set_queue_limits")

    @property
    def dropped_messages(self) -> int:
        """How many messages from the worker were dropped because the inbound queue
        was full (see :meth:`set_queue_limits`). 0 unless you lower the limits."""
        return int(self._api.dropped(self._id))

    def _is_ready(self) -> bool:
        return self.state == "running"

    def _last_error(self, cls: type[RemoteError]) -> RemoteError:
        """Why the worker failed (kept by the glue apart from the queue), as ``cls``."""
        failure = self._api.failure(self._id)
        if failure is None:
            return cls("Error", f"{self.name} failed")
        return error_from_json(failure, cls)

    def _closed_error(self) -> PyWebWorkerError | None:
        state = self.state
        if state == "killed":
            return WorkerKilledError(f"{self.name} was killed")
        if state == "failed":
            return self._last_error(WorkerFailedError)
        return None

    async def ready(self, timeout: float | None = None) -> _Worker:
        """Wait until the worker has run its script's top level; returns ``self``.

        Parameters
        ----------
        timeout : float | None
            Seconds (any finite value >= 0); ``None`` or ``float("inf")`` waits for
            ever.

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
        return await self._ready(_deadline(timeout))

    async def _ready(self, deadline: float | None) -> _Worker:
        while True:
            state = self.state
            if state == "created":
                raise WorkerStateError(f"{self.name} is not started: call start() first")
            if state == "failed":
                was_ready = bool(self._api.isReady(self._id))
                raise self._last_error(WorkerFailedError if was_ready else WorkerStartError)
            if state == "killed":
                raise WorkerKilledError(f"{self.name} was killed before it was ready")
            if self._is_ready():
                return self
            await self._wait(deadline)

    def _watch(self, on: bool) -> None:
        self._api.watch(self._id, on)

    def _on_event(self, event: str, a: Any, b: Any) -> None:
        if event == "output":
            stream = sys.stderr if a == "stderr" else sys.stdout
            try:
                print(b, file=stream)
            except Exception as exc:  # a replaced stream that fails: say so, go on
                report(f"pywebworker: could not print a line of {self.name}'s {a}", exc)
            return
        if event == "state" and self._calls and self.state in ("killed", "failed"):
            self._reject_calls(self._closed_error)  # type: ignore[arg-type]
        self._wake()

    # -- calls (pywebworker._calls.Caller) --------------------------------------------
    @property
    def exports(self) -> Exports:
        """The worker's exported functions as attributes:
        ``await worker.exports.name(*args)`` is ``await worker.call("name", *args)``.

        A PyWorker exports the functions its script lists in ``__export__`` (the
        PyScript convention); a JsWorker those it passes to ``pywebworker.expose``.
        ``dir(worker.exports)`` lists them once the worker is ready.
        """
        return Exports(self)

    @property
    def pending_calls(self) -> int:
        """Calls made to this worker whose reply has not come yet (from the C core)."""
        return int(self._api.callStat(self._id, 0))

    @property
    def call_stats(self) -> dict[str, int]:
        """Counters of this worker's calls, kept by the C core: ``pending``, ``begun``,
        ``ended`` (by a reply), ``cancelled`` (timed out, or rejected by ``kill()`` or
        a failure) and ``late`` (replies that came after their call was cancelled, and
        were dropped). ``begun == pending + ended + cancelled``."""
        return {key: int(self._api.callStat(self._id, i)) for i, key in enumerate(CALL_STATS)}

    def _export_names(self) -> list[str] | None:
        if self._exports is None:
            names = self._api.exports(self._id)
            if names is not None:
                self._exports = list(names.to_py())
        return self._exports

    def _can_post_now(self) -> bool:
        return self._exports is not None or self._export_names() is not None

    def _call_post(self, name: str, args: str, bufs: Any) -> int:
        code = int(self._api.call(self._id, name, args, bufs))
        if code == _ESTATE:  # killed or failed since it was ready
            err = self._closed_error()
            if err is not None:
                raise err
        return code

    async def _call_prepare(self, name: str, deadline: float | None) -> int:
        if self._export_names() is not None:
            return 0  # ready: begin and post in one go
        state = self.state
        if state in ("killed", "failed"):
            raise self._closed_error()  # type: ignore[misc]
        # Pending in the core from now on, so that a kill accounts for it too.
        call_id = int(self._api.callBegin(self._id))
        if call_id < 0:
            self._raise(call_id, f"call {name}()")
        try:
            await self._ready(deadline)
            names = self._export_names() or []
            if name not in names:
                raise self._not_exported(name, names)
        except BaseException:
            self._api.callCancel(self._id, call_id)
            raise
        return call_id

    def _call_send(self, call_id: int, name: str, args: str, bufs: Any) -> None:
        if int(self._api.callSend(self._id, call_id, name, args, bufs)) < 0:
            self._api.callCancel(self._id, call_id)
            raise self._closed_error() or WorkerStateError(f"{self.name} is not running")

    def _call_cancel(self, call_id: int) -> None:
        self._api.callCancel(self._id, call_id)

    def _call_reply(self, call_id: int, ok: bool, value: Any, bufs: Any) -> None:
        self._api.reply(self._id, call_id, ok, value, bufs)

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
        A name for messages and debugging (``worker-<id>`` by default).

    Raises
    ------
    TypeError
        if neither or both of ``script`` and ``url`` are given, or ``type`` is unknown.

    Examples
    --------
    >>> w = JsWorker("onmessage = (e) => postMessage(e.data)").start()
    >>> w.send_message("hi")          # in the next cell:
    >>> [m.read() for m in w.get_unread_messages()]
    ['hi']
    """

    _kind = _KIND_JAVASCRIPT
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

    def _start(self) -> int:
        opts = {"script": self.script, "url": self.url, "type": self.type, "name": self.name}
        return int(self._api.startJs(self._id, _js.to_js(opts)))


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
        Default: the host's own indexURL, so the same Pyodide version.
    name : str | None
        A name for messages, tracebacks and debugging.

    Raises
    ------
    TypeError
        if neither or both of ``script`` and ``url`` are given, or they are not ``str``,
        or ``packages`` or ``index_urls`` are not ``str``.

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

    _kind = _KIND_PYTHON

    def __init__(
        self,
        script: str | None = None,
        *,
        url: str | None = None,
        packages: Iterable[str] = (),
        index_urls: Iterable[str] | str | None = None,
        index_url: str | None = None,
        name: str | None = None,
    ) -> None:
        self.packages = _strs(packages, "packages")
        self.index_urls = None if index_urls is None else _strs(index_urls, "index_urls")
        self.index_url = index_url or _js.host_index_url()
        super().__init__(script, url, name)

    def _start(self) -> int:
        if self.index_urls is None:
            indexes = _js.host_package_indexes()
        else:
            indexes = {"index_urls": [_js.absolute_url(u) for u in self.index_urls], "piplite": None}
        piplite = indexes["piplite"]
        modules = {}
        if piplite is not None:
            modules["piplite"] = piplite.pop("files")
        opts = {
            "script": self.script,
            "url": self.url,
            # A relative wheel URL means the host's location: the worker's script has none.
            "packages": [_js.absolute_url(p) if p.endswith(".whl") else p for p in self.packages],
            "indexURL": self.index_url,
            "name": self.name,
            "indexes": indexes,
            "modules": modules,
        }
        js_opts = _js.to_js(opts)
        js_opts.files = _js.package_files()
        return int(self._api.startPy(self._id, js_opts))

    def _is_ready(self) -> bool:
        return bool(self._api.isReady(self._id))


def _strs(value: Iterable[str] | str, what: str) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must be str or a list of str, not {type(item).__name__}")
    return items


Worker = JsWorker
