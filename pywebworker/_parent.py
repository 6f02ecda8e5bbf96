"""The worker's side: ``from pywebworker import parent`` inside a PyWorker."""

from __future__ import annotations

import traceback
from typing import Any

from . import _js
from ._endpoint import Endpoint
from ._errors import WorkerStateError
from ._message import WorkerMessage
from ._payload import encode


class Parent(Endpoint):
    """The host, seen from inside a PyWorker: messages it sent, and a way to reply.

    Mirrors the host-side API (``send_message``, ``get_unread_messages``,
    ``has_unread_messages``, ``get_message``, ``receive``, ``on_message``, ``async
    for``). Messages the host sent while this worker's Pyodide was loading are already
    waiting here, in order.

    Raises
    ------
    WorkerStateError
        from any method when used outside a PyWorker.
    """

    def __init__(self) -> None:
        super().__init__()
        self._notify: Any = None

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
        ``str``, bytes-like, or JSON-compatible data; bytes are transferred).

        Raises
        ------
        PayloadError
            (also a ``TypeError``) if ``data`` cannot be sent.
        """
        kind, payload = encode(data)
        self._api.send(kind, payload)

    postMessage = send_message  # noqa: N815 - the Web Worker spelling

    def _handler_error(self, msg: WorkerMessage, exc: BaseException) -> None:
        """Also tell the host: it reads an ``error`` message carrying the traceback."""
        super()._handler_error(msg, exc)
        tb = "".join(traceback.format_exception(exc))
        self._api.sendError(type(exc).__name__, str(exc), tb)

    def _watch(self, on: bool) -> None:
        if self._notify is None:
            self._notify = _js.make_proxy(self._wake)
        self._api.watch(on, self._notify)


parent = Parent()
