"""Rich display in a notebook: the HTML of workers, messages and pools (IPython's
``_repr_html_``), and the start-up progress line of ``ready()``.

Plain Python over the objects' own properties; no ``js`` import here. Everything that
comes from a worker (names, payloads, errors) is untrusted: it is shortened first, then
escaped (``html.escape``), and never raises: a display that fails shows ``?`` instead.
IPython is used only when the host already imported it and a shell runs (JupyterLite's
kernel): its ``display(..., display_id=True)`` and the handle's ``update``.
"""

from __future__ import annotations

import asyncio
import reprlib
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ._constants import KIND_PYTHON, MSG_BYTES, MSG_KIND_NAMES, MSG_TEXT
from ._errors import RemoteError
from ._payload import decode

if TYPE_CHECKING:
    from ._message import WorkerMessage
    from ._worker import _Worker

T = TypeVar("T")

PREVIEW_CHARS = 80  # a message's preview, characters
TEXT_CHARS = 200  # a name, an error message, characters
TABLE_ROWS = 100  # rows of messages_table, at most
PEEK_BYTES = 64 * 1024  # a payload larger than this is not read for a preview
REFRESH = 0.25  # seconds between updates of a progress line (its clock)

# A PyWorker's start-up stages (js/protocol.js PWW_STAGES), as the progress line says them.
STAGES = {"loading": "loading {}", "installing": "installing packages", "files": "fetching files",
          "script": "running the script"}

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = _repr.maxlong = PREVIEW_CHARS
_repr.maxlevel = 3
_repr.maxdict = _repr.maxlist = _repr.maxtuple = _repr.maxset = 8


def clip(text: str, limit: int = TEXT_CHARS) -> str:
    """``text`` at most ``limit`` characters (``…`` marks a cut), lone surrogates as
    ``\\udXXX`` escapes (a notebook's JSON output cannot carry them). Not escaped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def esc(text: str, limit: int = TEXT_CHARS) -> str:
    """``clip`` then ``html.escape`` (quotes too): safe in element text and attributes."""
    from html import escape  # here: a worker's boot does not need html (and html.entities)

    return escape(clip(text, limit), quote=True)


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A short ``repr``-like text of a payload (``reprlib``: bounded in length and depth,
    whatever the value's size), at most ``limit`` characters; not escaped."""
    if isinstance(value, RemoteError):
        return clip(f"{value.remote_type}: {value.remote_message}", limit)
    if isinstance(value, str | bytes):
        value = value[: limit + 1]  # reprlib would repr a whole bytes object first
    try:
        return clip(_repr.repr(value), limit)
    except Exception:  # a hostile __repr__ cannot come from a worker, but stay safe
        return "?"


def _safe(fn: Callable[[], Any], default: Any = "?") -> Any:
    try:
        return fn()
    except Exception:
        return default


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


# -- workers -----------------------------------------------------------------------------
def kind_name(worker: _Worker) -> str:
    """``"JavaScript"``, ``"Python"`` or ``"MicroPython"``."""
    if worker._kind != KIND_PYTHON:  # noqa: SLF001
        return "JavaScript"
    return "MicroPython" if getattr(worker, "interpreter", "") == "micropython" else "Python"


def stage_name(worker: _Worker, stage: str) -> str:
    """A start-up stage as the progress line says it ("loading Pyodide")."""
    return STAGES.get(stage, stage).format("MicroPython" if kind_name(worker) == "MicroPython" else "Pyodide")


def _state(worker: _Worker) -> str:
    state = worker.state
    stages = worker._stages  # noqa: SLF001
    if state in ("starting", "running") and not worker._is_ready() and stages:  # noqa: SLF001
        return f"starting: {stage_name(worker, stages[-1][0])}"
    return state


def _error(worker: _Worker) -> str | None:
    if worker.state != "failed":
        return None
    info = worker._port.failure()  # noqa: SLF001
    if info is None:
        return "failed"
    return f"{info['name']}: {info['message']}"


def worker_html(worker: _Worker) -> str:
    """A worker as an HTML table (``_repr_html_``): never raises.

    Returns
    -------
    str
        A ``<div>`` with a heading (kind and name) and a two-column table: state,
        messages received / unread, sent / undelivered, pending calls, dropped (when
        any), the last error (when failed), running time.
    """
    port = worker._port  # noqa: SLF001

    def received() -> str:
        inbound = worker._inbound  # noqa: SLF001
        return f"{inbound.length()} / {inbound.unread_count()}"

    def sent() -> str:
        n, undelivered = port.outbound()
        waiting = worker._outbox.waiting  # noqa: SLF001 - held for the end of the JS task
        return f"{n + waiting} / {undelivered + waiting}"

    rows: list[tuple[str, str]] = [
        ("state", _safe(lambda: _state(worker))),
        ("received / unread", _safe(received)),
        ("sent / undelivered", _safe(sent)),
        ("pending calls", _safe(lambda: str(worker.pending_calls))),
    ]
    dropped = _safe(worker._port.dropped, 0)  # noqa: SLF001
    if dropped:
        rows.append(("dropped", str(dropped)))
    error = _safe(lambda: _error(worker), None)
    if error:
        rows.append(("error", error))
    up = _safe(lambda: worker.uptime, None)
    if isinstance(up, float):
        rows.append(("running for" if worker._ended is None else "ran for", _seconds(up)))  # noqa: SLF001
    body = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:left'>{esc(v)}</td></tr>"
                   for k, v in rows)
    head = f"{esc(str(_safe(lambda: kind_name(worker))))} worker <b>{esc(str(_safe(lambda: worker.name)))}</b>"
    return f"<div>{head}<table>{body}</table></div>"


# -- messages ----------------------------------------------------------------------------
def _peek(msg: WorkerMessage, unread: dict[int, Any] | None) -> str:
    """The preview of ``msg``'s payload without marking it opened: from its handle, the
    core's unread entries (``unread``, one crossing for a whole table), or, opened, read
    again. A payload beyond ``PEEK_BYTES`` is not read."""
    raw, kind = msg._raw, msg._kind  # noqa: SLF001
    if raw is None:
        if not msg.is_opened():
            if unread is None:
                unread = _unread(msg)
            entry = unread.get(msg.index)
            if entry is None:
                return f"({msg.nbytes} bytes)"
            kind, raw = entry
        elif msg.nbytes > PEEK_BYTES:
            return f"({msg.nbytes} bytes)"
        else:
            kind, raw = msg._inbound.read(msg.index)  # noqa: SLF001 - opened already: nothing changes
        if raw is None:
            return f"({msg.nbytes} bytes)"
    if kind == MSG_TEXT:
        return preview(raw)
    if kind == MSG_BYTES:
        return preview(bytes(raw[: PREVIEW_CHARS + 1]))  # type: ignore[arg-type]
    return preview(decode(kind, raw, msg._js_numbers))  # noqa: SLF001 - JSON, an error: 64 KiB at most


def _unread(msg: WorkerMessage) -> dict[int, Any]:
    return {i: (k, raw) for i, k, raw in msg._inbound.unread(PEEK_BYTES)}  # noqa: SLF001


def _received(msg: WorkerMessage) -> str:
    t = msg.received
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def _row(msg: WorkerMessage, unread: dict[int, Any] | None) -> list[str]:
    kind = _safe(lambda: msg.kind)
    if kind == "?":  # released: its payload may still be in the handle
        kind = MSG_KIND_NAMES.get(msg._kind, "released")  # noqa: SLF001
    return [
        str(msg.index), str(kind), str(_safe(lambda: msg.nbytes, "released")),
        "yes" if _safe(msg.is_opened, False) else "no", str(_safe(lambda: _received(msg), "")),
        str(_safe(lambda: _peek(msg, unread))),
    ]


_COLUMNS = ("index", "kind", "bytes", "opened", "received", "preview")


def message_html(msg: WorkerMessage) -> str:
    """One message as HTML: index, kind, size, opened, when received, and a short
    preview of its payload (escaped, at most ``PREVIEW_CHARS`` characters). Does not
    mark it opened; never raises."""
    cells = _row(msg, None)
    body = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:left'><code>{esc(v)}</code>"
                   "</td></tr>" for k, v in zip(_COLUMNS[1:], cells[1:], strict=True))
    return f"<div>WorkerMessage <b>{esc(cells[0])}</b><table>{body}</table></div>"


class MessageTable:
    """A list of messages shown as a table (:func:`pywebworker.messages_table`)."""

    def __init__(self, messages: Iterable[WorkerMessage]) -> None:
        self.messages = list(messages)

    def __repr__(self) -> str:
        return f"<messages_table of {len(self.messages)} messages>"

    def _repr_html_(self) -> str:
        shown = self.messages[:TABLE_ROWS]
        peeks: dict[int, dict[int, Any]] = {}  # id(inbox) -> its unread entries, fetched once

        def unread(msg: WorkerMessage) -> dict[int, Any] | None:
            if msg._raw is not None or _safe(msg.is_opened, True):  # noqa: SLF001
                return None
            key = id(msg._inbound)  # noqa: SLF001
            if key not in peeks:
                peeks[key] = _safe(lambda: _unread(msg), {})
            return peeks[key]

        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
        rows = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{esc(c)}</td>" for c in _row(m, unread(m))) + "</tr>"
            for m in shown
        )
        more = len(self.messages) - len(shown)
        tail = f"<tr><td colspan='6'>… {more} more</td></tr>" if more else ""
        return f"<table><tr>{head}</tr>{rows}{tail}</table>"


def messages_table(messages: Iterable[WorkerMessage]) -> MessageTable:
    """Show messages as a table in a notebook: ``messages_table(w.get_messages())`` as
    the last expression of a cell.

    ``get_messages()`` and ``get_unread_messages()`` return plain lists (which IPython
    shows with their ``repr``); this wraps one for display, and marks nothing opened.

    Parameters
    ----------
    messages : Iterable[WorkerMessage]
        Any messages, of one worker or several.

    Returns
    -------
    MessageTable
        Shown as an HTML table (index, kind, bytes, opened, received, and a preview
        of the payload, escaped, at most 80 characters); the first 100 messages, then
        how many more. Its ``messages`` attribute is the list.
    """
    return MessageTable(messages)


# -- pools -------------------------------------------------------------------------------
def pool_html(head: str, rows: list[tuple[str, str, str, str]]) -> str:
    """A pool's HTML: ``head`` (plain text) and a row per worker (name, state, now,
    task), all escaped."""
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{esc(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    cols = "".join(f"<th style='text-align:left'>{c}</th>" for c in ("worker", "state", "now", "task"))
    return f"<div>{esc(head, 1000)}<table><tr>{cols}</tr>{body}</table></div>"


# -- progress ----------------------------------------------------------------------------
_progress = [True]  # the module default of ready(progress=None)


def set_progress(on: bool) -> bool:
    """Whether ``await worker.ready()`` and ``await pool.ready()`` show a progress line
    by default (their ``progress=None``); returns the previous setting.

    A progress line is shown only in an IPython shell that runs (a notebook kernel:
    JupyterLite's, Jupyter's); never in plain Pyodide or Node.

    Parameters
    ----------
    on : bool
        ``True`` (the default) or ``False``.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        if ``on`` is not a ``bool``.
    """
    if not isinstance(on, bool):
        raise TypeError(f"on must be a bool, not {type(on).__name__}")
    before, _progress[0] = _progress[0], on
    return before


class _Line:
    """What a progress line shows: text/plain and text/html of one line."""

    def __init__(self, text: str) -> None:
        self.text = clip(text, 1000)

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        from html import escape

        return f"<div style='font-family:monospace'>{escape(self.text)}</div>"


def _displayer() -> Callable[..., Any] | None:
    """IPython's ``display`` when the host imported IPython and a shell runs that can
    update a display in place (not a terminal); else ``None``. Never imports IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        if shell is None or type(shell).__name__ == "TerminalInteractiveShell":
            return None
        from IPython.display import display

        return display
    except Exception:
        return None


class Progress:
    """One progress line, updated in place, then a one-line summary.

    Parameters
    ----------
    display : Callable
        IPython's ``display``: ``display(obj, display_id=True)`` returns a handle whose
        ``update(obj)`` replaces it.

    A display that raises turns the line off; nothing reaches ``ready()``.
    """

    def __init__(self, display: Callable[..., Any]) -> None:
        self._display = display
        self._handle: Any = None
        self._last = ""
        self._off = False

    @classmethod
    def open(cls, progress: bool | None) -> Progress | None:
        """A line if ``progress`` (``None``: the module default) and IPython can show it."""
        if progress is None:
            progress = _progress[0]
        if not progress:
            return None
        display = _displayer()
        return None if display is None else cls(display)

    def show(self, text: str) -> None:
        """Show ``text`` (one line) in place of the last; unchanged text costs nothing."""
        if self._off or text == self._last:
            return
        self._last = text
        try:
            if self._handle is None:
                self._handle = self._display(_Line(text), display_id=True)
            else:
                self._handle.update(_Line(text))
        except Exception:
            self._off = True

    async def follow(self, aw: Awaitable[T], status: Callable[[], str],
                     summary: Callable[[BaseException | None], str]) -> T:
        """Await ``aw``, showing ``status()`` every ``REFRESH`` seconds, then
        ``summary(None)`` or ``summary(error)``; the error is raised again. Cancelled,
        ``aw`` is cancelled too."""
        task = asyncio.ensure_future(aw)
        try:
            while True:
                self.show(_safe(status, "starting"))
                done, _ = await asyncio.wait({task}, timeout=REFRESH)
                if done:
                    result = task.result()
                    break
        except BaseException as exc:
            if not task.done():
                task.cancel()
            error = exc
            self.show(_safe(lambda: summary(error), "stopped"))
            raise
        self.show(_safe(lambda: summary(None), "ready"))
        return result


def worker_status(worker: _Worker, planned: list[str]) -> str:
    """The progress line of a starting worker: its stage, which step of ``planned``
    (stage ids), seconds since ``start()``."""
    stages = worker._stages  # noqa: SLF001
    now = stages[-1][0] if stages else (planned[0] if planned else "")
    step = f" (step {planned.index(now) + 1} of {len(planned)})" if now in planned else ""
    return f"⏳ {worker.name}: {stage_name(worker, now) if now else 'starting'}{step}, {_seconds(worker.uptime or 0.0)}"


def worker_summary(worker: _Worker, error: BaseException | None) -> str:
    """The line left once ``ready()`` returned or raised: the time each stage took, or
    the error and the stage it came in."""
    stages = worker._stages  # noqa: SLF001
    total = worker.uptime or 0.0
    if error is None:
        ends = [t for _, t in stages[1:]] + [total]
        parts = ", ".join(f"{stage_name(worker, s)} {_seconds(e - t)}" for (s, t), e in zip(stages, ends, strict=True))
        return f"✓ {worker.name} ready in {_seconds(total)}" + (f" ({parts})" if parts else "")
    where = f" while {stage_name(worker, stages[-1][0])}" if stages else ""
    if isinstance(error, TimeoutError):
        return f"⏳ {worker.name}: still starting after {_seconds(total)}{where} (ready() timed out)"
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return f"✗ {worker.name}: stopped waiting after {_seconds(total)}{where}"
    what = f"{error.remote_type}: {error.remote_message}" if isinstance(error, RemoteError) else str(error)
    return clip(f"✗ {worker.name} failed to start after {_seconds(total)}{where}: {what}", 300)
