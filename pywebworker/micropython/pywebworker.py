"""pywebworker inside a MicroPython worker: ``from pywebworker import parent``.

Runs in MicroPython (``PyWorker(..., interpreter="micropython")``), not in CPython or
Pyodide: js/mpyworker.js writes this file into MicroPython's file system as the
``pywebworker`` module. It gives the API of ``pywebworker.parent`` in a Pyodide PyWorker,
written for what MicroPython has: messages (str, bytes, JSON values) both ways, with the
same payload rules (pywebworker/_payload.py), ``receive()``, ``on_message``,
``async for``, ``get_unread_messages()``, the script's ``__export__`` served to the
host's calls, and calls to the functions the host exposed. The messages are held in
this worker's C inbound queue, read through ``_pywebworker_mpy`` (js/mpyworker.js).
"""

import asyncio
import io
import json
import sys

import _pywebworker_mpy as _glue

try:
    from uctypes import addressof as _addressof
    from uctypes import bytearray_at as _bytearray_at
    from uctypes import bytes_at as _bytes_at
except ImportError:  # a build without uctypes (index_url=): _utf8 copies, _bytes_of is slow
    _bytearray_at = None

MSG_TEXT = 1
MSG_BYTES = 2
MSG_JSON = 3
MSG_ERROR = 4
_KIND_NAMES = {MSG_TEXT: "text", MSG_BYTES: "bytes", MSG_JSON: "json", MSG_ERROR: "error"}
MARK = "\x00b"  # a call's bytes beside the JSON: {MARK: index} (pywebworker/_payload.py)
MAX_DEPTH = 512
_MAX_DIGITS = 4300  # CPython's default sys.get_int_max_str_digits(): the host parses the JSON
_MAX_INT = 10**_MAX_DIGITS
_FEW_DIGITS = 2**62
# A str of this many characters or more is written and read by JavaScript (_dumps,
# _loads): MicroPython's json is quadratic in the length of a str. As PWW_MPY_LONG and
# PWW_MPY_LONG_TEXT in js/mpyworker.js.
_BIG = 4096
_BIG_TEXT = 1 << 16  # characters: JSON text this long is split by JavaScript first (_loads)
_CHUNK = 1 << 16  # bytes of a str scanned at a time for surrogates (_surrogates)


class PayloadError(TypeError):
    """A value that cannot be sent, as pywebworker.PayloadError."""


class RemoteError(Exception):
    """An error of the other side: ``remote_type``, ``remote_message``, ``remote_traceback``."""

    def __init__(self, remote_type, remote_message, remote_traceback=""):
        super().__init__(f"{remote_type}: {remote_message}")
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_traceback = remote_traceback


class NotExportedError(RemoteError):
    """A call to a name the other side does not export."""


class SharedMemoryError(RuntimeError):
    """No shared memory for synchronous calls, as pywebworker.SharedMemoryError."""


# As pywebworker/_sync.py MISSING.
_MISSING = (
    "synchronous calls need shared memory (SharedArrayBuffer and Atomics.wait), which this worker "
    "does not have: crossOriginIsolated is false. Serve the page with the headers "
    "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp"
)


def shared_memory_available():
    """Whether this worker can share memory with the host (synchronous calls)."""
    return bool(_glue.sharedMemory())


def _error_from(info):
    name = str(info.get("name", "Error"))
    cls = NotExportedError if name == "NotExportedError" else RemoteError
    return cls(name, str(info.get("message", "")), str(info.get("stack", "")))


def error_info(exc):
    """{name, message, stack} of ``exc``: MicroPython's traceback, the script's file name
    in place of "<stdin>"."""
    out = io.StringIO()
    sys.print_exception(exc, out)
    # This module's frames are not the user's (as _pyodide's are dropped in Pyodide).
    lines = [_script_line(line) for line in out.getvalue().split("\n")]
    stack = "\n".join(line for line in lines if not line.startswith('  File "/lib/pywebworker.py"'))
    message = str(exc)
    if isinstance(exc, MemoryError):
        message += _glue.memoryNote  # the bound, and what it leaves for Python data
    return {"name": type(exc).__name__, "message": message, "stack": stack}


def _script_line(line):
    """A traceback line with the script's file name in place of "<stdin>", and its line
    number less the line js/mpyworker.js put first (``_lift``)."""
    head = '  File "<stdin>", line '
    if not line.startswith(head):
        return line
    number, sep, rest = line[len(head) :].partition(",")
    try:
        number = str(int(number) - _lift)
    except ValueError:
        pass
    return f'  File "{_glue.filename}", line {number}{sep}{rest}'


def _where(up, key):
    """The path of a value in what is sent, as the payload rules' messages write it
    ("top", "[0]['a']"): ``key`` its index or key, ``up`` its container's chain of
    (chain, key) pairs (built only for containers; the text only for an error)."""
    if key is None:
        return "top"
    keys = [key]
    while up is not None:
        up, k = up
        keys.append(k)
    return "".join(f"[{k}]" if isinstance(k, int) else f"[{k!r}]" for k in reversed(keys))


def _dumps(value, bufs=None):
    """``value`` checked against the payload rules and written as JSON, in one walk that
    copies no data: with a ``bufs`` list (calls) bytes are appended to it and written as
    markers ``{"\\u0000b": i}``, else they are refused inside JSON; tuples are arrays.

    Returns the JSON text, or when it holds a str of ``_BIG`` characters or more, a list
    ``[json, text, json, ..., text, json]`` that JavaScript joins (js/mpyworker.js
    jsonOf): each ``text`` (a str, or UTF-8 bytes) is the content of a JSON string,
    escaped there by JSON.stringify. MicroPython's json.dumps grows its output 16 bytes
    at a time, each step rescanning the whole buffer: quadratic (8 MiB of text took
    minutes). Here every piece is written once and joined once: linear.

    Iterative, not recursive (MicroPython's C stack ends at ~150 nested Python calls,
    below the rules' 512 levels), and allocating per container, not per value: between
    calls from JavaScript MicroPython frees nothing, and its allocator looks for room
    for each object of two blocks or more from the last one-block object on."""
    parts = []  # [json, text, json, text, ...] so far
    out = []  # JSON pieces since the last text
    frames = []  # the containers being written: [items, next index, chain, depth, is dict]
    up = key = None  # where `value` is (_where)
    depth = 0
    while True:
        if value is None:
            out.append("null")
        elif value is True:
            out.append("true")
        elif value is False:
            out.append("false")
        elif isinstance(value, str):
            _put_str(value, out, parts)
        elif isinstance(value, int):
            if not (-_FEW_DIGITS <= value <= _FEW_DIGITS or abs(value) < _MAX_INT):
                raise PayloadError(
                    f"cannot send an int of over {_MAX_DIGITS} digits at {_where(up, key)}: the host's Python does "
                    "not read it as JSON (sys.get_int_max_str_digits()); send it as str or bytes"
                )
            out.append(str(value))
        elif depth > MAX_DEPTH:
            raise PayloadError(f"cannot send: nesting deeper than {MAX_DEPTH} levels at {_where(up, key)}")
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise PayloadError(f"cannot send float {value!r} at {_where(up, key)}: JSON has no such number")
            out.append(json.dumps(value))
        elif isinstance(value, (bytes, bytearray, memoryview)):
            if bufs is None:
                raise PayloadError(
                    f"cannot send bytes inside JSON data at {_where(up, key)}: send them as a message of their own"
                )
            # Not copied: JavaScript copies it out of MicroPython's memory (js/mpyworker.js
            # bufsOf) before anything else runs.
            bufs.append(value)
            out.append(f'{{"\\u0000b":{len(bufs) - 1}}}')
        elif isinstance(value, (list, tuple)):
            out.append("[")
            frames.append([value, 0, None if key is None else (up, key), depth + 1, False])
        elif isinstance(value, dict):
            if bufs is not None and len(value) == 1 and MARK in value:
                raise PayloadError(
                    f"cannot send a dict whose only key is {MARK!r} at {_where(up, key)}: in a call that is the "
                    "marker of bytes"
                )
            items = list(value.items())
            for k, _item in items:
                if not isinstance(k, str):
                    raise PayloadError(
                        f"cannot send a dict key of type {type(k).__name__} at {_where(up, key)}: keys must be str"
                    )
            out.append("{")
            frames.append([items, 0, None if key is None else (up, key), depth + 1, True])
        else:
            raise PayloadError(
                f"cannot send a {type(value).__name__} at {_where(up, key)}: not str, bytes or JSON data"
            )
        # The next value, in order (bytes are numbered as they appear), from the innermost
        # container not written to its end.
        while frames:
            frame = frames[-1]
            items, i = frame[0], frame[1]
            if i == len(items):
                out.append("}" if frame[4] else "]")
                frames.pop()
                continue
            if i:
                out.append(",")
            frame[1] = i + 1
            up, depth = frame[2], frame[3]
            if frame[4]:
                key, value = items[i]
                _put_str(key, out, parts)
                out.append(":")
            else:
                key, value = i, items[i]
            break
        else:
            break
    last = _escape_surrogates("".join(out))
    if not parts:
        return last
    for i in range(0, len(parts), 2):
        parts[i] = _escape_surrogates(parts[i])
    parts.append(last)
    return parts


def _put_str(s, out, parts):
    """Write the str ``s`` as JSON: by json.dumps when short (``out``), else its content
    as text parts (``parts``) for JavaScript to escape, surrogates as ``\\uXXXX``. A
    text part is the str's UTF-8 bytes (_utf8: not copied), which JavaScript copies and
    decodes at memcpy's speed (a str crosses by a loop over its bytes)."""
    if len(s) < _BIG:
        out.append(json.dumps(s))
        return
    out.append('"')
    b = _utf8(s)
    found = _surrogates_in(b)
    _refuse_pairs(found, lambda i: _surrogate_code(b, i))
    # Each surrogate an escape, the UTF-8 between them a text part of its own.
    start = 0
    for i in found + [len(b)]:
        if i > start:
            parts.append("".join(out))
            parts.append(_utf8_slice(s, b, start, i))
            out.clear()
        if i < len(b):
            out.append(f"\\u{_surrogate_code(b, i):04x}")
        start = i + 3
    out.append('"')


def _surrogate_code(b, i):
    """The code point of the surrogate whose 3 UTF-8-like bytes start at ``b[i]``."""
    return ((b[i] & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F)


def _refuse_pairs(found, code):
    """A high surrogate followed by a low one is refused, as in pywebworker/_payload.py:
    every JSON reader would join the two into one character. ``found``: the surrogates'
    byte offsets; ``code(i)``: the code point of the one at ``i``."""
    at = set(found)
    for i in found:
        if i + 3 in at and code(i) < 0xDC00 <= code(i + 3):
            raise PayloadError(
                f"cannot send the surrogates U+{code(i):04X} and the next in a row inside JSON data: "
                "JSON readers join them into one character; send them as bytes"
            )


def _escape_surrogates(text):
    """JSON text with its surrogates written as ``\\uXXXX`` escapes (as CPython's json
    writes them; MicroPython's writes their bytes), a pair refused (_refuse_pairs)."""
    found = _surrogates(text)
    if not found:
        return text
    b = text.encode()
    _refuse_pairs(found, lambda i: _surrogate_code(b, i))
    out, start = [], 0
    for i in found:
        out.append(b[start:i].decode())
        out.append(f"\\u{_surrogate_code(b, i):04x}")
        start = i + 3
    out.append(b[start:].decode())
    return "".join(out)


def _unpack(value, bufs):
    """A call's JSON value (fresh from json.loads: changed in place) with its byte
    markers replaced by the bytes they stand for; iterative, as _dumps."""
    top = [value]
    todo = [(top, 0)]
    while todo:
        into, slot = todo.pop()
        v = into[slot]
        if isinstance(v, list):
            todo.extend((v, i) for i in range(len(v)))
        elif isinstance(v, dict):
            if len(v) == 1 and isinstance(v.get(MARK), int):
                into[slot] = _bytes_of(bufs[v[MARK]])
            else:
                todo.extend((v, k) for k in v)
    return top[0]


def _bytes_of(u8):
    """``bytes`` of a JavaScript Uint8Array, copied into MicroPython's memory by
    JavaScript (js/mpyworker.js stage) and from there in one copy: ``bytes(u8)`` reads it
    an element at a time through the FFI (0.45 s a MiB)."""
    if _bytearray_at is None or not u8.length:
        return bytes(u8)
    at = _glue.stage(u8)
    if not at:
        raise MemoryError(f"no room to receive {u8.length} bytes" + _glue.memoryNote)
    try:
        return _bytes_at(at, u8.length)
    finally:
        _glue.unstage(at)


def _text(s):
    """``s`` to cross to JavaScript: MicroPython's FFI ends a str at its first NUL, so a
    str holding one crosses as its UTF-8 bytes (js/mpyworker.js textOf)."""
    return s.encode() if isinstance(s, str) and "\x00" in s else s


def _utf8(s):
    """The UTF-8 bytes of the str ``s``: a bytearray over its own memory where the build
    has uctypes (not copied: MicroPython collects garbage only between calls from
    JavaScript, so a copy of a long str could use up the memory), else a copy. Read
    only, while ``s`` lives."""
    if _bytearray_at is None:
        return s.encode()
    return _bytearray_at(_addressof(s), len(memoryview(s)))


def _utf8_slice(s, b, start, end):
    """``b[start:end]`` of ``b = _utf8(s)``, not copied where ``b`` was not."""
    if _bytearray_at is None:
        return b[start:end]
    return _bytearray_at(_addressof(s) + start, end - start)


def _surrogates(s):
    """Byte offsets of the surrogate code points in the str ``s`` (_surrogates_in)."""
    return _surrogates_in(_utf8(s))


def _surrogates_in(b):
    """Byte offsets of the surrogate code points in UTF-8 bytes ``b`` (MicroPython keeps
    "\\ud800" as the bytes ED A0 80, which JavaScript reads as U+FFFD), found by find:
    C's speed, where max(s) took half a second a MiB."""
    found = []
    n = len(b)
    i = b.find(b"\xed")
    while i >= 0:
        # ED A0..BF: a surrogate (ED 80..9F: U+D000..U+D7FF).
        if i + 1 < n and b[i + 1] >= 0xA0:
            found.append(i)
        i = b.find(b"\xed", i + 1)
    return found


def _surrogate_at(s):
    """The position (in characters) of the first surrogate code point in ``s``, or -1."""
    found = _surrogates(s)
    return len(s.encode()[: found[0]].decode()) if found else -1


def _loads(text):
    """``json.loads(text)``, in linear time: MicroPython's json.loads grows each str it
    reads 16 bytes at a time (quadratic: 8 MiB took minutes), so in text of ``_BIG_TEXT``
    characters or more JavaScript cuts out the long strings (js/mpyworker.js
    pwwJsonSplit) and they are put back into what json.loads made of the rest. ``text``
    may come split already (a JS array: js/mpyworker.js jsonIn)."""
    if not isinstance(text, str):
        return _put_back(text)
    if len(text) >= _BIG_TEXT:
        b = _utf8(text)
        # Text that is not UTF-8 (raw surrogates: not JSON from the host) is read as it is.
        split = None if _surrogates_in(b) else _glue.jsonSplit(b)
        if split is not None:
            return _put_back(split)
    return _json_loads(text)


def _put_back(split):
    """The value of text JavaScript split (js/mpyworker.js pwwJsonSplit: [text, prefix,
    str0, str1, ...], each long str in the text a marker, prefix + its index, and no
    other str of the text starting with prefix), the long strings back in place of their
    markers."""
    n = split.length - 2
    longs = [_str_of(split[k + 2]) for k in range(n)]
    prefix = split[1]
    top = [_json_loads(split[0])]
    todo = [(top, 0)]
    while todo:
        into, slot = todo.pop()
        v = into[slot]
        if isinstance(v, str):
            if v.startswith(prefix):
                into[slot] = longs[int(v[len(prefix) :])]
        elif isinstance(v, list):
            todo.extend((v, i) for i in range(len(v)))
        elif isinstance(v, dict):
            todo.extend((v, k) for k in v)
    return top[0]


def _str_of(s):
    """A long str from js/mpyworker.js jsonSplit: a str, or (it holds lone surrogates)
    a JS array [text, code, text, ..., code, text] of the text between them and their
    code units, joined here."""
    if isinstance(s, str):
        return s
    return "".join(s[i] if i % 2 == 0 else chr(s[i]) for i in range(s.length))


def _json_loads(text):
    """``json.loads(text)``, a ``\\uXXXX`` escape of a high surrogate followed by one of
    a low surrogate read as the one character they stand for (as every JSON reader does;
    MicroPython's json keeps them as two surrogates: CPython's json writes any character
    past U+FFFF so)."""
    if "\\ud" not in text and "\\uD" not in text:
        return json.loads(text)
    b = text.encode()
    out, start = [], 0
    i = b.find(b"\\u")
    while i >= 0:
        j = i
        while j > 0 and b[j - 1] == 0x5C:  # a backslash before: an escaped one?
            j -= 1
        if (i - j) % 2 == 0 and b[i + 6 : i + 8] == b"\\u":
            try:
                high, low = int(b[i + 2 : i + 6], 16), int(b[i + 8 : i + 12], 16)
            except ValueError:
                high = low = 0
            if 0xD800 <= high < 0xDC00 and 0xDC00 <= low < 0xE000:
                out.append(b[start:i])
                out.append(chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).encode())
                start = i + 12
                i = b.find(b"\\u", start)
                continue
        i = b.find(b"\\u", i + 2)
    out.append(b[start:])
    return json.loads(b"".join(out).decode())


def _is_awaitable(result):
    return hasattr(result, "send") or hasattr(result, "__await__")


class WorkerMessage:
    """One received message, a handle on its slot in this worker's inbound queue.

    Attributes
    ----------
    index : int
        Position in the inbound queue, from 0, stable for the worker's life.
    """

    def __init__(self, index, kind=0, raw=None, opened=False):
        self.index = index
        self._kind = kind
        self._raw = raw
        self._opened = opened

    @property
    def kind(self):
        """``"text"``, ``"bytes"``, ``"json"`` or ``"error"``."""
        kind = self._kind or _glue.info(self.index)[0]
        return _KIND_NAMES.get(kind, str(kind))

    @property
    def received(self):
        """When it arrived, seconds since the epoch."""
        return _glue.info(self.index)[2] / 1000.0

    @property
    def nbytes(self):
        """The payload's size in bytes."""
        return _glue.info(self.index)[3]

    def is_opened(self):
        """Whether it was read (``read()``, ``receive()``)."""
        return self._opened or bool(_glue.info(self.index)[1])

    def read(self):
        """The payload, and the message marked opened: ``str``, ``bytes``, JSON data, or a
        ``RemoteError`` (not raised) for an error message."""
        if self._raw is None:
            r = _glue.read(self.index)
            self._kind = r[0]
            self._raw = _bytes_of(r[1]) if r[0] == MSG_BYTES else r[1]
            self._opened = True
        if self._kind == MSG_JSON:
            return _loads(self._raw)
        if self._kind == MSG_ERROR:
            return _error_from(_loads(self._raw))
        return self._raw

    def __repr__(self):
        return f"<WorkerMessage {self.index} {self.kind}>"


class _Host:
    """``parent.host.name(*args)`` is ``parent.call("name", *args)``."""

    def __init__(self, parent):
        self._parent = parent

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args):
            return self._parent.call(name, *args)

        return call


class _Sync:
    """``parent.sync.name(*args, timeout=None)`` blocks until the host's answer."""

    def __init__(self, sync_call):
        self._sync_call = sync_call

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args, timeout=None):
            return self._sync_call(name, args, timeout)

        return call


# MicroPython has no builtin TimeoutError: its asyncio's is the one a timeout raises.
TimeoutError = asyncio.TimeoutError  # noqa: A001


class Parent:
    """The host, seen from inside a MicroPython worker (see the module docstring)."""

    sync_timeout = 60.0  # seconds, as pywebworker.parent.sync_timeout

    def __init__(self):
        self._event = asyncio.Event()
        self._watching = False
        self._handler = None
        self._handled = 0
        self._on_wait = None  # readiness (_boot), until the worker is ready
        self._exposed = {}
        self._serving = False
        self._pending = {}  # call id -> [event, ok, value]

    # -- messages ---------------------------------------------------------------------
    def send_message(self, data):
        """Send ``data`` to the host: ``str``, bytes-like, or JSON data (same rules as a
        Pyodide PyWorker's ``parent.send_message``).

        Raises
        ------
        PayloadError
            (a ``TypeError``) if ``data`` cannot be sent.
        """
        if isinstance(data, str):
            at = _surrogate_at(data)
            if at >= 0:
                raise PayloadError(
                    f"cannot send a str holding the surrogate U+{ord(data[at]):04X} at position {at} as text: "
                    "UTF-8 has no form for it; send it inside a list or dict (JSON escapes it) or as bytes"
                )
            # A long one as its UTF-8 bytes (not copied), which cross faster than a str.
            _glue.sendText(_utf8(data) if len(data) >= _BIG else _text(data))
        elif isinstance(data, (bytes, bytearray, memoryview)):
            _glue.sendBytes(data)
        else:
            _glue.sendJson(_dumps(data))

    postMessage = send_message  # noqa: N815 - the Web Worker spelling

    def has_unread_messages(self):
        """Whether a message arrived that was not read yet."""
        return _glue.unreadCount() > 0

    def get_unread_messages(self):
        """Unread messages, oldest first. Does not mark them; ``read()`` does."""
        text = _glue.unread()
        return [WorkerMessage(int(i)) for i in text.split(",")] if text else []

    def get_next_unread_message(self):
        """The oldest unread message, not marked, or ``None``."""
        text = _glue.unread()
        return WorkerMessage(int(text.split(",")[0])) if text else None

    def get_message(self, index):
        """The message at ``index`` (0 = first received; negative counts from the end)."""
        n = _glue.length()
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(f"no message {index} (received: {n})")
        return WorkerMessage(i)

    def clear_read(self):
        """Release the memory of every opened message; returns how many."""
        return _glue.releaseOpened()

    def _watch(self):
        if not self._watching:
            _glue.watch(self._wake)
            self._watching = True

    def _wake(self):
        self._event.set()
        if self._handler is not None:
            self._deliver()

    def _waiting(self):
        if self._on_wait is not None:
            self._on_wait()

    async def receive(self, timeout=None):
        """Wait for the next unread message, mark it opened and return it.

        Raises
        ------
        asyncio.TimeoutError
            after ``timeout`` seconds without a message.
        """
        self._watch()
        while True:
            msg = self.get_next_unread_message()
            if msg is not None:
                msg.read()
                return msg
            self._waiting()  # waits for the host: readiness (as _parent.py's _wait)
            self._event.clear()
            if timeout is None:
                await self._event.wait()
            else:
                await asyncio.wait_for(self._event.wait(), timeout)

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await self.receive()

    @property
    def on_message(self):
        """A function called with each new ``WorkerMessage`` as it arrives (not marked),
        or ``None``; a coroutine function runs as a task. Setting it delivers the
        messages already waiting that no handler saw yet. What it raises is printed and
        sent to the host as an error message; delivery goes on."""
        return self._handler

    @on_message.setter
    def on_message(self, handler):
        self._handler = handler
        if handler is not None:
            self._watch()
            self._deliver()
            self._waiting()

    def _deliver(self):
        n = _glue.length()
        while self._handler is not None and self._handled < n:
            msg = WorkerMessage(self._handled)
            self._handled += 1
            try:
                result = self._handler(msg)
                if _is_awaitable(result):
                    asyncio.create_task(self._run_handler(result, msg))
            except BaseException as exc:  # noqa: BLE001 - delivery goes on
                self._handler_error(msg, exc)

    async def _run_handler(self, coro, msg):
        try:
            await coro
        except BaseException as exc:  # noqa: BLE001
            self._handler_error(msg, exc)

    def _handler_error(self, msg, exc):
        try:
            info = error_info(exc)
            print(f"pywebworker: on_message handler raised for message {msg.index}:", file=sys.stderr)
            print(info["stack"], end="", file=sys.stderr)
            _glue.sendError(_text(info["name"]), _text(info["message"]), _text(info["stack"]))
        except BaseException:  # noqa: BLE001, S110 - nowhere left to report it
            pass

    # -- calls ------------------------------------------------------------------------
    @property
    def host(self):
        """The functions the host exposed: ``await parent.host.name(*args)``."""
        return _Host(self)

    async def call(self, name, *args):
        """Call the host's exposed function ``name``; its result.

        Raises
        ------
        RemoteError
            with the host's traceback if it raised (``NotExportedError`` for a name it
            does not expose).
        PayloadError
            if an argument cannot be sent.
        """
        bufs = []
        text = _dumps(list(args), bufs)
        self._serve()
        call_id = _glue.call(_text(name), text, bufs)
        if call_id < 0:
            raise RuntimeError(f"pywebworker: the call could not begin (core code {call_id})")
        slot = [asyncio.Event(), None, None]
        self._pending[call_id] = slot
        await slot[0].wait()
        if not slot[1]:
            raise slot[2]
        return slot[2]

    @property
    def sync(self):
        """Synchronous calls to the host's exposed functions, as in a Pyodide PyWorker
        (``parent.sync.name(*args)``; shared memory needed: ``SharedMemoryError``)."""
        return _Sync(self._sync_call)

    def _sync_call(self, name, args, timeout):
        if not _glue.sharedMemory():
            raise SharedMemoryError(_MISSING)
        seconds = self.sync_timeout if timeout is None else timeout
        if seconds is None:  # parent.sync_timeout = None: no limit, as in a Pyodide PyWorker
            seconds = float("inf")
        if not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"timeout must be >= 0 seconds (or inf for none), not {seconds}")
        bufs = []
        text = _dumps(list(args), bufs)
        r = _glue.sync(_text(name), text, bufs, seconds)
        if r is None:
            raise TimeoutError(f"the host did not answer {name}() within {seconds} s "
                               "(a host whose Python is busy answers only once it awaits; a host function "
                               "that calls this worker back waits until this call ends)")
        call_id, ok, value, k = _loads(r[0])[0]
        if not ok:
            raise _error_from(value)
        return value if k < 0 else _unpack(_loads(value), r[1])

    def _on_returns(self, text, bufs, late):
        late_ids = [int(i) for i in late.split(",")] if late else []
        for item in _loads(text):
            call_id, ok, value, k = item
            slot = self._pending.pop(call_id, None)
            if slot is None or call_id in late_ids:
                continue
            try:
                if not ok:
                    slot[1], slot[2] = False, _error_from(value)
                else:
                    slot[1], slot[2] = True, (value if k < 0 else _unpack(_loads(value), bufs[k]))
            except BaseException as exc:  # noqa: BLE001 - fails this call only
                slot[1], slot[2] = False, exc
            slot[0].set()

    def _serve(self):
        if not self._serving:
            _glue.serve(self._on_calls, self._on_returns)
            self._serving = True

    def _on_calls(self, text, bufs):
        for item in _loads(text):
            call_id, name, args, k = item
            try:
                fn = self._exposed.get(name)
                if fn is None:
                    raise NotExportedError(
                        "NotExportedError",
                        "{!r} is not exported; exported: {}".format(name, ", ".join(self._exposed) or "(none)"),
                    )
                result = fn(*(args if k < 0 else _unpack(_loads(args), bufs[k])))
                if _is_awaitable(result):
                    asyncio.create_task(self._finish(call_id, result))
                else:
                    self._reply(call_id, result)
            except BaseException as exc:  # noqa: BLE001 - the caller gets it
                self._reply_error(call_id, exc)

    async def _finish(self, call_id, coro):
        try:
            self._reply(call_id, await coro)
        except BaseException as exc:  # noqa: BLE001
            self._reply_error(call_id, exc)

    def _reply(self, call_id, result):
        try:
            bufs = []
            text = _dumps(result, bufs)
        except BaseException as exc:  # noqa: BLE001
            return self._reply_error(call_id, exc)
        _glue.reply(call_id, True, text, bufs)

    def _reply_error(self, call_id, exc):
        if isinstance(exc, NotExportedError):
            info = {"name": "NotExportedError", "message": exc.remote_message, "stack": ""}
        else:
            info = error_info(exc)
        _glue.reply(call_id, False, json.dumps(info), None)

    def _serve_exports(self, namespace):
        names = namespace.get("__export__", ())
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError("__export__ must be a list of names (str)")
        for n in names:
            if n not in namespace:
                raise NameError(f"__export__ names {n!r}, which the script does not define")
            if not callable(namespace[n]):
                raise TypeError(f"__export__ names {n!r}, which is not a function")
            self._exposed[n] = namespace[n]
        self._serve()
        return list(names)


parent = Parent()

# -- readiness (js/mpyworker.js), as pywebworker/_boot.py ------------------------------
_wants_export = False
_ready = False
_lift = 0


async def _nothing():
    """Awaited by the line js/mpyworker.js puts first in a script with a top-level
    ``async for`` or ``async with``; returns at once."""


def _namespace():
    import __main__

    return __main__.__dict__ if hasattr(__main__, "__dict__") else {}


def _say_ready():
    global _ready
    names = parent._serve_exports(_namespace())  # noqa: SLF001 - a bad __export__ raises in the script
    _ready = True
    parent._on_wait = None  # noqa: SLF001 - this module's own object
    _glue.ready(json.dumps(names))


def _on_wait():
    if not _ready and (not _wants_export or "__export__" in _namespace()):
        _say_ready()


def _boot(filename, wants_export, lift=0):
    """Before the script runs: ``wants_export``, its top level assigns ``__export__``;
    ``lift``, lines js/mpyworker.js put before the script's first."""
    global _wants_export, _lift
    _wants_export = bool(wants_export)
    _lift = int(lift)
    parent._on_wait = _on_wait  # noqa: SLF001 - this module's own object


def _top_level_done():
    """The script's top level ended: ready now, if not yet."""
    if not _ready:
        _say_ready()


def _set_argv(argv_json):
    """The config's ``argv`` (a JSON list of str) as ``sys.argv``, before the script runs."""
    sys.argv.clear()
    sys.argv.extend(json.loads(argv_json))
