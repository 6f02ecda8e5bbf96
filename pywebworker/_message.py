"""WorkerMessage: a handle on one message held in the C core's inbound queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._payload import KIND_NAMES

if TYPE_CHECKING:
    from ._endpoint import Endpoint


class WorkerMessage:
    """One received message. The payload stays in the C core until ``read()``.

    Mirrors the original PyWebWorker's message object (``read()``, ``is_opened()``).

    Attributes
    ----------
    index : int
        Position in the inbound queue, from 0, stable for the worker's life.
    """

    __slots__ = ("_endpoint", "index", "_kind")

    def __init__(self, endpoint: Endpoint, index: int) -> None:
        self._endpoint = endpoint
        self.index = index
        self._kind = 0

    def _info(self) -> list[Any]:
        return self._endpoint._info(self.index)

    @property
    def kind(self) -> str:
        """``"text"``, ``"bytes"``, ``"json"`` or ``"error"``.

        Raises
        ------
        MessageReleasedError
            if the message was released by ``clear_read()``.
        """
        if not self._kind:
            self._kind = int(self._info()[0])
        return KIND_NAMES.get(self._kind, str(self._kind))

    @property
    def received(self) -> float:
        """When the host received it: seconds since the epoch (float, sub-ms)."""
        return float(self._info()[2]) / 1000.0

    @property
    def nbytes(self) -> int:
        """Size of the stored payload in bytes (UTF-8 for text and JSON)."""
        return int(self._info()[3])

    def is_opened(self) -> bool:
        """True once ``read()`` (or ``receive()``) has marked this message."""
        return bool(self._info()[1])

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
            if the message was released by ``clear_read()``.
        """
        return self._endpoint._read(self.index)

    def _mark(self) -> None:
        self._endpoint._mark(self.index)

    @property
    def _is_error(self) -> bool:
        return self.kind == "error"

    def __repr__(self) -> str:
        try:
            state = "opened" if self.is_opened() else "unread"
            return f"<WorkerMessage {self.index} {self.kind} {self.nbytes} bytes {state}>"
        except Exception:  # released or worker destroyed: still printable
            return f"<WorkerMessage {self.index} released>"
