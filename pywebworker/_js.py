"""The one place that touches JavaScript (``js``, ``pyodide``, ``pyodide_js``).

:class:`PyodideRuntime` implements the interface of ``_ports.py`` over the JS glue
shipped as package data (``pywebworker/js/``, concatenated as ``js/manifest.json``
says) and the C core (``_core.wasm``). Each port method makes one crossing, converts
the result to Python values, and raises a typed error for a negative core code
(``_errors.from_core``): nothing JavaScript leaves this module. ``js`` and ``pyodide``
are imported inside functions, so ``import pywebworker`` works under plain CPython
(where the unit tests install a fake runtime with :func:`install`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable
from itertools import accumulate
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ._constants import CALL_STAT_NAMES, MSG_BYTES, STATE_NAMES
from ._errors import error_info, from_core, guarded, report
from ._ports import Entry, ErrorInfo, MessageInfo, PyStart, State, WorkerPort

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from ._ports import BootPort, HostEvents, HostGlue, PageDispatch, PagePort, ParentPort, Runtime
    from ._wire import Batch

_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The runtime in use: :class:`PyodideRuntime`, created on first use."""
    global _runtime
    if _runtime is None:
        _runtime = PyodideRuntime()
    return _runtime


def install(rt: Runtime | None) -> Runtime | None:
    """Use ``rt`` from now on (``None``: a new :class:`PyodideRuntime` on next use);
    returns the one it replaces. Only tests call it."""
    global _runtime
    old, _runtime = _runtime, rt
    return old


def _text(name: str) -> str:
    return _package_dir(__package__).joinpath("js", name).read_text("utf-8")


def bundles() -> dict[str, str]:
    """The JS sources, one text per list of ``js/manifest.json`` (each file may use
    the names of the files before it)."""
    manifest: dict[str, list[str]] = json.loads(_text("manifest.json"))
    return {key: "\n".join(_text(name) for name in names) for key, names in manifest.items()}


def _globals() -> Any:
    """The JS global scope (``import js``), typed loosely on purpose."""
    return importlib.import_module("js")


def _to_js(value: Any) -> Any:
    from pyodide.ffi import to_js

    return to_js(value, dict_converter=_globals().Object.fromEntries)


def _js_bufs(bufs: list[bytes]) -> Any:
    return _to_js(bufs) if bufs else None


def _py_bufs(bufs: Any) -> list[list[bytes]]:
    """A batch's buffers (a JS array of arrays of ``ArrayBuffer``) as bytes."""
    if bufs is None:
        return []
    return [[b.to_bytes() for b in group] for group in bufs]


def _ok(code: int, context: str) -> int:
    if code < 0:
        raise from_core(code, context)
    return code


def _answer(what: str, on_calls: Callable[..., None], *args: Any) -> None:
    """Serve a ``calls`` batch: ``on_calls(*args[:-1], bufs)``. What it raises
    (``SystemExit`` too) goes back to the glue as one plain error, which answers every
    call of the batch with it, so that none is left hanging."""
    try:
        on_calls(*args[:-1], _py_bufs(args[-1]))
    except BaseException as exc:
        raise RuntimeError(f"{what}: {error_info(exc)['message']}") from None


def core_wasm() -> bytes:
    """The bytes of ``_core.wasm`` from package data."""
    return _package_dir(__package__).joinpath("_core.wasm").read_bytes()


def _bind(obj: Any, names: tuple[str, ...]) -> SimpleNamespace:
    """``obj``'s JS methods, looked up once (each lookup is a crossing)."""
    return SimpleNamespace(**{name: getattr(obj, name) for name in names})


_INBOUND = ("length", "unreadCount", "firstUnread", "held", "info", "read", "takeMany", "releaseOpened")


def _entries(r: Any) -> list[Entry]:
    """The entries of a ``takeMany`` answer: [meta, data] (js/core.js), meta [index,
    kind, length] int32 triples (length -1: payload not included), data the payloads.
    Two copies in all (one per array); text decoded once when it is all ASCII. A lone
    message comes as [index, kind, payload]."""
    parts = r.to_py(depth=1)
    if len(parts) == 3:  # a lone message: [index, kind, payload]
        index, kind, lone = parts
        return [(index, kind, lone.to_bytes() if kind == MSG_BYTES and lone is not None else lone)]
    meta_js, data_js = parts
    meta = memoryview(meta_js.to_bytes()).cast("i")
    data = data_js.to_bytes()
    indices, kinds, lens = meta[0::3].tolist(), meta[1::3].tolist(), meta[2::3].tolist()
    if MSG_BYTES not in kinds and min(lens) >= 0 and data.isascii():  # the common case, in bulk
        text = data.decode("ascii")
        ends = list(accumulate(lens))
        raws: list[Any] = [text[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return list(zip(indices, kinds, raws, strict=True))
    out: list[Entry] = []
    off = 0
    for index, kind, n in zip(indices, kinds, lens, strict=True):
        raw: str | bytes | None
        if n < 0:
            raw = None
        else:
            end = off + n
            # As a TextDecoder does: only a forged batch is not UTF-8 (never raise here).
            raw = data[off:end] if kind == MSG_BYTES else data[off:end].decode("utf-8", "replace")
            off = end
        out.append((index, kind, raw))
    return out


class _JsInbound:
    """An inbound queue of the glue (``js/core.js`` ``pwwInboundApi``): each method
    takes the endpoint's id first and returns a value or a negative core code.
    ``js`` is the glue object itself, for tests that probe it."""

    __slots__ = ("id", "js", "_f")

    def __init__(self, glue: Any, f: SimpleNamespace, endpoint_id: int) -> None:
        self.js = glue
        self._f = f
        self.id = endpoint_id

    def length(self) -> int:
        return _ok(self._f.length(self.id), "length")

    def unread_count(self) -> int:
        return _ok(self._f.unreadCount(self.id), "unread count")

    def first_unread(self) -> int | None:
        i = _ok(self._f.firstUnread(self.id), "first unread")
        return i if i < self.length() else None

    def held(self) -> list[int]:
        r = self._f.held(self.id)
        if isinstance(r, int):
            raise from_core(r, "held messages")
        return list(r.to_py())

    def info(self, index: int) -> MessageInfo:
        r = self._f.info(self.id, index)
        if isinstance(r, int):
            raise from_core(r, f"message {index}")
        kind, opened, time_ms, nbytes = r.to_py()[:4]
        return MessageInfo(int(kind), bool(opened), float(time_ms), int(nbytes))

    def read(self, index: int) -> tuple[int, str | bytes]:
        r = self._f.read(self.id, index)
        if isinstance(r, int):
            raise from_core(r, f"message {index}")
        kind, raw = r.to_py(depth=1)
        # Bytes arrive as a view of wasm memory: copied before anything else runs.
        return kind, (raw.to_bytes() if kind == MSG_BYTES else raw)

    def mark_many(self, indices: list[int]) -> None:
        self.take_many(indices, 0, -1)

    def take_many(self, marks: list[int], max_inline: int, limit: int) -> list[Entry]:
        r = self._f.takeMany(self.id, _to_js(marks) if marks else None, max_inline, limit)
        if r is None:
            return []
        if isinstance(r, int):
            raise from_core(r, "unread messages")
        return _entries(r)

    def release_opened(self) -> int:
        return _ok(self._f.releaseOpened(self.id), "clear_read")


_WORKER = _INBOUND + (
    "state", "startJs", "startPy", "adopt", "isWarm", "interrupt", "shared", "wait", "send", "sendMany", "kill",
    "destroy", "watch", "handler", "outbound",
    "setLimits", "dropped", "isReady", "failure", "exports", "call", "callBegin", "callSend", "callCancel", "callStat",
    "replies", "snapshotState",
)


class _JsWorkerPort(_JsInbound):
    """One worker of the host glue (``js/host.js``): ``_ports.WorkerPort``. The proxy
    it hands to JS for ``send``'s ``later`` lives until ``destroy()``."""

    __slots__ = ("_later",)

    def __init__(self, glue: Any, f: SimpleNamespace, endpoint_id: int) -> None:
        super().__init__(glue, f, endpoint_id)
        self._later: tuple[Callable[[], None], Any] | None = None

    def state(self) -> State:
        state: State = STATE_NAMES[_ok(self._f.state(self.id), "state")]  # type: ignore[assignment]
        return state

    def start_js(self, script: str | None, url: str | None, type: str, name: str) -> None:  # noqa: A002
        opts = {"script": script, "url": url, "type": type, "name": name}
        _ok(self._f.startJs(self.id, _to_js(opts)), "start")

    def start_py(self, options: PyStart) -> None:
        opts = _to_js({
            "script": options.script, "url": options.url, "packages": options.packages,
            "indexURL": options.index_url, "name": options.name, "indexes": options.indexes,
            "modules": options.modules, "tasks": options.tasks, "spare": options.spare, "config": options.config,
            "interpreter": options.interpreter, "snapshot": options.snapshot, "snapshotCache": options.snapshot_cache,
        })
        opts.files = _mpy_files(not options.index_url) if options.interpreter == "micropython" else _package_files()
        _ok(self._f.startPy(self.id, opts), "start")

    def adopt(self, spare: WorkerPort, options: PyStart) -> None:
        opts = {"script": options.script, "url": options.url, "name": options.name, "tasks": options.tasks,
                "config": options.config}
        _ok(self._f.adopt(self.id, spare.id, _to_js(opts)), "start")

    def is_warm(self) -> bool:
        return bool(self._f.isWarm(self.id))

    def snapshot_state(self) -> str:
        return str(self._f.snapshotState(self.id))

    def interrupt(self, signal: int) -> bool:
        return bool(self._f.interrupt(self.id, signal))

    def has_ring(self) -> bool:
        return bool(self._f.shared(self.id))

    def wait(self, ms: float) -> int:
        return int(self._f.wait(self.id, ms))

    def send(self, kind: int, payload: str | bytes | bytearray | memoryview,
             later: Callable[[], None] | None = None) -> int:
        return _ok(self._f.send(self.id, kind, payload, None if later is None else self._proxy(later)), "send_message")

    def _proxy(self, later: Callable[[], None]) -> Any:
        if self._later is None or self._later[0] is not later:
            from pyodide.ffi import create_proxy

            if self._later is not None:
                self._later[1].destroy()
            self._later = (later, create_proxy(guarded(later, "messages sent in one go")))
        return self._later[1]

    def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int:
        return _ok(self._f.sendMany(self.id, meta, data, all_ascii), "send_message")

    def kill(self) -> int:
        return _ok(self._f.kill(self.id), "kill")

    def destroy(self) -> None:
        self._f.destroy(self.id)
        if self._later is not None:
            self._later[1].destroy()
            self._later = None

    def watch(self, on: bool) -> None:
        self._f.watch(self.id, on)

    def set_handler(self, on: bool) -> None:
        self._f.handler(self.id, on)

    def set_limits(self, queue: int, max_messages: int, max_bytes: int) -> None:
        _ok(self._f.setLimits(self.id, queue, max_messages, max_bytes), "set_queue_limits")

    def dropped(self) -> int:
        return int(self._f.dropped(self.id))

    def outbound(self) -> tuple[int, int]:
        sent, undelivered = self._f.outbound(self.id).to_py()
        return int(sent), int(undelivered)

    def is_ready(self) -> bool:
        return bool(self._f.isReady(self.id))

    def failure(self) -> ErrorInfo | None:
        text = self._f.failure(self.id)
        if text is None:
            return None
        info: ErrorInfo = json.loads(text)
        return info

    def export_names(self) -> list[str] | None:
        names = self._f.exports(self.id)
        return None if names is None else [str(n) for n in names.to_py()]

    def call(self, name: str, args: str, bufs: list[bytes]) -> int:
        return _ok(self._f.call(self.id, name, args, _js_bufs(bufs)), f"call {name}()")

    def call_begin(self) -> int:
        return _ok(self._f.callBegin(self.id), "call")

    def call_send(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        _ok(self._f.callSend(self.id, call_id, name, args, _js_bufs(bufs)), f"call {name}()")

    def call_cancel(self, call_id: int) -> bool:
        return bool(self._f.callCancel(self.id, call_id) >= 0)

    def call_stats(self) -> dict[str, int]:
        stat = self._f.callStat
        return {key: int(stat(self.id, i)) for i, key in enumerate(CALL_STAT_NAMES)}

    def replies(self, batch: Batch) -> None:
        bufs = _to_js(batch.bufs) if batch.bufs else None
        self._f.replies(self.id, batch.text(), bufs, ",".join(map(str, batch.ids)))


class _JsHostGlue:
    """The host glue (``js/host.js`` ``pwwHost``), made once per process."""

    def __init__(self, events: HostEvents) -> None:
        from pyodide.code import run_js
        from pyodide.ffi import create_proxy

        sources = bundles()
        make = "(wasm, bundles, dispatch, promising) => pwwHost(pwwCore(wasm), bundles, dispatch, promising)"
        sources.pop("page")  # not for workers
        factory = run_js(f"(function () {{\n{sources.pop('host')}\nreturn {make};\n}})()")
        self._events = events
        # Inside a PyWorker that blocks with JSPI (js/pyworker.js pwwEnter), the events of
        # its own workers enter Python with stack switching too, and say first that they
        # started (js/host.js, js/protocol.js pwwGate).
        parent = runtime().parent()
        promising = parent is not None and parent.promising()
        dispatch: Callable[..., None] = self._dispatch
        if promising:
            def started_first(*args: Any) -> None:
                self.js.started()
                self._dispatch(*args)

            dispatch = started_first
        self._proxy = create_proxy(dispatch)  # lives as long as the process
        self.js = factory(_to_js(core_wasm()), _to_js(sources), self._proxy, promising)
        self._f = _bind(self.js, _WORKER)
        self._create = self.js.create

    def _dispatch(self, worker_id: int, event: str, a: Any = None, b: Any = None, c: Any = None) -> None:
        """Every event of every worker comes through here. Nothing is raised back into
        JavaScript (Node's worker events re-throw into the process), except for a batch
        of calls that could not be answered: the glue answers each of its calls with
        the error."""
        events = self._events
        if event == "calls":
            return _answer(f"the host could not answer the calls of worker {worker_id}", events.calls, worker_id, a, b)
        try:
            if event == "message":
                events.wake(worker_id, None if a is None else (a, b, c))
            elif event == "ready":
                events.wake(worker_id)
            elif event == "returns":
                events.returns(worker_id, a, _py_bufs(b), set() if c is None else set(c.to_py()))
            elif event == "state":
                events.state(worker_id)
            elif event == "output":
                events.output(worker_id, str(a), str(b))
            elif event == "stage":
                events.stage(worker_id, str(a))
            elif event == "snapshot":
                events.snapshot_failed(worker_id, str(a), b == "cache")
        except BaseException as exc:
            report(f"pywebworker: error while handling the event {event!r} of worker {worker_id}", exc)

    def create(self, kind: int) -> _JsWorkerPort:
        return _JsWorkerPort(self.js, self._f, _ok(self._create(kind), "creating a worker"))

    def count_workers(self) -> int:
        return int(self.js.countWorkers())

    def live_workers(self) -> int:
        return int(self.js.liveWorkers())

    def memory_bytes(self) -> int:
        return int(self.js.memoryBytes())

    def clear_snapshots(self) -> int:
        return int(self.js.clearSnapshots())

    async def clear_snapshot_cache(self) -> bool:
        return bool(await self.js.clearSnapshotCache())


_PARENT = _INBOUND + ("send", "sendMany", "sendError", "watch", "serve", "call", "callCancel", "callStat", "replies",
                      "sync", "syncPosted", "syncPost", "sharedMemory", "promising", "started", "takeInterrupt")


class _JsParentPort(_JsInbound):
    """The host, seen from inside a PyWorker (the bootstrap's ``_pywebworker_parent``
    module, ``js/pyworker.js``): ``_ports.ParentPort``. The proxies it hands to JS
    live as long as the worker."""

    __slots__ = ("_proxies", "_shared")

    def __init__(self, module: Any) -> None:
        super().__init__(module, _bind(module, _PARENT), int(module.id))
        self._proxies: dict[str, Any] = {}
        self._shared: bool | None = None

    def _proxy(self, key: str, fn: Callable[..., Any]) -> Any:
        from pyodide.ffi import create_proxy

        if key not in self._proxies:
            self._proxies[key] = create_proxy(fn)
        return self._proxies[key]

    def _entry(self, fn: Callable[..., None]) -> Callable[..., None]:
        """``fn`` as an entry point from this worker's events: where they enter with
        stack switching (``promising``), it first says so, so that the events after it
        go on (js/protocol.js ``pwwGate``); elsewhere ``fn`` itself."""
        if not self.promising():
            return fn
        started = self._f.started

        def entry(*args: Any) -> None:
            started()
            fn(*args)

        return entry

    def send(self, kind: int, payload: str | bytes | bytearray | memoryview,
             later: Callable[[], None] | None = None) -> int:
        proxy = None if later is None else self._proxy("later", guarded(later, "messages sent in one go"))
        code = self._f.send(kind, payload, proxy)
        if code is not None and code < 0:
            raise from_core(code, "send_message")
        return 0

    def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int:
        return _ok(self._f.sendMany(meta, data, all_ascii), "send_message")

    def send_error(self, info: ErrorInfo) -> None:
        self._f.sendError(info["name"], info["message"], info["stack"])

    def watch(self, on: bool, wake: Callable[[], None]) -> None:
        self._f.watch(on, self._proxy("watch", self._entry(guarded(wake, "a message from the host"))))

    def serve(self, on_calls: Callable[[str, list[list[bytes]]], None],
              on_returns: Callable[[str, list[list[bytes]], set[int]], None]) -> None:
        def calls(text: str, bufs: Any) -> None:
            _answer("the worker could not answer the calls", on_calls, text, bufs)

        def returns(text: str, bufs: Any, late: Any = None) -> None:
            on_returns(text, _py_bufs(bufs), set() if late is None else set(late.to_py()))

        self._f.serve(self._proxy("calls", self._entry(calls)),
                      self._proxy("returns", self._entry(guarded(returns, "replies from the host"))))

    def call(self, name: str, args: str, bufs: list[bytes]) -> int:
        return _ok(self._f.call(name, args, _js_bufs(bufs)), f"call {name}()")

    def call_cancel(self, call_id: int) -> bool:
        return bool(self._f.callCancel(call_id) >= 0)

    def call_stats(self) -> dict[str, int]:
        stat = self._f.callStat
        return {key: int(stat(i)) for i, key in enumerate(CALL_STAT_NAMES)}

    def replies(self, batch: Batch) -> None:
        self._f.replies(batch.text(), _to_js(batch.bufs) if batch.bufs else None, ",".join(map(str, batch.ids)))

    def shared_memory(self) -> bool:
        if self._shared is None:  # never changes in a worker's life: asked once
            self._shared = bool(self._f.sharedMemory())
        return self._shared

    def sync(self, kind: str, name: str, args: str, bufs: list[bytes],
             timeout: float) -> tuple[str, list[bytes]] | None:
        r = self._f.sync(kind, name, args, _js_bufs(bufs), timeout)
        if r is None:
            return None
        text, js_bufs = r[0], r[1]
        return str(text), [b.to_bytes() for b in js_bufs]

    def sync_posted(self, kind: str, name: str, args: str, bufs: list[bytes], timeout: float,
                    wait: Callable[[Awaitable[Any]], Any]) -> tuple[str, list[bytes]] | None:
        # The JS Promise itself to run_sync (`wait`): it suspends on it directly, with no
        # Python task in between (a task costs loop turns both ways).
        r = wait(self._f.syncPosted(kind, name, args, _js_bufs(bufs), timeout))
        if r is None:
            return None
        text, js_bufs = r[0], r[1]
        return str(text), [b.to_bytes() for b in js_bufs]

    def sync_post(self, kind: str, text: str) -> None:
        self._f.syncPost(kind, text)

    def promising(self) -> bool:
        return bool(self._f.promising())

    def take_interrupt(self) -> bool:
        return bool(self._f.takeInterrupt())


class _JsBootPort:
    """The PyWorker handshake (the bootstrap's ``_pywebworker_boot`` module)."""

    def __init__(self, module: Any) -> None:
        self._m = module

    def ready(self, names: list[str]) -> None:
        self._m.ready(_to_js(names))

    def failed(self, info: ErrorInfo) -> None:
        self._m.failed(info["name"], info["message"], info["stack"])

    def quiet(self, on: bool) -> None:
        self._m.quiet(on)


class PyodideRuntime:
    """``_ports.Runtime`` in Pyodide."""

    def __init__(self) -> None:
        self._glue: _JsHostGlue | None = None
        self._parent: _JsParentPort | None = None

    def host(self, events: HostEvents) -> HostGlue:
        if self._glue is None:
            self._glue = _JsHostGlue(events)
        return self._glue

    def parent(self) -> ParentPort | None:
        """The parent port inside a PyWorker; ``None`` elsewhere."""
        if self._parent is None:
            try:
                import _pywebworker_parent
            except ImportError:
                return None
            self._parent = _JsParentPort(_pywebworker_parent)
        return self._parent

    def boot(self) -> BootPort:
        import _pywebworker_boot

        return _JsBootPort(_pywebworker_boot)

    def set_timeout(self, fn: Callable[[], None], seconds: float) -> Callable[[], None]:
        return set_timeout(fn, seconds)

    def host_index_url(self) -> str:
        return host_index_url()

    def host_package_indexes(self) -> dict[str, Any]:
        return host_package_indexes()

    def absolute_url(self, url: str) -> str:
        return absolute_url(url)

    def cpu_count(self) -> int:
        # navigator.hardwareConcurrency in browsers and workers (and Node >= 21);
        # os.availableParallelism() in older Node.
        g = _globals()
        n = getattr(getattr(g, "navigator", None), "hardwareConcurrency", None)
        if not isinstance(n, int) or n < 1:
            get = getattr(getattr(g, "process", None), "getBuiltinModule", None)
            n = int(get("node:os").availableParallelism()) if get is not None else 1
        return max(1, n)

    def shared_memory(self) -> bool:
        # As js/sync.js pwwSharedMemory: Node always (but under the tests' switch
        # PYWW_TEST_NO_SHARED_MEMORY=1); a browser when cross-origin isolated.
        g = _globals()
        if getattr(g, "SharedArrayBuffer", None) is None or getattr(g, "Atomics", None) is None:
            return False
        if getattr(g, "crossOriginIsolated", None) is True:
            return True
        process = getattr(g, "process", None)
        if getattr(getattr(process, "versions", None), "node", None) is None:
            return False
        return getattr(getattr(process, "env", None), "PYWW_TEST_NO_SHARED_MEMORY", None) != "1"

    def package_files(self, name: str) -> dict[str, bytes] | None:
        # Only found packages are kept: one installed later (``loadPackage``, micropip)
        # is found by the next PyWorker (a miss kept for ever left every later pool
        # without the host's cloudpickle: issue 23).
        files = _files_cache.get(name)
        if files is None:
            try:
                files = _files_cache[name] = _files_of(_package_dir(name))
            except ImportError:
                return None
        return files

    async def run_script(self, source: str, namespace: dict[str, Any], filename: str) -> None:
        await run_script(source, namespace, filename)

    def page(self, name: str, dispatch: PageDispatch) -> PagePort:
        return _JsPage(name, dispatch)


_page_factory: Any = None


class _JsPage:
    """The page object ``globalThis[name]`` (``js/page.js`` ``pwwPage``): ``_ports.PagePort``.
    Its dispatch proxy lives until :meth:`close`."""

    def __init__(self, name: str, dispatch: PageDispatch) -> None:
        from pyodide.code import run_js
        from pyodide.ffi import create_proxy

        global _page_factory
        if _page_factory is None:
            _page_factory = run_js(f"(function () {{\n{bundles()['page']}\nreturn pwwPage;\n}})()")

        def on_call(call_id: int, fname: str, text: str, bufs: Any) -> None:
            dispatch(int(call_id), str(fname), str(text), [] if bufs is None else [b.to_bytes() for b in bufs])

        self._proxy = create_proxy(on_call)
        made = _page_factory(name, self._proxy)
        if isinstance(made, str):
            self._proxy.destroy()
            raise ValueError(made)
        self.js = made

    def update(self, added: list[str], removed: list[str]) -> None:
        self.js.update(_to_js(added), _to_js(removed))

    def settle(self, call_id: int, ok: bool, text: str, bufs: list[bytes]) -> bool:
        return bool(self.js.settle(call_id, 1 if ok else 0, text, _js_bufs(bufs)))

    def close(self) -> None:
        self.js.close()
        self._proxy.destroy()


_package_files_js: Any = None
_files_cache: dict[str, dict[str, bytes]] = {}
_mpy_files_js: dict[bool, Any] = {}
# What a MicroPython worker loads (js/mpyworker.js): not sent to a Pyodide PyWorker.
_MPY_DIR = "micropython/"
_MPY_RUNTIME = ("micropython/micropython.mjs", "micropython/micropython.wasm")


def _package_files() -> Any:
    """This package's files as a JS object ``{relative path: Uint8Array}``, for a
    PyWorker to install the same package in its own Pyodide."""
    global _package_files_js
    if _package_files_js is None:
        files = _files_of(_package_dir(__package__))
        _package_files_js = _to_js({k: v for k, v in files.items() if not k.startswith(_MPY_DIR)})
    return _package_files_js


def _mpy_files(runtime: bool) -> Any:
    """What a MicroPython worker needs from this package, as a JS object ``{relative
    path: Uint8Array}``: the C core, ``micropython/pywebworker.mpy`` (its bytecode,
    built with the wheel; else the ``.py`` source), and with ``runtime`` MicroPython
    itself (``micropython.mjs``, ``micropython.wasm``)."""
    if runtime not in _mpy_files_js:
        root = _package_dir(__package__)
        module = "micropython/pywebworker.mpy"
        if not root.joinpath(module).is_file():
            module = "micropython/pywebworker.py"
        names = ["_core.wasm", module, *(_MPY_RUNTIME if runtime else ())]
        files = {}
        for name in names:
            node = root.joinpath(name)
            if node.is_file():  # a missing runtime file is reported by the worker
                files[name] = node.read_bytes()
        _mpy_files_js[runtime] = _to_js(files)
    return _mpy_files_js[runtime]


def _files_of(root: Any) -> dict[str, bytes]:
    files: dict[str, bytes] = {}

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            if child.name == "__pycache__":
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                files[prefix + child.name] = child.read_bytes()

    walk(root, "")
    return files


def host_package_indexes() -> dict[str, Any]:
    """Where this Pyodide installs packages from, for a PyWorker to do the same.

    Returns
    -------
    dict
        ``index_urls``: micropip's configured index URLs (``micropip.set_index_urls``;
        read from its package manager, present in micropip 0.6 through 0.11), or
        ``None`` when micropip was never imported (its default then). ``piplite``: for
        JupyterLite, ``{"urls": [...], "disable_pypi": bool, "files": {...}}`` with the
        settings and the source files of the host's ``piplite`` (pyodide-kernel's
        micropip wrapper that reads the site's ``all.json`` wheel indexes), or
        ``None`` when it is not loaded. Relative URLs are made absolute against this
        Python's location (a PyWorker's script has no base URL).
    """
    import sys

    index_urls = None
    micropip = sys.modules.get("micropip")
    if micropip is not None:
        manager = getattr(micropip, "_package_manager_singleton", None) or getattr(micropip, "package_manager", None)
        urls = getattr(manager, "index_urls", None)
        if isinstance(urls, (list, tuple)) and all(isinstance(u, str) for u in urls):
            index_urls = [absolute_url(u) for u in urls]
    piplite = None
    settings = sys.modules.get("piplite.piplite")
    if settings is not None:
        urls = [absolute_url(str(u)) for u in getattr(settings, "_PIPLITE_URLS", None) or ()]
        if urls:
            piplite = {
                "urls": urls,
                "disable_pypi": bool(getattr(settings, "_PIPLITE_DISABLE_PYPI", False)),
                "files": _files_of(_package_dir("piplite")),
            }
    return {"index_urls": index_urls, "piplite": piplite}


def absolute_url(url: str) -> str:
    """``url`` resolved against this Python's location (the page, or the worker's
    script in a JupyterLite kernel); unchanged where there is none (Node.js)."""
    from urllib.parse import urljoin

    location = getattr(_globals(), "location", None)
    href = getattr(location, "href", None)
    return urljoin(href, url) if isinstance(href, str) and href else url


def host_index_url() -> str:
    """The indexURL this Pyodide was loaded from.

    Reads ``pyodide_js._api.config.indexURL`` (private API: present in Pyodide 0.23
    through 314.x); falls back to the jsDelivr CDN URL of this Pyodide's version.
    """
    import pyodide_js

    try:
        url = pyodide_js._api.config.indexURL  # noqa: SLF001 - no public API for it
        if isinstance(url, str) and url:
            return url
    except AttributeError:
        pass
    return f"https://cdn.jsdelivr.net/pyodide/v{pyodide_js.version}/full/"


async def run_script(source: str, namespace: dict[str, Any], filename: str) -> None:
    """Run ``source`` in ``namespace`` with top-level ``await`` allowed, as
    ``pyodide.runPythonAsync`` does. ``filename`` names it in tracebacks; Pyodide puts
    the source in ``linecache`` for a name not in ``<...>``, so tracebacks show lines."""
    from pyodide.code import eval_code_async

    await eval_code_async(source, namespace, filename=filename, return_mode="none")


_MAX_DELAY_MS = 2**31 - 1  # setTimeout fires at once (after 1 ms) for longer delays


def set_timeout(fn: Callable[[], None], seconds: float) -> Callable[[], None]:
    """Call ``fn`` after ``seconds`` with the host's ``setTimeout``; returns a cancel
    function that clears the timer. (``asyncio.wait_for`` in Pyodide leaves its timer
    pending, which keeps a Node process alive until it fires.)

    Any delay works: one beyond ``setTimeout``'s 2**31 - 1 ms (about 24.8 days) is a
    chain of timers; ``float("inf")`` never fires and holds no timer. What ``fn``
    raises is reported (``_errors.report``), never thrown into JavaScript.
    """
    from pyodide.ffi import create_proxy

    left = max(0.0, seconds) * 1000.0  # ms still to wait after the armed timer
    if left == float("inf"):
        return lambda: None
    js = _globals()
    pending = True
    handle: Any = None

    def arm() -> None:
        nonlocal left, handle
        step = min(left, _MAX_DELAY_MS)
        left -= step
        handle = js.setTimeout(proxy, step)

    def fire() -> None:
        nonlocal pending
        if left > 0:
            arm()
            return
        pending = False
        proxy.destroy()
        try:
            fn()
        except BaseException as exc:  # thrown into a JS timer, it would end a Node process
            report("pywebworker: error in a timer callback", exc)

    def cancel() -> None:
        nonlocal pending
        if pending:
            pending = False
            js.clearTimeout(handle)
            proxy.destroy()

    proxy = create_proxy(fire)
    arm()
    return cancel


def _package_dir(package: str) -> Traversable:
    """``importlib.resources.files(package)``, imported on first use: a PyWorker's boot
    imports this module and needs no package files."""
    from importlib import resources

    return resources.files(package)
