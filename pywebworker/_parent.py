"""The worker's side: ``from pywebworker import parent`` inside a PyWorker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from . import _dom, _interrupt, _js, _sync
from ._client import CallClient
from ._constants import MSG_TEXT
from ._endpoint import Endpoint, Handler
from ._errors import WorkerStateError, error_info, report
from ._exports import Exports, export_names
from ._inbox import Inbox
from ._message import WorkerMessage
from ._outbox import Outbox
from ._payload import encode
from ._ports import ParentPort
from ._server import CallServer, _outcome
from ._wire import Batch


class Parent(Endpoint, CallClient, CallServer):
    """The host, seen from inside a PyWorker: messages it sent, and a way to reply.

    Mirrors the host-side API (``send_message``, ``get_unread_messages``,
    ``has_unread_messages``, ``get_message``, ``receive``, ``on_message``, ``async
    for``). Messages the host sent while this worker's Pyodide was loading are already
    waiting here, in order.

    Calls go both ways: the host calls the functions this worker's script lists in
    ``__export__``; this worker calls the functions the host exposed
    (``worker.expose(fn)``) with ``await parent.call("name", ...)`` or
    ``await parent.host.name(...)``. Call traffic never appears among the messages.

    Raises
    ------
    WorkerStateError
        from any method when used outside a PyWorker.
    """

    _export_kind = "host"
    _exposer = "worker"

    def __init__(self) -> None:
        Endpoint.__init__(self)
        CallClient.__init__(self)
        CallServer.__init__(self)
        self._serving = False
        # Set by the bootstrap (_boot.py, through set_wait_hook) until the worker is
        # ready: the script is waiting for the host, which may make it ready.
        self._on_wait: Callable[[], None] | None = None
        self.sync_timeout: float | None = _sync.DEFAULT_TIMEOUT

    def __getattr__(self, name: str) -> Any:
        # Bind to the bootstrap's glue on first use, so that importing pywebworker
        # on the host (where there is no parent) costs nothing and fails nowhere.
        if name == "_dom":
            self._dom: _dom.HostDom = _dom.HostDom(lambda: self._port, self._flush, lambda: self.sync_timeout)
            return self._dom
        if name == "document":  # its property raised AttributeError: raise it again, not a bare one
            return self._dom.document()
        if name not in ("_port", "_inbound", "_outbox"):
            raise AttributeError(name)
        port = _js.runtime().parent()
        if port is None:
            raise WorkerStateError("pywebworker.parent is only available inside a PyWorker")
        self._port: ParentPort = port
        self._inbound = Inbox(port)
        self._outbox = Outbox(port, indexed=False)
        return getattr(self, name)

    def send_message(self, data: Any) -> None:
        """Send ``data`` to the host (same rules as the host's ``send_message``:
        ``str``, bytes-like, or JSON-compatible data; bytes are transferred; a burst
        leaves in batches, in order). The host is Python: ints of any size arrive
        exactly.

        Raises
        ------
        PayloadError
            (also a ``TypeError``) if ``data`` cannot be sent.
        """
        outbox = self._outbox
        if type(data) is str and outbox.batching and data.isascii():
            outbox.add(MSG_TEXT, data)  # the common case, in short (_outbox.py)
            return
        kind, payload = encode(data, False)
        outbox.send(kind, payload)

    def _flush(self) -> None:
        """Send the messages waiting for the end of this JS task now (_outbox.py): before
        an error, a failure or readiness is said, so that they arrive first."""
        if "_outbox" in self.__dict__:
            self._outbox.flush()

    postMessage = send_message  # noqa: N815 - the Web Worker spelling

    def _handler_error(self, msg: WorkerMessage, exc: BaseException) -> None:
        """Also tell the host: it reads an ``error`` message carrying the traceback."""
        super()._handler_error(msg, exc)
        try:
            self._flush()
            self._port.send_error(error_info(exc))
        except BaseException as err:  # delivery goes on whatever happens here
            report("pywebworker: could not send an on_message error to the host", err)

    async def _wait(self, until: float | None) -> None:
        if self._on_wait is not None:
            self._on_wait()
        await super()._wait(until)

    @property
    def on_message(self) -> Handler | None:
        """As the host's ``on_message`` (see ``Endpoint.on_message``); setting it while
        the script's top level runs counts as waiting for the host (readiness)."""
        return self._handler

    @on_message.setter
    def on_message(self, handler: Handler | None) -> None:
        Endpoint.on_message.fset(self, handler)  # type: ignore[attr-defined]
        if handler is not None and self._on_wait is not None:
            self._on_wait()

    def _watch(self, on: bool) -> None:
        self._port.watch(on, self._wake)

    # -- calls (_client.CallClient, _server.CallServer) ---------------------------------
    @property
    def host(self) -> Exports:
        """The functions the host exposed, as attributes:
        ``await parent.host.name(*args)`` is ``await parent.call("name", *args)``.

        The host's names are not known in advance: a name it does not expose raises
        ``RemoteError`` with ``remote_type == "NotExportedError"``, listing them.
        """
        return Exports(self.call, self._export_names, self._not_exported)

    @property
    def sync(self) -> _sync.SyncExports:
        """Synchronous calls to the functions the host exposed:
        ``parent.sync.name(*args)`` blocks this worker until the result and returns it
        (no ``await``), as PyScript's ``sync.name()``. Blocks with shared memory
        (``pywebworker.shared_memory_available()``: Node, or a page served with
        ``Cross-Origin-Opener-Policy: same-origin`` and
        ``Cross-Origin-Embedder-Policy: require-corp``), the worker frozen meanwhile; or,
        without it, with JSPI (Chromium 137+, Node 26: ``pyodide.ffi.run_sync``), the
        worker's event loop running meanwhile (the host's other calls, handlers and
        tasks run). Same answers and errors either way.

        The host answers from its event loop: while its Python is busy (a notebook cell
        that does not await), this worker waits; with shared memory, a host function that
        calls this worker back (``await worker.exports.f()``) waits until this call ends,
        so this call times out (over JSPI the worker answers it meanwhile). Messages and
        calls sent before arrive first. Payload rules as ``call``. ``timeout=`` (seconds;
        ``float("inf")``: none) overrides ``parent.sync_timeout`` (default 60 s) for one
        call.

        Raises
        ------
        SharedMemoryError
            where there is neither shared memory nor JSPI; the message names both ways
            out (the two headers, or a browser or Node with JSPI). Its subclass
            ``CannotBlockHereError`` (also a ``BlockingError``) where there is JSPI but
            this Python was called synchronously from JavaScript (a ``create_proxy``
            callback of yours) and cannot block.
        RemoteError
            if the host's function raised (with its traceback), is not exposed, or
            returned something that cannot be sent.
        TimeoutError
            when the host did not answer in time (a later answer is dropped).
        PayloadError
            (also a ``TypeError``) if an argument cannot be sent.

        Examples
        --------
        >>> from pywebworker import parent  # doctest: +SKIP
        >>> parent.sync.add(1, 2)  # doctest: +SKIP
        3
        """
        return _sync.SyncExports(self._sync_call)

    @property
    def window(self) -> _dom.HostProxy:
        """The host's global object (``window`` on a page), as a proxy: every use of it
        is a synchronous request to the host, as ``parent.sync`` (shared memory or JSPI,
        ``parent.sync_timeout``). ``parent.window.document.title``,
        ``parent.window.localStorage.getItem("k")``, ``parent.window.Date.new()``.

        Values that copy (None, bool, numbers, str, bytes, lists and dicts of them) come
        back as Python values; objects (DOM nodes, functions) as ``HostProxy`` handles,
        released on the host when dropped. See ``pywebworker.HostProxy``.

        Where the host has no page: in Node, the host's ``globalThis``; in a worker-hosted
        kernel (Pyodide in a Web Worker, as JupyterLite), that worker's global scope
        (``self``), whose ``document`` does not exist.

        Raises
        ------
        SharedMemoryError
            where this worker can block neither way (as ``parent.sync``).

        Examples
        --------
        >>> from pywebworker import parent  # doctest: +SKIP
        >>> parent.window.location.href  # doctest: +SKIP
        'https://example.org/'
        """
        return self._dom.window()

    @property
    def document(self) -> _dom.HostProxy:
        """The host page's ``document``, as a proxy (see ``window``):
        ``parent.document.title = "x"``,
        ``parent.document.getElementById("out").textContent = "done"``.

        Raises
        ------
        AttributeError
            where the host has no document: it runs in Node, or in a worker (Pyodide in
            a Web Worker, as a JupyterLite kernel); the message says which.
        SharedMemoryError
            where this worker can block neither way (as ``parent.sync``).
        """
        return self._dom.document()

    def _sync_call(self, name: str, args: tuple[Any, ...], timeout: float | None) -> Any:
        return _sync.call(self._port, name, args, self.sync_timeout if timeout is None else timeout, self._flush)

    @property
    def call_stats(self) -> dict[str, int]:
        """Counters of this worker's calls to the host, kept by its own C core (same
        keys as ``worker.call_stats``)."""
        return self._port.call_stats()

    def _serve(self) -> None:
        """Take the host's calls and this worker's replies from now on (once)."""
        if not self._serving:
            self._port.serve(self.on_calls, self.settle_batch)
            self._serving = True

    def _export_names(self) -> list[str] | None:
        return None  # the host's exposed names are checked by the host

    def on_calls(self, text: str, bufs: list[list[bytes]]) -> None:
        """As ``CallServer.on_calls``; an interrupt this worker has not seen yet was
        sent while none of its Python ran: it goes to the async exports running, or
        nowhere (``_interrupt.py``), never to this batch's calls."""
        if self._port.take_interrupt():
            _interrupt.stray()
        super().on_calls(text, bufs)

    def _start_async(self, awaitable: Awaitable[Any]) -> asyncio.Future[tuple[bool, Any]]:
        return _interrupt.start(awaitable, _outcome)  # reachable by worker.interrupt()

    def _call_post(self, name: str, args: str, bufs: list[bytes]) -> int:
        self._serve()
        self._flush()  # messages sent before a call go before it
        return self._port.call(name, args, bufs)

    def _call_cancel(self, call_id: int) -> None:
        self._port.call_cancel(call_id)

    def _post_batch(self, batch: Batch) -> None:
        self._flush()
        self._port.replies(batch)

    def _serve_exports(self, namespace: Any) -> list[str]:
        names, fns = export_names(namespace)
        self._exposed.update(fns)
        self._serve()
        return names


parent = Parent()


def serve_exports(namespace: Any) -> list[str]:
    """Called by the bootstrap (``_boot.py``) when the worker becomes ready: serve
    the functions named in ``__export__`` and return their names (for "ready").

    Raises
    ------
    TypeError, NameError
        for a bad ``__export__`` (see ``_exports.export_names``).
    """
    return parent._serve_exports(namespace)  # noqa: SLF001 - this module's own object


def set_wait_hook(fn: Callable[[], None] | None) -> None:
    """Call ``fn`` each time the script waits for the host (``None``: stop); the
    bootstrap's readiness check (``_boot.py``)."""
    parent._on_wait = fn  # noqa: SLF001 - this module's own object


def flush() -> None:
    """Called by the bootstrap (``_boot.py``) before it says ``ready`` or ``failed``:
    the messages the script sent arrive first."""
    parent._flush()  # noqa: SLF001 - this module's own object
