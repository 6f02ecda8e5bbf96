"""The worker's side: ``from pywebworker import parent`` inside a PyWorker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _js
from ._calls import CALL_STATS, Caller, Exports, _error_info, _Replies, export_names
from ._endpoint import Endpoint, Handler, guarded
from ._errors import WorkerStateError, report
from ._message import WorkerMessage
from ._payload import encode


class Parent(Endpoint, Caller):
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

    def __init__(self) -> None:
        Endpoint.__init__(self)
        Caller.__init__(self)
        self._notify: Any = None
        self._handlers: tuple[Any, Any] | None = None
        # Set by the bootstrap (_boot.py) until the worker is ready: the script is
        # waiting for the host, which may make it ready.
        self._on_wait: Callable[[], None] | None = None

    def __getattr__(self, name: str) -> Any:
        # Bind to the bootstrap's glue on first use, so that importing pywebworker
        # on the host (where there is no parent) costs nothing and fails nowhere.
        if name not in ("_api", "_id"):
            raise AttributeError(name)
        api = _js.parent_api()
        if api is None:
            raise WorkerStateError("pywebworker.parent is only available inside a PyWorker")
        self._api = api
        self._id = int(api.id)
        return getattr(self, name)

    def send_message(self, data: Any) -> None:
        """Send ``data`` to the host (same rules as the host's ``send_message``:
        ``str``, bytes-like, or JSON-compatible data; bytes are transferred). The host
        is Python: ints of any size arrive exactly.

        Raises
        ------
        PayloadError
            (also a ``TypeError``) if ``data`` cannot be sent.
        """
        kind, payload = encode(data, False)
        self._api.send(kind, payload)

    postMessage = send_message  # noqa: N815 - the Web Worker spelling

    def _handler_error(self, msg: WorkerMessage, exc: BaseException) -> None:
        """Also tell the host: it reads an ``error`` message carrying the traceback."""
        super()._handler_error(msg, exc)
        try:
            info = _error_info(exc)
            self._api.sendError(info["name"], info["message"], info["stack"])
        except BaseException as err:  # delivery goes on whatever happens here
            report("pywebworker: could not send an on_message error to the host", err)

    async def _wait(self, deadline: float | None) -> None:
        if self._on_wait is not None:
            self._on_wait()
        await super()._wait(deadline)

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
        if self._notify is None:
            self._notify = _js.make_proxy(guarded(self._wake, "a message from the host"))
        self._api.watch(on, self._notify)


    # -- calls (pywebworker._calls.Caller) --------------------------------------------
    @property
    def host(self) -> Exports:
        """The functions the host exposed, as attributes:
        ``await parent.host.name(*args)`` is ``await parent.call("name", *args)``.

        The host's names are not known in advance: a name it does not expose raises
        ``RemoteError`` with ``remote_type == "NotExportedError"``, listing them.
        """
        return Exports(self)

    @property
    def call_stats(self) -> dict[str, int]:
        """Counters of this worker's calls to the host, kept by its own C core (same
        keys as ``worker.call_stats``)."""
        return {key: int(self._api.callStat(i)) for i, key in enumerate(CALL_STATS)}

    def _bind_calls(self) -> None:
        if self._handlers is None:
            self._handlers = (
                _js.make_proxy(guarded(self._on_reply, "a reply from the host")),
                _js.make_proxy(guarded(self._on_calls, "calls from the host")),
            )
            self._api.setCallHandlers(*self._handlers)
            self._replies = self._api.replies  # one JS method proxy, not one per batch

    def _on_reply(self, call_id: int, ok: bool, value: Any, bufs: Any) -> None:
        self._settle(call_id, ok, value, bufs)

    def _serve(self, namespace: Any) -> list[str]:
        """Called by the bootstrap (``_boot.py``) when the worker becomes ready: serve
        the functions named in ``__export__`` and return their names (for "ready").

        Raises
        ------
        TypeError, NameError
            for a bad ``__export__`` (see ``export_names``).
        """
        names, fns = export_names(namespace)
        self._exposed.update(fns)
        self._bind_calls()
        return names

    def _export_names(self) -> list[str] | None:
        return None  # the host's exposed names are checked by the host

    def _call_post(self, name: str, args: str, bufs: Any) -> int:
        self._bind_calls()
        return int(self._api.call(name, args, bufs))

    def _call_cancel(self, call_id: int) -> None:
        self._api.callCancel(call_id)

    def _call_reply(self, call_id: int, ok: bool, value: Any, bufs: Any) -> None:
        self._api.reply(call_id, ok, value, bufs)

    def _call_replies(self, out: _Replies) -> None:
        self._replies(out.text(), _js.to_js(out.bufs) if out.bufs else None, ",".join(map(str, out.ids)))


parent = Parent()
