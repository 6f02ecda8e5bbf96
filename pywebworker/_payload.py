"""Payload rules (DESIGN.md "Payloads"): Python values to kinds and bytes, and back.

Plain Python; no JavaScript here.
"""

from __future__ import annotations

import json
from typing import Any

from ._errors import PayloadError, RemoteError

TEXT, BYTES, JSON, ERROR = 1, 2, 3, 4
KIND_NAMES = {TEXT: "text", BYTES: "bytes", JSON: "json", ERROR: "error"}

Payload = str | bytes | bytearray | memoryview

# Calls carry bytes beside their JSON text; in the text, this one-key object stands for
# the bytes at that position (see _calls.py).
MARK = "\x00b"
_SCALARS = frozenset((str, int, bool, type(None)))
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def check(value: Any, path: str, depth: int, bufs: list[bytes] | None) -> Any:
    """``value`` checked against the payload rules, returned ready for ``json.dumps``.

    With a ``bufs`` list (calls), bytes-like objects anywhere are appended to it and
    replaced by the marker ``{MARK: index}``; with ``None`` (messages) they are refused
    inside JSON data.

    Raises
    ------
    PayloadError
        for anything the rules do not allow; the message names the type and where.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    where = path or "top"
    if depth > 512:
        raise PayloadError(f"cannot send: nesting deeper than 512 levels at {where}")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PayloadError(f"cannot send float {value!r} at {where}: JSON has no such number")
        return value
    if bufs is not None and isinstance(value, (bytes, bytearray, memoryview)):
        bufs.append(bytes(value))
        return {MARK: len(bufs) - 1}
    if isinstance(value, (list, tuple)):
        # Plain scalars (the usual items) skip the recursion and its path text.
        return [
            item if type(item) in _SCALARS else check(item, f"{path}[{i}]", depth + 1, bufs)
            for i, item in enumerate(value)
        ]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise PayloadError(f"cannot send a dict key of type {type(key).__name__} at {where}: keys must be str")
            out[key] = check(item, f"{path}[{key!r}]", depth + 1, bufs)
        return out
    raise PayloadError(
        f"cannot send a value of type {type(value).__name__} at {where}: send str, bytes, "
        "or None/bool/int/float/list/tuple/dict with str keys"
    )


def encode(data: Any) -> tuple[int, Payload]:
    """Return ``(kind, payload)`` for ``data``.

    ``str`` is text; ``bytes``, ``bytearray`` and ``memoryview`` are bytes (sent as
    they are, copied once into the core); ``None``, ``bool``, ``int``, ``float``,
    ``list``, ``tuple`` and ``dict`` with ``str`` keys are JSON text.

    Raises
    ------
    PayloadError
        (also a ``TypeError``) for any other type, a non-``str`` dict key, a NaN or
        infinite float, or nesting deeper than 512; the message names the type and
        where it is.
    """
    if isinstance(data, str):
        return TEXT, data
    if isinstance(data, (bytes, bytearray)):
        return BYTES, data
    if isinstance(data, memoryview):
        return BYTES, data if data.c_contiguous else data.tobytes()
    return JSON, dumps(check(data, "", 0, None))


def decode(kind: int, raw: Any) -> Any:
    """Turn a stored payload back into a Python value.

    ``raw`` is a ``str`` for text, JSON and error kinds, and for bytes a JS
    ``Uint8Array`` proxy (``to_bytes()``) or a bytes-like object. An error-kind payload
    becomes a :class:`RemoteError` instance (returned, not raised).
    """
    if kind == TEXT:
        return raw
    if kind == BYTES:
        return raw.to_bytes() if hasattr(raw, "to_bytes") else bytes(raw)
    if kind == JSON:
        return json.loads(raw)
    if kind == ERROR:
        return error_from_json(raw)
    return raw


def error_from_json(raw: str, cls: type[RemoteError] = RemoteError) -> RemoteError:
    """Build ``cls`` from the ``{"name", "message", "stack"}`` JSON the JS glue writes."""
    info = json.loads(raw)
    return cls(info.get("name", "Error"), info.get("message", ""), info.get("stack", ""))
