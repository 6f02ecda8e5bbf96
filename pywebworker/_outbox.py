"""Outbox: messages sent in one JS task leave in one batch.

A crossing into JavaScript costs microseconds, far more than a short message's own
work, so ``send_message`` does not pay one per message when messages come in a burst.
A message is posted at once (its latency is that of a lone message); when it follows
the last one within ``BURST`` seconds, it also asks the glue to call
:meth:`Outbox.later` at the end of the JS task, and the task's next text and JSON
messages wait here and leave together, in one crossing and one ``msgs`` message
(``js/protocol.js``), when the task ends, when ``MAX_WAIT`` seconds have passed since
the first of them (so that a loop that sends and computes in turn still sends as it
goes; a message sent more than ``MAX_WAIT`` after the last that left leaves at once,
with those waiting), or before anything else reaches the worker: bytes, a call, ``kill()``, a
change of limits. Order is never changed.

Each waiting message is checked at once, as the core would check it posted alone
(its size against the outbound byte limit; nothing waits in the core ahead of it),
so ``send_message`` still returns its index and raises ``QueueFullError`` at once.
Plain Python over two port functions; no ``js`` import here.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._constants import EFULL, EINVAL, ENOSPC, MAX_INDEX, MAX_LEN, MSG_BYTES
from ._errors import from_core, report

if TYPE_CHECKING:
    from ._ports import ParentPort, WorkerPort

QUEUED = 2**40  # js/protocol.js PWW_SEND_QUEUED
MAX_WAIT = 0.001  # seconds a message may wait while the same task keeps sending
BURST = 10e-6  # seconds between two sends that start batching (a loop's, not a round trip's)


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units (what the glue measures a JS string by)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Outbox:
    """The messages of one endpoint waiting for the end of the JS task.

    Parameters
    ----------
    port : WorkerPort | ParentPort
        Its ``send`` posts one message now (with ``later``: see ``_ports.WorkerPort``),
        its ``send_many`` a batch.
    indexed : bool
        Whether ``direct`` returns outbound indices (the host's side; a PyWorker's
        ``parent`` has no outbound queue and returns 0).
    """

    __slots__ = ("_port", "_indexed", "_texts", "_kinds", "_ascii", "_open", "_start", "_last", "_next",
                 "_fast_max", "later")

    def __init__(self, port: WorkerPort | ParentPort, indexed: bool = True) -> None:
        self._port = port
        self._indexed = indexed
        self._texts: list[str] = []
        self._kinds: list[int] = []
        self._ascii = True  # every waiting text is ASCII (its length is its UTF-8 size)
        self._open = False  # a burst began in this JS task: text and JSON wait for its end
        self._start = 0.0  # time.monotonic() of the first waiting message
        self._last = -1.0  # time.monotonic() when messages last left (posted, or a batch)
        self._next = 0  # the next waiting message's index
        self._fast_max = MAX_LEN  # longest ASCII text that fits (the outbound byte limit)
        self.later: Callable[[], None] = self._end_of_task  # what the glue calls (a proxy in Pyodide)

    @property
    def batching(self) -> bool:
        """Whether text and JSON messages wait for the end of the task (see :meth:`add`)."""
        return self._open

    @property
    def waiting(self) -> int:
        """Messages waiting here for the end of the task (sent, not yet in the core)."""
        return len(self._texts)

    def set_max_bytes(self, max_bytes: int) -> None:
        """The outbound queue's byte limit (0: none), as the owner set it in the core."""
        self._fast_max = min(max_bytes or MAX_LEN, MAX_LEN)

    def send(self, kind: int, payload: str | bytes | bytearray | memoryview) -> int:
        """Send one encoded message (``_payload.encode``); returns its index.

        Raises
        ------
        QueueFullError
            if it is larger than the outbound byte limit.
        WorkerStateError, PyWebWorkerError
            as the port raises them (only for a message posted at once).
        """
        if self._open and kind != MSG_BYTES:
            assert isinstance(payload, str)
            return self.add(kind, payload)
        self.flush()
        # Batching starts with the second message of a burst: a lone message (a round
        # trip's) costs no end-of-task call.
        now = time.monotonic()
        burst = kind != MSG_BYTES and now - self._last < BURST
        self._last = now
        r = self._port.send(kind, payload, self.later if burst else None)
        if r >= QUEUED:
            self._open = False
            return r - QUEUED
        if burst:
            self._open = True
        self._next = r + 1
        return r

    def add(self, kind: int, text: str) -> int:
        """Let a text or JSON message (``_payload.encode``d) wait for the batch; only
        while :attr:`batching`. Returns its index; raises ``QueueFullError`` if it is
        larger than the outbound byte limit."""
        if 2 * len(text) > self._fast_max or (self._indexed and self._next >= MAX_INDEX):
            self._check(text)  # at most 2 UTF-16 units a character: only then measured
        if self._ascii and not text.isascii():
            self._ascii = False
        texts = self._texts
        gap = False
        if not texts:
            self._start = now = time.monotonic()
            gap = now - self._last > MAX_WAIT  # the task computed since: no batch to wait for
        texts.append(text)
        self._kinds.append(kind)
        index = self._next
        self._next = index + 1
        k = len(texts)
        if gap or ((k < 4 or not k & 15) and time.monotonic() - self._start > MAX_WAIT):
            self.flush()
        return index

    def _check(self, text: str) -> None:
        """Refuse, as the core would refuse it posted alone (pww_w_fits: its size is
        the length of the JS string, in UTF-16 units)."""
        if self._indexed and self._next >= MAX_INDEX:
            raise from_core(ENOSPC, "send_message")
        n = _utf16_len(text)
        if n > MAX_LEN:
            raise from_core(EINVAL, "send_message")
        if n > self._fast_max:
            raise from_core(EFULL, "send_message")

    def flush(self) -> None:
        """Post the waiting messages now, in one batch. Never raises but a
        ``KeyboardInterrupt`` (an interrupt that lands here belongs to the code that
        sent): the glue refuses nothing checked here; a failure (the worker destroyed
        meanwhile) is reported through the event loop's exception handler."""
        texts = self._texts
        if not texts:
            return
        kinds = self._kinds
        self._texts, self._kinds = [], []
        self._last = time.monotonic()
        meta = array("i", bytes(8 * len(texts)))
        meta[0::2] = array("i", kinds)
        all_ascii = self._ascii
        if all_ascii:
            data = "".join(texts).encode("ascii")
            meta[1::2] = array("i", map(len, texts))
        else:
            parts = [t.encode() for t in texts]
            data = b"".join(parts)
            meta[1::2] = array("i", map(len, parts))
            self._ascii = True
        try:
            self._port.send_many(meta.tobytes(), data, all_ascii)
        except KeyboardInterrupt:
            # PyWorker.interrupt() landing as the post returns: the user's code must get
            # it (swallowed here, a `while True` after send_message would never stop).
            raise
        except BaseException as exc:  # noqa: BLE001 - nowhere to raise it: reported
            report(f"pywebworker: {len(texts)} message(s) could not be sent", exc)

    def close_task(self) -> None:
        """Flush, and post the next message at once again (something other than a
        message reached the glue: a call, a kill, a change of limits or state)."""
        self.flush()
        self._open = False

    def _end_of_task(self) -> None:
        self._open = False
        self.flush()
