"""WorkerMessage: a handle on one message held in the C core's inbound queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._constants import MSG_KIND_NAMES, MSG_TEXT
from ._display import message_html
from ._errors import MessageReleasedError
from ._payload import decode

if TYPE_CHECKING:
    from ._ports import Inbound, MessageInfo


class WorkerMessage:
    """One received message, a handle on its slot in the C core's inbound queue.

    Small payloads (up to 64 KiB) come with the handle when it is made by
    ``get_unread_messages()`` or ``receive()`` (one crossing into JavaScript for the
    whole batch), so ``read()`` of such a message costs no crossing beyond marking it;
    larger ones, and those of handles from ``get_message()``, ``get_messages()`` and
    ``on_message``, are read from the core when asked for.

    After ``clear_read()`` released the message, a handle whose payload came with it
    stays readable (``read()``, ``kind``, ``is_opened()``); ``received``, ``nbytes``,
    and ``read()`` of a handle without its payload raise ``MessageReleasedError``.

    Mirrors the original PyWebWorker's message object (``read()``, ``is_opened()``).

    Attributes
    ----------
    index : int
        Position in the inbound queue, from 0, stable for the worker's life.
    """

    __slots__ = ("_inbound", "index", "_kind", "_raw", "_opened", "_js_numbers")

    def __init__(
        self,
        inbound: Inbound,
        index: int,
        kind: int = 0,
        raw: str | bytes | None = None,
        opened: bool = False,
        *,
        js_numbers: bool = False,
    ) -> None:
        self._inbound = inbound
        self._js_numbers = js_numbers  # it came from JavaScript: see _payload.loads
        self.index = index
        self._kind = kind
        self._raw = raw  # the undecoded payload when it came with the handle, else None
        self._opened = opened  # known to be marked opened in the core

    def _info(self) -> MessageInfo:
        return self._inbound.info(self.index)

    @property
    def kind(self) -> str:
        """``"text"``, ``"bytes"``, ``"json"`` or ``"error"``.

        Raises
        ------
        MessageReleasedError
            if the message was released by ``clear_read()``.
        """
        if not self._kind:
            self._kind = self._info().kind
        return MSG_KIND_NAMES.get(self._kind, str(self._kind))

    @property
    def received(self) -> float:
        """When the host received it: seconds since the epoch (float, sub-ms).

        Raises
        ------
        MessageReleasedError
            if the message was released by ``clear_read()``.
        """
        return self._info().received_ms / 1000.0

    @property
    def nbytes(self) -> int:
        """Size of the stored payload in bytes (UTF-8 for text and JSON).

        Raises
        ------
        MessageReleasedError
            if the message was released by ``clear_read()``.
        """
        return self._info().nbytes

    def is_opened(self) -> bool:
        """True once ``read()`` (or ``receive()``) has marked this message; also True
        once ``clear_read()`` released it (only opened messages are released).
        """
        if not self._opened:
            try:
                self._opened = self._info().opened
            except MessageReleasedError:
                self._opened = True
        return self._opened

    def read(self) -> Any:
        """Return the decoded payload and mark the message opened.

        Returns
        -------
        str | bytes | object
            ``str`` for text; ``bytes`` for binary data; the ``json.loads`` value for
            JSON; a :class:`~pywebworker.RemoteError` instance (not raised) for an
            error message.

        Raises
        ------
        MessageReleasedError
            if the message was released by ``clear_read()`` and its payload did not
            come with this handle. A payload up to 64 KiB comes with the handles made
            by ``get_unread_messages()`` and ``receive()``; such a handle stays
            readable after ``clear_read()``, as often as you like.
        """
        raw = self._raw
        if raw is None:
            self._kind, raw = self._inbound.read(self.index)
        elif not self._opened:
            try:
                self._inbound.mark_opened(self.index)
            except MessageReleasedError:
                pass  # released, so already opened (through another handle)
        self._opened = True
        if self._kind == MSG_TEXT:
            return raw  # the common case, without a call
        return decode(self._kind, raw, self._js_numbers)

    def _repr_html_(self) -> str:
        return message_html(self)

    def __repr__(self) -> str:
        try:
            state = "opened" if self.is_opened() else "unread"
            return f"<WorkerMessage {self.index} {self.kind} {self.nbytes} bytes {state}>"
        except Exception:  # released or worker destroyed: still printable
            return f"<WorkerMessage {self.index} released>"
