"""Payload rules (DESIGN.md "Payloads"): Python values to kinds and bytes, and back.

A value arrives exactly or is refused with :class:`PayloadError` at the send:

- ``int``: exact between two Pythons (JSON text carries every digit); refused when the
  peer is JavaScript beyond ±(2**53 - 1), the integers a JS number holds exactly (send
  such a value as ``str``); refused everywhere beyond ``sys.get_int_max_str_digits()``
  decimal digits (when that limit is set), which ``json`` cannot write.
- ``float``: NaN and infinities are refused (JSON has no such number).
- ``str``: a message that is a ``str`` travels as text (UTF-8), which has no form for a
  surrogate code point (``"\\ud800"``): refused. Inside JSON data, surrogates are
  kept (written as ``\\uXXXX`` escapes); a high surrogate followed by a low one is
  refused, as every JSON reader joins the two into one character.

Plain Python; no JavaScript here.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from ._constants import MSG_BYTES as BYTES
from ._constants import MSG_ERROR as ERROR
from ._constants import MSG_JSON as JSON
from ._constants import MSG_TEXT as TEXT
from ._errors import PayloadError, remote_error

Payload = str | bytes | bytearray | memoryview

# Calls carry bytes beside their JSON text; in the text, this one-key object stands for
# the bytes at that position (see _wire.py).
MARK = "\x00b"
_SCALARS = frozenset((str, bool, type(None)))
JS_SAFE_INT = 2**53 - 1  # Number.MAX_SAFE_INTEGER
# Below this no int can pass sys.get_int_max_str_digits() (whose smallest nonzero value
# is 640), so the usual ints skip reading the limit.
_FEW_DIGITS = 10**640 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
# A number JSON writes with 16 or more digits: from a JavaScript peer it was a double.
_LONG_DIGITS = re.compile(r"\d{16}")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _int_text(value: int) -> str:
    """``value`` for an error message, short even for a huge int."""
    bits = value.bit_length()
    return f"int {value}" if bits <= 256 else f"an int of about {int(bits * 0.30103) + 1} digits"


def check_int(value: int, where: str, js_numbers: bool) -> int:
    """``value`` if it can travel exactly (see the module's rules), else raise.

    Raises
    ------
    PayloadError
        naming the value and ``where`` it is.
    """
    if js_numbers:
        if -JS_SAFE_INT <= value <= JS_SAFE_INT:
            return value
        raise PayloadError(
            f"cannot send {_int_text(value)} at {where}: beyond ±(2**53-1) a JavaScript number "
            "does not hold it exactly; send it as str"
        )
    if -_FEW_DIGITS <= value <= _FEW_DIGITS:
        return value
    limit = sys.get_int_max_str_digits()
    if limit and abs(value) >= 10**limit:
        raise PayloadError(
            f"cannot send {_int_text(value)} at {where}: over {limit} digits, Python's "
            "sys.get_int_max_str_digits() limit for writing it as JSON; send it as str or bytes"
        )
    return value


def check(value: Any, path: str, depth: int, bufs: list[bytes] | None, js_numbers: bool = False) -> Any:
    """``value`` checked against the payload rules, returned ready for :func:`dumps_exact`.

    With a ``bufs`` list (calls), bytes-like objects anywhere are appended to it and
    replaced by the marker ``{MARK: index}``; with ``None`` (messages) they are refused
    inside JSON data. ``js_numbers``: the peer is JavaScript (ints beyond ±(2**53 - 1)
    are refused).

    Raises
    ------
    PayloadError
        for anything the rules do not allow; the message names the type and where.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    where = path or "top"
    if isinstance(value, int):
        return check_int(value, where, js_numbers)
    if depth > 512:
        raise PayloadError(f"cannot send: nesting deeper than 512 levels at {where}")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PayloadError(f"cannot send float {value!r} at {where}: JSON has no such number")
        return value
    if bufs is not None and isinstance(value, (bytes, bytearray, memoryview)):
        bufs.append(bytes(value))
        return {MARK: len(bufs) - 1}
    # Plain scalars (the usual items) skip the recursion and its path text.
    lim = JS_SAFE_INT if js_numbers else _FEW_DIGITS
    if isinstance(value, (list, tuple)):
        return [
            item
            if type(item) in _SCALARS or (type(item) is int and -lim <= item <= lim)
            else check(item, f"{path}[{i}]", depth + 1, bufs, js_numbers)
            for i, item in enumerate(value)
        ]
    if isinstance(value, dict):
        if bufs is not None and len(value) == 1 and MARK in value:
            raise PayloadError(
                f"cannot send a dict whose only key is {MARK!r} at {where}: in a call that is the "
                "marker of bytes sent beside the JSON"
            )
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise PayloadError(f"cannot send a dict key of type {type(key).__name__} at {where}: keys must be str")
            if type(item) in _SCALARS or (type(item) is int and -lim <= item <= lim):
                out[key] = item
            else:
                out[key] = check(item, f"{path}[{key!r}]", depth + 1, bufs, js_numbers)
        return out
    raise PayloadError(
        f"cannot send a value of type {type(value).__name__} at {where}: send str, bytes, "
        "or None/bool/int/float/list/tuple/dict with str keys"
    )


def dumps_exact(checked: Any) -> str:
    """JSON text of a :func:`check`-ed value that every JSON reader decodes to the same
    strings: compact UTF-8-ready text, or, when a string holds a surrogate code point
    (which UTF-8 cannot carry), the same with every non-ASCII character escaped.

    Raises
    ------
    PayloadError
        if a high surrogate is followed by a low one (readers would join them).
    """
    text = dumps(checked)
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    pair = _PAIR.search(text)
    if pair is not None:
        joined = pair.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        raise PayloadError(
            f"cannot send the surrogate pair {pair.group()!r} in a str: it would arrive as one "
            f"character, {joined!r} (U+{ord(joined):04X}); join it before sending "
            "(s.encode('utf-16', 'surrogatepass').decode('utf-16'))"
        )
    return _dumps_ascii(checked)


def check_text(data: str) -> str:
    """``data`` if it can travel as text (UTF-8).

    Raises
    ------
    PayloadError
        if it holds a surrogate code point, naming it and its position.
    """
    if not data.isascii():
        m = _SURROGATE.search(data)
        if m is not None:
            raise PayloadError(
                f"cannot send a str holding the surrogate U+{ord(m.group()):04X} at position {m.start()} as "
                "text: UTF-8 has no form for it; send it inside a list or dict (JSON escapes it) or as bytes"
            )
    return data


def encode(data: Any, js_numbers: bool) -> tuple[int, Payload]:
    """Return ``(kind, payload)`` for ``data``.

    ``str`` is text; ``bytes``, ``bytearray`` and ``memoryview`` are bytes (sent as
    they are, copied once into the core); ``None``, ``bool``, ``int``, ``float``,
    ``list``, ``tuple`` and ``dict`` with ``str`` keys are JSON text.

    Parameters
    ----------
    data : Any
        The value to send.
    js_numbers : bool
        Whether the peer is JavaScript: ints beyond ±(2**53 - 1) are refused.

    Raises
    ------
    PayloadError
        (also a ``TypeError``) for any other type, a non-``str`` dict key, a NaN or
        infinite float, an int the peer cannot hold exactly or with more digits than
        ``sys.get_int_max_str_digits()``, a ``str`` message holding a surrogate, or
        nesting deeper than 512; the message names the value and where it is.
    """
    if isinstance(data, str):
        return TEXT, check_text(data)
    if isinstance(data, (bytes, bytearray)):
        return BYTES, data
    if isinstance(data, memoryview):
        return BYTES, data if data.c_contiguous else data.tobytes()
    return JSON, dumps_exact(check(data, "", 0, None, js_numbers))


def _js_int(text: str) -> int | float:
    n = int(text)
    return n if -JS_SAFE_INT <= n <= JS_SAFE_INT else float(text)


def loads(text: str, js_numbers: bool = False, object_hook: Any = None) -> Any:
    """``json.loads(text)``; with ``js_numbers`` (the text comes from JavaScript), an
    integer beyond ±(2**53 - 1) is read as the ``float`` it was in JavaScript, since
    ``JSON.stringify`` writes such a double without a fraction (5.043137446799318e16 as
    50431374467993180, which as an ``int`` would be another number).

    Raises
    ------
    ValueError
        for text that does not decode.
    """
    if js_numbers and _LONG_DIGITS.search(text):
        return json.loads(text, parse_int=_js_int, object_hook=object_hook)
    return json.loads(text, object_hook=object_hook)


def decode(kind: int, raw: Any, js_numbers: bool = False) -> Any:
    """Turn a stored payload back into a Python value.

    ``raw`` is a ``str`` for text, JSON and error kinds, and ``bytes`` for bytes. An
    error-kind payload becomes a :class:`RemoteError` instance (returned, not raised), and
    so does JSON text that does not decode. ``js_numbers``: the payload comes from JavaScript (see :func:`loads`).
    """
    if kind == TEXT:
        return raw
    if kind == BYTES:
        return raw if type(raw) is bytes else bytes(raw)
    if kind == JSON:
        try:
            return loads(raw, js_numbers)
        except ValueError as exc:  # only a forged message (a script that sent a `msgs` batch itself)
            why = f"the worker sent JSON text that cannot be read: {exc}"
            return remote_error({"name": "DataCloneError", "message": why})
    if kind == ERROR:
        return remote_error(json.loads(raw))
    return raw
