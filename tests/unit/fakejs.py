"""A fake of the JS facade (``pywebworker/_ports.py``) for unit tests under plain CPython.

``FakeRuntime`` implements ``Runtime`` with the semantics the real glue has, so that the
package's logic runs without Pyodide:

- a fake C core (``FakeCore``) that follows csrc/WASM_API.md: per endpoint an outbound
  and an inbound queue (indices from 0, never reused; slots released one by one;
  read tracking; limits of live messages and bytes, ``EFULL`` beyond them), the state
  machine (``ESTATE`` for a transition not in the table and for an outbound push to a
  killed or failed worker), and call ids from 1 per worker with the five counters
  (a reply to a call no longer pending is late: ``ENOCALL``);
- the host glue of js/host.js and js/core.js on top: start, ready, the outbound drain
  once running, kill (pending calls cancelled, undelivered messages counted), the
  failure record, the inbox (a message that does not fit is counted as dropped and
  reported by an error message once there is room), calls batched per event-loop turn.

Errors are raised through ``_errors.from_core``, as the real ports raise them.

The tests act as the worker through hooks on ``FakeWorkerPort``: ``post`` (a user
payload), ``say`` (a control message), ``answer`` (a ``returns`` batch), ``call_host``
(a ``calls`` batch); ``posted`` lists what the host sent, in order. Events reach
Python through ``loop.call_soon``, as a JS task would: no asyncio task is running
then. Events caused by a call from Python (``kill``) are dispatched at once, as the
glue does.

Not modelled: the report of dropped messages that does not fit even an empty queue
(js/core.js queues it past the byte limit), JS value classification beyond JSON,
transferables other than ``bytes``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import urllib.parse
from array import array
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from pywebworker import _constants as consts
from pywebworker._errors import error_info, from_core, report
from pywebworker._outbox import QUEUED
from pywebworker._ports import Entry, ErrorInfo, MessageInfo, PyStart, State
from pywebworker._wire import pack, unpack

if TYPE_CHECKING:
    from pywebworker._ports import BootPort, HostGlue, Inbound, PagePort, ParentPort, Runtime, WorkerPort

_ALLOWED = {
    consts.STATE_CREATED: {consts.STATE_STARTING, consts.STATE_KILLED},
    consts.STATE_STARTING: {consts.STATE_RUNNING, consts.STATE_FAILED, consts.STATE_KILLED},
    consts.STATE_RUNNING: {consts.STATE_KILLED, consts.STATE_FAILED},
}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
WAKE_TEXT = 4096  # js/core.js PWW_WAKE_TEXT: the longest text a wake-up carries (UTF-16 units)
# Worker ids are never reused, across runtimes too: a worker object left over from an
# earlier test can never receive the events of a new one.
_ids = itertools.count(1)


def _nbytes(kind: int, payload: str | bytes) -> int:
    return len(payload) if isinstance(payload, bytes) else len(payload.encode("utf-8", "surrogatepass"))


def _ok(code: int, context: str) -> int:
    if code < 0:
        raise from_core(code, context)
    return code


def _error_text(name: str, message: str, stack: str = "") -> str:
    return json.dumps({"name": name, "message": message, "stack": stack}, separators=(",", ":"))


class _Msg:
    __slots__ = ("kind", "payload", "opened", "time_ms", "nbytes")

    def __init__(self, kind: int, payload: str | bytes, time_ms: float) -> None:
        self.kind = kind
        self.payload = payload
        self.opened = False
        self.time_ms = time_ms
        self.nbytes = _nbytes(kind, payload)


class FakeQueue:
    """One queue of the core: index i is the i-th message ever pushed, ``None`` once
    released."""

    def __init__(
        self, max_messages: int = consts.DEFAULT_MAX_MESSAGES, max_bytes: int = consts.DEFAULT_MAX_BYTES
    ) -> None:
        self.slots: list[_Msg | None] = []
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.live = 0
        self.live_bytes = 0
        self.unread = 0

    def fits(self, nbytes: int) -> int:
        if nbytes > consts.MAX_LEN:
            return consts.EINVAL
        if self.max_messages and self.live >= self.max_messages:
            return consts.EFULL
        if self.max_bytes and self.live_bytes + nbytes > self.max_bytes:
            return consts.EFULL
        if len(self.slots) >= consts.MAX_INDEX:
            return consts.ENOSPC
        return 0

    def push(self, kind: int, payload: str | bytes, time_ms: float) -> int:
        if kind not in consts.MSG_KIND_NAMES:
            return consts.EINVAL
        msg = _Msg(kind, payload, time_ms)
        code = self.fits(msg.nbytes)
        if code < 0:
            return code
        self.slots.append(msg)
        self.live += 1
        self.live_bytes += msg.nbytes
        self.unread += 1
        return len(self.slots) - 1

    def at(self, index: int) -> _Msg | int:
        if not 0 <= index < len(self.slots):
            return consts.ERANGE
        msg = self.slots[index]
        return consts.ERELEASED if msg is None else msg

    def mark_opened(self, index: int) -> int:
        msg = self.at(index)
        if isinstance(msg, int):
            return msg
        if not msg.opened:
            msg.opened = True
            self.unread -= 1
        return 0

    def release(self, index: int) -> int:
        msg = self.at(index)
        if isinstance(msg, int):
            return msg
        self.slots[index] = None
        self.live -= 1
        self.live_bytes -= msg.nbytes
        if not msg.opened:
            self.unread -= 1
        return 0

    def release_opened(self) -> int:
        opened = [i for i, m in enumerate(self.slots) if m is not None and m.opened]
        for i in opened:
            self.release(i)
        return len(opened)

    def first_unread(self) -> int:
        """Oldest unread index, ``len(slots)`` when none (as ``pww_w_first_unread``)."""
        return next((i for i, m in enumerate(self.slots) if m is not None and not m.opened), len(self.slots))

    def held(self) -> list[int]:
        return [i for i, m in enumerate(self.slots) if m is not None]


class FakeCoreWorker:
    """One worker of the core: state, two queues, the pending-call table."""

    def __init__(self, worker_id: int, kind: int) -> None:
        self.id = worker_id
        self.kind = kind
        self.state = consts.STATE_CREATED
        self.queues = (FakeQueue(), FakeQueue())
        self.pending: dict[int, float] = {}
        self.last_id = 0
        self.ended = self.cancelled = self.late = 0

    def set_state(self, state: int) -> int:
        if not 0 <= state < consts.STATE_COUNT:
            return consts.EINVAL
        if state not in _ALLOWED.get(self.state, ()):
            return consts.ESTATE
        self.state = state
        return 0

    def push(self, queue: int, kind: int, payload: str | bytes, time_ms: float = 0.0) -> int:
        if queue == consts.OUTBOUND and self.state in (consts.STATE_KILLED, consts.STATE_FAILED):
            return consts.ESTATE if kind in consts.MSG_KIND_NAMES else consts.EINVAL
        return self.queues[queue].push(kind, payload, time_ms)

    def call_begin(self, time_ms: float = 0.0) -> int:
        if self.state in (consts.STATE_KILLED, consts.STATE_FAILED):
            return consts.ESTATE
        self.last_id += 1
        self.pending[self.last_id] = time_ms
        return self.last_id

    def call_end(self, call_id: int) -> int:
        if not 0 < call_id <= self.last_id:
            return consts.EINVAL
        if self.pending.pop(call_id, None) is None:
            self.late += 1
            return consts.ENOCALL
        self.ended += 1
        return 0

    def call_cancel(self, call_id: int) -> int:
        if not 0 < call_id <= self.last_id:
            return consts.EINVAL
        if self.pending.pop(call_id, None) is None:
            return consts.ENOCALL
        self.cancelled += 1
        return 0

    def call_cancel_all(self) -> int:
        n = len(self.pending)
        self.cancelled += n
        self.pending.clear()
        return n

    def call_stats(self) -> dict[str, int]:
        values = (len(self.pending), self.last_id, self.ended, self.cancelled, self.late)
        return dict(zip(consts.CALL_STAT_NAMES, values, strict=True))


class FakeCore:
    """A registry of workers (one per runtime side)."""

    def __init__(self) -> None:
        self.workers: dict[int, FakeCoreWorker] = {}

    def create(self, kind: int) -> int:
        if kind not in (consts.KIND_PYTHON, consts.KIND_JAVASCRIPT):
            return consts.EINVAL
        worker_id = next(_ids)
        self.workers[worker_id] = FakeCoreWorker(worker_id, kind)
        return worker_id


class _Inbox:
    """js/core.js ``pwwInbox``: queues what arrives; what does not fit is counted as
    dropped and reported by an error message as soon as one fits."""

    def __init__(self, worker: FakeCoreWorker, peer: str, now: Callable[[], float]) -> None:
        self.worker = worker
        self.peer = peer
        self.now = now
        self.dropped = 0
        self.unreported = 0
        self.why = ""

    @property
    def queue(self) -> FakeQueue:
        return self.worker.queues[consts.INBOUND]

    def _report(self) -> None:
        message = f"{self.unreported} message(s) from the {self.peer} were dropped: {self.why}"
        text = _error_text("QueueFullError", message)
        if self.queue.push(consts.MSG_ERROR, text, self.now()) >= 0:
            self.unreported = 0

    def _before(self) -> None:
        if self.unreported:
            self._report()

    def _count(self, code: int) -> int:
        if code < 0:
            self.dropped += 1
            self.unreported += 1
            self.why = "the inbound queue was full" if code == consts.EFULL else C_ERROR_TEXT.get(code, str(code))
            self._report()
        return code

    def _settle(self, kind: int, payload: str | bytes) -> int:
        """Push; a message that can never fit becomes an error message saying why."""
        code = self.queue.push(kind, payload, self.now())
        n = _nbytes(kind, payload)
        limit = self.queue.max_bytes
        if code == consts.EFULL and limit and n > limit:
            why = f"it is larger than the inbound queue's byte limit ({limit} bytes; see set_queue_limits)"
            return self.refuse(f"a message of {n} bytes from the {self.peer} was refused: {why}", "QueueFullError")
        return code

    def refuse(self, message: str, name: str = "DataCloneError") -> int:
        return self.queue.push(consts.MSG_ERROR, _error_text(name, message), self.now())

    def value(self, value: Any) -> int:
        """A JS value from the peer, classified as ``pushValue`` does."""
        self._before()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                code = self.refuse(f"the {self.peer} sent a string with a lone surrogate: UTF-8 cannot carry it")
            else:
                code = self._settle(consts.MSG_TEXT, value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            code = self._settle(consts.MSG_BYTES, bytes(value))
        else:
            try:
                text = json.dumps(value, allow_nan=False, separators=(",", ":"))
            except (TypeError, ValueError) as exc:
                code = self.refuse(f"the {self.peer} sent a value that cannot be carried: {exc}")
            else:
                code = self._settle(consts.MSG_JSON, text)
        return self._count(code)

    def json(self, text: str) -> int:
        self._before()
        return self._count(self._settle(consts.MSG_JSON, text))

    def error(self, name: str, message: str, stack: str = "") -> int:
        self._before()
        return self._count(self.queue.push(consts.MSG_ERROR, _error_text(name or "Error", message, stack), self.now()))

    def released(self) -> None:
        self._before()


C_ERROR_TEXT = {code: text for _, (code, text) in consts.ERRORS.items()}


class FakeInbound:
    """``_ports.Inbound`` over the inbound queue of ``worker`` in a fake core."""

    def __init__(self, worker: FakeCoreWorker, inbox: _Inbox) -> None:
        self.core_worker = worker
        self.inbox = inbox
        self.id = worker.id

    @property
    def _q(self) -> FakeQueue:
        return self.core_worker.queues[consts.INBOUND]

    def _msg(self, index: int) -> _Msg:
        msg = self._q.at(index)
        if isinstance(msg, int):
            raise from_core(msg, f"message {index}")
        return msg

    def length(self) -> int:
        return len(self._q.slots)

    def unread_count(self) -> int:
        return self._q.unread

    def first_unread(self) -> int | None:
        i = self._q.first_unread()
        return None if i == len(self._q.slots) else i

    def held(self) -> list[int]:
        return self._q.held()

    def info(self, index: int) -> MessageInfo:
        m = self._msg(index)
        return MessageInfo(m.kind, m.opened, m.time_ms, m.nbytes)

    def mark_opened(self, index: int) -> None:
        _ok(self._q.mark_opened(index), f"message {index}")

    def read(self, index: int) -> tuple[int, str | bytes]:
        m = self._msg(index)
        self._q.mark_opened(index)
        return m.kind, m.payload

    def _entry(self, index: int, max_inline: int) -> Entry:
        m = self._msg(index)
        return (index, m.kind, m.payload if m.nbytes <= max_inline else None)

    def take(self, max_inline: int) -> Entry | None:
        i = self.first_unread()
        if i is None:
            return None
        entry = self._entry(i, max_inline)
        self._q.mark_opened(i)
        return entry

    def unread(self, max_inline: int) -> list[Entry]:
        q = self._q
        return [self._entry(i, max_inline) for i, m in enumerate(q.slots) if m is not None and not m.opened]

    def mark_many(self, indices: list[int]) -> None:
        for i in indices:
            self._q.mark_opened(i)  # js/core.js takeMany: a released one is skipped

    def take_many(self, marks: list[int], max_inline: int, limit: int) -> list[Entry]:
        self.mark_many(marks)
        if limit < 0:
            return []
        out = self.unread(max_inline)
        return out[:limit] if limit > 0 else out

    def release_opened(self) -> int:
        n = self._q.release_opened()
        if n > 0:
            self.inbox.released()
        return n


def _unpack(meta: bytes, data: bytes) -> list[tuple[int, str]]:
    """The messages of a send_many batch (js/protocol.js pwwEachMessage)."""
    pairs = array("i")
    pairs.frombytes(meta)
    out, off = [], 0
    for k in range(0, len(pairs), 2):
        kind, n = pairs[k], pairs[k + 1]
        assert kind in (consts.MSG_TEXT, consts.MSG_JSON) and n >= 0, "malformed batch"
        out.append((kind, data[off:off + n].decode()))
        off += n
    assert off == len(data), "malformed batch"
    return out


class Post(NamedTuple):
    """One thing the host posted to a worker: ``type`` is ``"message"`` (``kind``
    ``_constants.MSG_*``, ``data`` the payload: ``str`` or ``bytes``; JSON as its
    text), ``"calls"`` or ``"returns"`` (``data`` the batch text, ``bufs`` its bytes,
    ``ids`` the call ids)."""

    type: str
    kind: int
    data: str | bytes
    bufs: list[list[bytes]]
    ids: list[int]


class _Batch:
    """js/protocol.js ``pwwBatch``: the calls of one event-loop turn."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.bufs: list[list[bytes]] = []
        self.ids: list[int] = []

    def add(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        head = f"{call_id},{json.dumps(name, separators=(',', ':'))}"
        if bufs:
            self.parts.append(f"[{head},{json.dumps(args)},{len(self.bufs)}]")
            self.bufs.append([bytes(b) for b in bufs])
        else:
            self.parts.append(f"[{head},{args},-1]")
        self.ids.append(call_id)

    def text(self) -> str:
        return f"[{','.join(self.parts)}]"


def _batch_text(items: list[Any]) -> str:
    return json.dumps([list(item) for item in items], separators=(",", ":"))


class FakeWorkerPort(FakeInbound):
    """``_ports.WorkerPort``: the host's side of one worker (js/host.js), plus the hooks
    through which a test plays the worker."""

    def __init__(self, host: FakeHost, worker: FakeCoreWorker) -> None:
        super().__init__(worker, _Inbox(worker, "worker", host.rt.now))
        self.host = host
        self.booted = ""
        self.spawned = False  # a Worker object exists (from start to kill or failure)
        self.watching = False
        self.ready = False
        self.exports: list[str] | None = None
        self.failure_info: ErrorInfo | None = None
        self.started_with: dict[str, Any] | PyStart | None = None
        self.posted: list[Post] = []
        self.watch_calls: list[bool] = []
        self.handler = False  # an on_message handler is set (js/host.js handler)
        self._batch: _Batch | None = None
        self.destroyed = False
        self.warm = False  # a spare said "warm"
        self.shared = False  # the host has shared memory: interrupt() works
        self.signals: list[int] = []  # what interrupt() stored
        self.adopted_from: int | None = None  # the spare whose thread this port took
        self.batches = 0  # send_many calls

    # -- the glue's internals --------------------------------------------------------
    def _dispatch(self, event: str, *args: Any, now: bool = False) -> None:
        self.host.dispatch(event, self.id, *args, now=now)

    def _deliver(self, kind: int, data: str | bytes) -> None:
        self.posted.append(Post("message", kind, data, [], []))

    def _flush_calls(self) -> None:
        b, self._batch = self._batch, None
        if b is None or not self.spawned:
            return  # killed or failed meanwhile: the core cancelled the calls
        self.posted.append(Post("calls", 0, b.text(), b.bufs, b.ids))

    def _queue_call(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        if self._batch is None:
            self._batch = _Batch()
            self.host.rt.loop.call_soon(self._flush_calls)  # the glue's microtask
        self._batch.add(call_id, name, args, bufs)

    def _drain(self) -> None:
        self._flush_calls()  # calls made before a message go before it
        out = self.core_worker.queues[consts.OUTBOUND]
        while out.unread:
            i = out.first_unread()
            m = out.slots[i]
            assert m is not None
            self._deliver(m.kind, m.payload)
            out.release(i)

    def _set_running(self) -> None:
        if self.core_worker.set_state(consts.STATE_RUNNING) < 0:
            return
        self._drain()
        self._dispatch("state", now=True)

    def _stop(self) -> None:
        self.spawned = False
        self._batch = None

    def _fail(self, name: str, message: str, stack: str = "") -> None:
        if self.core_worker.state not in (consts.STATE_STARTING, consts.STATE_RUNNING):
            return
        self.failure_info = {"name": name or "Error", "message": message, "stack": stack}
        self.inbox.error(name or "Error", message, stack)
        self.core_worker.set_state(consts.STATE_FAILED)
        self._stop()
        self.core_worker.call_cancel_all()
        self._dispatch("state", now=True)

    def _wake_if_watched(self, index: int = -1, data: Any = None, json: bool = False) -> None:
        """Tell Python, when it watches; with the message just queued at ``index`` when
        the glue would offer it (js/core.js pwwInbox ``wake``: a short well-formed text
        stored as it came, not an error queued in its place)."""
        if not self.watching:
            return
        kind = consts.MSG_JSON if json else consts.MSG_TEXT
        if (
            index >= 0 and isinstance(data, str) and len(data.encode("utf-16-le", "surrogatepass")) <= 2 * WAKE_TEXT
            and not _LONE_SURROGATE.search(data) and self._q.at(index).kind == kind  # type: ignore[union-attr]
        ):
            self._dispatch("wake", (index, kind, data), now=True)
        else:
            self._dispatch("wake", now=True)

    # -- WorkerPort ------------------------------------------------------------------
    def state(self) -> State:
        name: State = consts.STATE_NAMES[self.core_worker.state]  # type: ignore[assignment]
        return name

    def _start(self, how: dict[str, Any] | PyStart) -> None:
        _ok(self.core_worker.set_state(consts.STATE_STARTING), "start")
        self.started_with = how
        self.spawned = True

    def start_js(self, script: str | None, url: str | None, type: str, name: str) -> None:  # noqa: A002
        self._start({"script": script, "url": url, "type": type, "name": name})

    def start_py(self, options: PyStart) -> None:
        self._start(options)

    def adopt(self, spare: Any, options: PyStart) -> None:
        """js/host.js adopt: this port takes the spare's thread; the spare is left killed."""
        st = spare.core_worker.state
        if not spare.spawned or st not in (consts.STATE_STARTING, consts.STATE_RUNNING):
            raise from_core(consts.EINVAL, "start")
        _ok(self.core_worker.set_state(consts.STATE_STARTING), "start")
        spare.spawned = False
        spare.core_worker.set_state(consts.STATE_KILLED)
        self.spawned, self.started_with, self.adopted_from, self.warm = True, options, spare.id, spare.warm
        self.posted.append(Post("run", 0, options.script or "", [], []))
        if st == consts.STATE_RUNNING:
            self._set_running()

    def is_warm(self) -> bool:
        return self.warm

    def snapshot_state(self) -> str:
        return self.booted  # set by the test, as js/host_snapshot.js: "made", "loaded", "cached", ...

    def interrupt(self, signal: int) -> bool:
        """As js/host.js: only with shared memory (``self.shared``, off by default)."""
        if not self.shared or not self.spawned:
            return False
        self.signals.append(signal)
        return True

    def has_ring(self) -> bool:
        return self.shared and self.spawned

    def wait(self, ms: float) -> int:
        """As js/host.js wait: no ring here (messages come by the fake's own path)."""
        if not self.has_ring():
            return -2
        return 1 if self.core_worker.queues[consts.INBOUND].unread > 0 else 0

    def send(self, kind: int, payload: str | bytes | bytearray | memoryview,
             later: Callable[[], None] | None = None) -> int:
        data: str | bytes = payload if isinstance(payload, str) else bytes(payload)
        if kind == consts.MSG_TEXT and isinstance(data, str) and _LONE_SURROGATE.search(data):
            raise from_core(consts.EINVAL, "send")
        w, out = self.core_worker, self.core_worker.queues[consts.OUTBOUND]
        if w.state == consts.STATE_RUNNING and out.unread == 0:
            # js/host_outbound.js sendNow: counted (an entry released at once), then posted.
            code = out.fits(_nbytes(kind, data))
            index = w.push(consts.OUTBOUND, kind, b"", self.host.rt.now()) if code == 0 else code
            _ok(index, "send")
            out.release(index)
            self._flush_calls()
            self._deliver(kind, data)
            if later is not None:
                self.host.rt.loop.call_soon(later)  # the glue's microtask
            return index
        index = _ok(w.push(consts.OUTBOUND, kind, data, self.host.rt.now()), "send")
        if w.state == consts.STATE_RUNNING:
            self._drain()
        return index + QUEUED if later is not None else index

    def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int:
        """js/host_outbound.js sendMany: posted as one batch (recorded here message by
        message, with ``self.batches`` counting the posts) or queued in the core."""
        assert not all_ascii or data.isascii()
        w, out = self.core_worker, self.core_worker.queues[consts.OUTBOUND]
        items = _unpack(meta, data)
        self.batches += 1
        first = -1
        if w.state == consts.STATE_RUNNING and out.unread == 0:
            for kind, _text in items:
                index = _ok(w.push(consts.OUTBOUND, kind, b"", self.host.rt.now()), "send")
                out.release(index)
                first = index if first < 0 else first
            self._flush_calls()
            for kind, text in items:
                self._deliver(kind, text)
            return first
        for kind, text in items:
            index = _ok(w.push(consts.OUTBOUND, kind, text, self.host.rt.now()), "send")
            first = index if first < 0 else first
        if w.state == consts.STATE_RUNNING:
            self._drain()
        return first

    def kill(self) -> int:
        w = self.core_worker
        if w.state in (consts.STATE_CREATED, consts.STATE_STARTING, consts.STATE_RUNNING):
            self._stop()
            w.set_state(consts.STATE_KILLED)
            w.call_cancel_all()
            self._dispatch("state", now=True)
        return w.queues[consts.OUTBOUND].unread

    def destroy(self) -> None:
        self._stop()
        self.destroyed = True
        self.host.core.workers.pop(self.id, None)
        self.host.ports.pop(self.id, None)

    def watch(self, on: bool) -> None:
        self.watching = bool(on)
        self.watch_calls.append(bool(on))

    def set_handler(self, on: bool) -> None:
        self.handler = bool(on)

    def set_limits(self, queue: int, max_messages: int, max_bytes: int) -> None:
        if queue not in (consts.OUTBOUND, consts.INBOUND) or max_messages < 0 or max_bytes < 0:
            raise from_core(consts.EINVAL, "set_queue_limits")
        q = self.core_worker.queues[queue]
        q.max_messages, q.max_bytes = max_messages, max_bytes

    def dropped(self) -> int:
        return self.inbox.dropped

    def outbound(self) -> tuple[int, int]:
        q = self.core_worker.queues[consts.OUTBOUND]
        return len(q.slots), q.unread

    def is_ready(self) -> bool:
        return self.ready

    def failure(self) -> ErrorInfo | None:
        return None if self.failure_info is None else dict(self.failure_info)  # type: ignore[return-value]

    def export_names(self) -> list[str] | None:
        return None if self.exports is None else list(self.exports)

    def call(self, name: str, args: str, bufs: list[bytes]) -> int:
        call_id = _ok(self.core_worker.call_begin(self.host.rt.now()), f"call {name}()")
        self._queue_call(call_id, name, args, bufs)
        return call_id

    def call_begin(self) -> int:
        return _ok(self.core_worker.call_begin(self.host.rt.now()), "call")

    def call_send(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        if not self.spawned:
            raise from_core(consts.ESTATE, f"call {name}()")
        self._queue_call(call_id, name, args, bufs)

    def call_cancel(self, call_id: int) -> bool:
        return self.core_worker.call_cancel(call_id) == 0

    def call_stats(self) -> dict[str, int]:
        return self.core_worker.call_stats()

    def replies(self, batch: Any) -> None:
        if not self.spawned:
            return
        self._flush_calls()
        self.posted.append(Post("returns", 0, batch.text(), [list(b) for b in batch.bufs], list(batch.ids)))

    # -- hooks: the test plays the worker ---------------------------------------------
    def post(self, value: Any) -> None:
        """The worker posts a user payload (a JS value: ``str``, ``bytes``, JSON data)."""
        if self.core_worker.state not in (consts.STATE_RUNNING, consts.STATE_STARTING) or not self.spawned:
            return  # late: after kill or failure
        self._wake_if_watched(self.inbox.value(value), value)

    def say(self, type: str, **fields: Any) -> None:  # noqa: A002 - the message's field
        """The worker sends a control message: ``started``, ``ready`` (``exports``),
        ``failed`` (``error``), ``output`` (``stream``, ``text``), ``stage`` (``stage``), ``error`` (``error``),
        ``json`` (``text``), ``exit``."""
        if not self.spawned:
            return
        if type == "started":
            self._set_running()
        elif type == "warm":
            self.warm = True
            self._dispatch("state", now=True)
        elif type == "ready":
            self.exports = [str(n) for n in fields.get("exports", [])]
            if self.core_worker.kind == consts.KIND_JAVASCRIPT:
                self._set_running()
            self.ready = True
            self._dispatch("wake", now=True)
        elif type == "failed":
            e = fields.get("error", {})
            self._fail(e.get("name", "Error"), e.get("message", ""), e.get("stack", ""))
        elif type == "output":
            self._dispatch("output", fields["stream"], fields["text"])
        elif type == "stage":
            self._dispatch("stage", fields["stage"], now=True)
        elif type == "error":
            e = fields.get("error", {})
            self.inbox.error(e.get("name", "Error"), e.get("message", ""), e.get("stack", ""))
            self._wake_if_watched()
        elif type == "json":
            if self.core_worker.state in (consts.STATE_RUNNING, consts.STATE_STARTING):
                self._wake_if_watched(self.inbox.json(fields["text"]), fields["text"], True)
        elif type == "exit":
            self._fail("WorkerExit", "the worker closed itself (close())")
        else:
            raise ValueError(f"unknown control message {type!r}")

    def answer(self, items: list[Any], bufs: list[list[bytes]] | None = None) -> set[int]:
        """The worker answers with a ``returns`` batch of ``[id, ok, value, k]`` items
        (``ok`` 1 or 0; a failure's value is ``{name, message, stack}``). Each id is
        ended in the core first; returns the late ones (as the glue, which sends
        Python nothing when all are late)."""
        if not self.spawned:
            return set()
        ids = [int(item[0]) for item in items]
        late = {i for i in ids if self.core_worker.call_end(i) < 0}
        if len(late) < len(ids):
            self._dispatch("returns", _batch_text(items), bufs or [], late)
        return late

    def call_host(self, items: list[Any], bufs: list[list[bytes]] | None = None) -> None:
        """The worker calls the host with a ``calls`` batch of ``[id, name, args, k]``."""
        if self.spawned:
            self._dispatch("calls", _batch_text(items), bufs or [])

    def sent(self) -> list[Any]:
        """The user payloads posted to the worker, as the worker sees them (JSON
        parsed), in order."""
        return [json.loads(p.data) if p.kind == consts.MSG_JSON else p.data for p in self.posted if p.type == "message"]

    def call_batches(self) -> list[list[Any]]:
        """The items of every ``calls`` batch posted, one list per batch."""
        return [json.loads(p.data) for p in self.posted if p.type == "calls"]


class FakeHost:
    """``_ports.HostGlue``; dispatches events to the package's ``HostEvents``."""

    def __init__(self, rt: FakeRuntime, events: Any) -> None:
        self.rt = rt
        self.events = events
        self.core = FakeCore()
        self.ports: dict[int, FakeWorkerPort] = {}

    def dispatch(self, event: str, worker_id: int, *args: Any, now: bool = False) -> None:
        # `now`: within the event, as js/host.js dispatches; state changes always are
        # (Python keeps a worker's state until told it changed). Else one loop turn later.
        def run() -> None:
            try:
                getattr(self.events, event)(worker_id, *args)
            except BaseException as exc:
                if event == "calls":  # js/host_calls.js answers a batch its handler failed on
                    self._calls_failed(worker_id, args[0], exc)
                report(f"pywebworker: error while handling the event {event!r} of worker {worker_id}", exc)

        if now:
            run()
        else:
            self.rt.loop.call_soon(run)

    def _calls_failed(self, worker_id: int, text: str, exc: BaseException) -> None:
        port = self.ports.get(worker_id)
        if port is None:
            return
        info = error_info(exc, f"the host could not answer the call: {exc}")
        items = json.loads(text)
        body = ",".join(f"[{int(it[0])},0,{json.dumps(info)},-1]" for it in items)
        port.posted.append(Post("returns", 0, f"[{body}]", [], [int(it[0]) for it in items]))

    def create(self, kind: int) -> FakeWorkerPort:
        worker_id = _ok(self.core.create(kind), "creating a worker")
        port = FakeWorkerPort(self, self.core.workers[worker_id])
        self.ports[worker_id] = port
        return port

    def count_workers(self) -> int:
        return len(self.core.workers)

    def live_workers(self) -> int:
        return sum(1 for p in self.ports.values() if p.spawned)

    def memory_bytes(self) -> int:
        return 65536 + sum(q.live_bytes for w in self.core.workers.values() for q in w.queues)

    # js/host_snapshot.js: the test sets what the host holds and whether a cache exists.
    snapshot_bytes = 0
    snapshot_cache = False

    def clear_snapshots(self) -> int:
        n, self.snapshot_bytes = self.snapshot_bytes, 0
        return n

    async def clear_snapshot_cache(self) -> bool:
        there, self.snapshot_cache = self.snapshot_cache, False
        return there


class FakeParentPort(FakeInbound):
    """``_ports.ParentPort``: inside a PyWorker, the side facing the host (js/pyworker.js),
    with hooks for the test to play the host."""

    def __init__(self, rt: FakeRuntime) -> None:
        core = FakeCore()
        worker = core.workers[_ok(core.create(consts.KIND_PYTHON), "parent")]
        worker.state = consts.STATE_RUNNING  # the host is there as long as the PyWorker runs
        super().__init__(worker, _Inbox(worker, "host", rt.now))
        self.rt = rt
        self.posted: list[Post] = []
        self.errors: list[ErrorInfo] = []
        self.wake_fn: Callable[[], None] | None = None
        self.on_calls: Callable[[str, list[list[bytes]]], None] | None = None
        self.on_returns: Callable[[str, list[list[bytes]], set[int]], None] | None = None
        self._batch: _Batch | None = None
        # Synchronous requests (js/sync.js): whether this worker shares memory, and the
        # test's host answering one: sync_host(name, args_text, bufs, timeout) -> the
        # reply batch's (text, bufs), or None (timed out).
        self.shared = True
        self.sync_host: Callable[[str, str, list[bytes], float], tuple[str, list[bytes]] | None] | None = None
        # The same for requests of kind "dom" (host objects, pywebworker/_dom.py); the
        # "release" requests posted without waiting are in `released` (JSON texts).
        self.dom_host: Callable[[str, str, list[bytes], float], tuple[str, list[bytes]] | None] | None = None
        self.released: list[str] = []
        # PyWorker.interrupt() sent while none of this worker's Python ran (take_interrupt).
        self.interrupted = False

    def _flush_calls(self) -> None:
        b, self._batch = self._batch, None
        if b is not None:
            self.posted.append(Post("calls", 0, b.text(), b.bufs, b.ids))

    def send(self, kind: int, payload: str | bytes | bytearray | memoryview,
             later: Callable[[], None] | None = None) -> int:
        data: str | bytes = payload if isinstance(payload, str) else bytes(payload)
        if kind not in consts.MSG_KIND_NAMES or (kind == consts.MSG_TEXT and _LONE_SURROGATE.search(str(data))):
            raise from_core(consts.EINVAL, "send_message")
        self._flush_calls()  # calls made before a message go before it
        self.posted.append(Post("message", kind, data, [], []))
        if later is not None:
            self.rt.loop.call_soon(later)
        return 0

    def send_many(self, meta: bytes, data: bytes, all_ascii: bool = False) -> int:
        assert not all_ascii or data.isascii()
        self._flush_calls()
        for kind, text in _unpack(meta, data):
            self.posted.append(Post("message", kind, text, [], []))
        return 0

    def send_error(self, info: ErrorInfo) -> None:
        self._flush_calls()
        self.errors.append(info)

    def watch(self, on: bool, wake: Callable[[], None]) -> None:
        self.wake_fn = wake if on else None

    def serve(
        self,
        on_calls: Callable[[str, list[list[bytes]]], None],
        on_returns: Callable[[str, list[list[bytes]], set[int]], None],
    ) -> None:
        self.on_calls, self.on_returns = on_calls, on_returns

    def call(self, name: str, args: str, bufs: list[bytes]) -> int:
        call_id = _ok(self.core_worker.call_begin(self.rt.now()), f"call {name}()")
        if self._batch is None:
            self._batch = _Batch()
            self.rt.loop.call_soon(self._flush_calls)
        self._batch.add(call_id, name, args, bufs)
        return call_id

    def call_cancel(self, call_id: int) -> bool:
        return self.core_worker.call_cancel(call_id) == 0

    def call_stats(self) -> dict[str, int]:
        return self.core_worker.call_stats()

    def replies(self, batch: Any) -> None:
        self._flush_calls()
        self.posted.append(Post("returns", 0, batch.text(), [list(b) for b in batch.bufs], list(batch.ids)))

    def shared_memory(self) -> bool:
        return self.shared

    def sync(self, kind: str, name: str, args: str, bufs: list[bytes],
             timeout: float) -> tuple[str, list[bytes]] | None:
        host = self.dom_host if kind == "dom" else self.sync_host
        assert self.shared and kind in ("call", "dom") and host is not None
        self._flush_calls()  # calls made before go first, as js/pyworker.js sync()
        self.posted.append(Post("sync", 0, args, [list(bufs)], []))
        return host(name, args, list(bufs), timeout)

    def sync_posted(self, kind: str, name: str, args: str, bufs: list[bytes], timeout: float,
                    wait: Callable[[Awaitable[Any]], Any]) -> tuple[str, list[bytes]] | None:
        # Without shared memory, with JSPI (the test makes _sync's can_block true): the
        # same host, its answer posted.
        host = self.dom_host if kind == "dom" else self.sync_host
        assert not self.shared and kind in ("call", "dom") and host is not None
        self._flush_calls()
        self.posted.append(Post("sync", 0, args, [list(bufs)], []))

        async def answer() -> tuple[str, list[bytes]] | None:
            return host(name, args, list(bufs), timeout)

        return wait(answer())

    def sync_post(self, kind: str, text: str) -> None:
        assert kind == "release"
        self.released.append(text)

    def promising(self) -> bool:
        return False

    def take_interrupt(self) -> bool:
        taken, self.interrupted = self.interrupted, False
        return taken

    # -- hooks: the test plays the host --------------------------------------------------
    def _event(self, fn: Callable[..., None] | None, *args: Any) -> None:
        if fn is not None:
            self.rt.loop.call_soon(_guarded(fn, "an event from the host"), *args)

    def host_sends(self, value: Any) -> None:
        """The host sends a message: ``str``/``bytes`` as they are, anything else as the
        JSON text Python would write (``json`` control message)."""
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            self.inbox.value(value)
        else:
            self.inbox.json(json.dumps(value, separators=(",", ":")))
        self._event(self.wake_fn)

    def answer(self, items: list[Any], bufs: list[list[bytes]] | None = None) -> set[int]:
        ids = [int(item[0]) for item in items]
        late = {i for i in ids if self.core_worker.call_end(i) < 0}
        if len(late) < len(ids):
            self._event(self.on_returns, _batch_text(items), bufs or [], late)
        return late

    def call_host(self, items: list[Any], bufs: list[list[bytes]] | None = None) -> None:
        self._event(self.on_calls, _batch_text(items), bufs or [])


def _guarded(fn: Callable[..., Any], what: str) -> Callable[..., None]:
    def run(*args: Any) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            report(f"pywebworker: error while handling {what}", exc)

    return run


class FakeBootPort:
    """``_ports.BootPort``: what the PyWorker bootstrap was told."""

    def __init__(self) -> None:
        self.said: list[tuple[str, Any]] = []

    def ready(self, names: list[str]) -> None:
        self.said.append(("ready", list(names)))

    def failed(self, info: ErrorInfo) -> None:
        self.said.append(("failed", dict(info)))

    def quiet(self, on: bool) -> None:
        self.said.append(("quiet", on))


class FakePage:
    """``_ports.PagePort``: the page object ``globalThis[name]`` (js/page.js) without JS.
    :meth:`call` plays the page calling a name; answers land in ``answers``."""

    def __init__(self, name: str, dispatch: Callable[[int, str, str, list[bytes]], None]) -> None:
        self.name = name
        self.dispatch = dispatch
        self.names: set[str] = set()
        self.pending: set[int] = set()
        self.answers: dict[int, tuple[bool, Any]] = {}  # id -> (ok, value or error data)
        self.closed = False
        self._ids = itertools.count(1)

    def update(self, added: list[str], removed: list[str]) -> None:
        self.names.difference_update(removed)
        self.names.update(added)

    def settle(self, call_id: int, ok: bool, text: str, bufs: list[bytes]) -> bool:
        if call_id not in self.pending:
            return False
        self.pending.discard(call_id)
        self.answers[call_id] = (True, unpack(text, bufs, js_numbers=True)) if ok else (False, json.loads(text))
        return True

    def close(self) -> None:
        self.closed = True
        self.names.clear()
        self.pending.clear()

    def call(self, fname: str, *args: Any) -> int:
        """The page calls ``fname(*args)`` (JSON values and bytes); returns the call's id."""
        assert fname in self.names, f"the page would reject {fname}: not registered"
        call_id = next(self._ids)
        self.pending.add(call_id)
        text, bufs = pack(list(args), "arguments", js_numbers=True)
        self.dispatch(call_id, fname, text, bufs)
        return call_id


class FakeRuntime:
    """``_ports.Runtime`` for tests: one host glue, an optional parent, and a clock.

    Parameters
    ----------
    loop : asyncio.AbstractEventLoop
        Where events are delivered (``call_soon``) and timeouts run (``call_later``).
    parent : bool
        Whether this runtime is inside a PyWorker (``parent()`` returns a port).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, parent: bool = False) -> None:
        self.loop = loop
        self.glue: FakeHost | None = None
        self.parent_port = FakeParentPort(self) if parent else None
        self.boot_port = FakeBootPort()
        self.clock_ms = 1_700_000_000_000.0
        self.pages: dict[str, FakePage] = {}

    def now(self) -> float:
        """Milliseconds since the epoch, as ``pwwNow``: advances 1 ms a call."""
        self.clock_ms += 1.0
        return self.clock_ms

    def host(self, events: Any) -> FakeHost:
        if self.glue is None:
            self.glue = FakeHost(self, events)
        self.glue.events = events
        return self.glue

    def parent(self) -> FakeParentPort | None:
        return self.parent_port

    def boot(self) -> FakeBootPort:
        return self.boot_port

    def set_timeout(self, fn: Callable[[], None], seconds: float) -> Callable[[], None]:
        handle = self.loop.call_later(max(0.0, seconds) if math.isfinite(seconds) else 1e9, fn)
        return handle.cancel

    def host_index_url(self) -> str:
        return "https://cdn.test/pyodide/full/"

    def host_package_indexes(self) -> dict[str, Any]:
        return {"index_urls": ["https://pypi.test/simple"], "piplite": None}

    def absolute_url(self, url: str) -> str:
        return urllib.parse.urljoin("https://app.test/lab/", url)

    def cpu_count(self) -> int:
        return 3

    def shared_memory(self) -> bool:
        return True

    def package_files(self, name: str) -> dict[str, bytes] | None:
        return {"__init__.py": f"# {name}".encode()} if name == "cloudpickle" else None

    async def run_script(self, source: str, namespace: dict[str, Any], filename: str) -> None:
        import ast

        code = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)  # noqa: S307 - the test's own script
        if asyncio.iscoroutine(result):
            await result

    def page(self, name: str, dispatch: Callable[[int, str, str, list[bytes]], None]) -> FakePage:
        page = self.pages.get(name)
        if page is not None and not page.closed:
            raise ValueError(f"globalThis.{name} is already a pywebworker page object: close() that one first")
        self.pages[name] = page = FakePage(name, dispatch)
        return page

    # -- test helpers ------------------------------------------------------------------
    def port(self, worker: Any) -> FakeWorkerPort:
        """The fake port behind a ``JsWorker``/``PyWorker``."""
        assert self.glue is not None, "no worker was created"
        return self.glue.ports[worker.id]


def inbound(max_messages: int = consts.DEFAULT_MAX_MESSAGES, max_bytes: int = consts.DEFAULT_MAX_BYTES) -> FakeInbound:
    """A lone inbound queue (no runtime, no events), for tests of message handles.
    ``.inbox.value(v)`` queues what a peer sent."""
    core = FakeCore()
    worker = core.workers[_ok(core.create(consts.KIND_JAVASCRIPT), "inbound")]
    q = worker.queues[consts.INBOUND]
    q.max_messages, q.max_bytes = max_messages, max_bytes
    clock = itertools.count(1_700_000_000_000)
    return FakeInbound(worker, _Inbox(worker, "worker", lambda: float(next(clock))))


if TYPE_CHECKING:  # mypy checks that the fakes implement the interface (tests/unit is not packaged)

    def _conforms(rt: FakeRuntime) -> None:
        _rt: Runtime = rt
        _port: WorkerPort = rt.host(None).create(1)
        _parent: ParentPort | None = rt.parent()
        _boot: BootPort = rt.boot()
        _glue: HostGlue = rt.host(None)
        _inbound: Inbound = inbound()
        _page: PagePort = rt.page("backend", lambda i, n, t, b: None)
