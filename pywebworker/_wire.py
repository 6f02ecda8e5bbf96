"""Calls on the wire (``js/protocol.js``): values packed as JSON text with bytes beside
it, and the batches of ``calls`` and ``returns`` items.

Arguments and results are JSON text; bytes travel beside it as transferred
``ArrayBuffer`` objects, referred to in the text by the marker object
``{"\\u0000b": index}``. So ``bytes`` stay ``bytes`` and nothing is converted element
by element across the JS boundary.

A batch's text is a JSON array of items: ``[id, name, args, k]`` in ``calls`` and
``[id, ok, value, k]`` in ``returns`` (``ok`` is 1 or 0). With ``k == -1`` the
args/value is embedded JSON (a failure's value is ``{name, message, stack}``); with
``k >= 0`` it is JSON text whose markers stand for ``bufs[k][i]``.

Plain Python; no JavaScript here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import PayloadError, error_info
from ._payload import MARK, check, dumps, dumps_exact, loads

if TYPE_CHECKING:
    from ._ports import ErrorInfo


def pack(value: Any, what: str = "", js_numbers: bool = False) -> tuple[str, list[bytes]]:
    """``(json_text, bufs)`` for ``value``: bytes-like objects anywhere become markers.

    The JSON text reaches the other side unchanged, so between two Pythons every value
    the rules allow arrives exactly (big ints included, ``1.0`` stays a float).
    ``js_numbers``: the other side is JavaScript (ints beyond ±(2**53 - 1) refused).

    Raises
    ------
    PayloadError
        (also a ``TypeError``) for a value the payload rules refuse; ``what`` says
        which argument or result it was.
    """
    bufs: list[bytes] = []
    try:
        return dumps_exact(check(value, "", 0, bufs, js_numbers)), bufs
    except PayloadError as exc:
        raise PayloadError(f"{what}: {exc}" if what else str(exc)) from None


def unpack(text: str, bufs: list[bytes] | None, js_numbers: bool = False) -> Any:
    """Decode JSON text from the other side; markers become ``bufs[i]``.

    Raises
    ------
    ValueError
        for text that does not decode (``json.JSONDecodeError``, an int over the
        digits limit); ``IndexError``/``TypeError`` for a marker with no such buffer.
    """
    if not bufs:
        return loads(text, js_numbers)

    def revive(d: dict[str, Any]) -> Any:
        return bufs[d[MARK]] if len(d) == 1 and MARK in d else d

    return loads(text, js_numbers, revive)


class Batch:
    """Items gathered into one ``calls`` or ``returns`` message: the one builder of
    batch items in Python (``js/protocol.js`` ``pwwBatchAdd`` is the JS one).

    Attributes
    ----------
    ids : list[int]
        The call ids of the items, in order.
    bufs : list[list[bytes]]
        The bytes of the items that have some (item ``k`` refers to ``bufs[k]``).
    """

    __slots__ = ("parts", "bufs", "ids", "js_numbers")

    def __init__(self, js_numbers: bool = False) -> None:
        self.parts: list[str] = []
        self.bufs: list[list[bytes]] = []
        self.ids: list[int] = []
        self.js_numbers = js_numbers  # the results go to JavaScript (payload rules for ints)

    def item(self, call_id: int, second: str | int, text: str, bufs: list[bytes]) -> None:
        """Add ``[call_id, second, value, k]``: ``second`` is a call's name or a reply's
        1/0; ``text`` is JSON text, embedded as it is when there are no ``bufs``."""
        head = dumps(second) if isinstance(second, str) else str(second)
        self.ids.append(call_id)
        if bufs:
            self.parts.append(f"[{call_id},{head},{dumps(text)},{len(self.bufs)}]")
            self.bufs.append(bufs)
        else:
            self.parts.append(f"[{call_id},{head},{text},-1]")

    def result(self, call_id: int, value: Any, what: str) -> None:
        """Add a reply with ``value``, or, if it cannot be sent, why (only this call
        fails); ``what`` names the value in that error (``"the result of f()"``)."""
        try:
            text, bufs = pack(value, what, self.js_numbers)
        except BaseException as exc:  # whatever packing raises (a hostile dict's items())
            self.error(call_id, error_info(exc))
            return
        self.item(call_id, 1, text, bufs)

    def error(self, call_id: int, info: ErrorInfo) -> None:
        """Add a failed reply carrying ``info`` (``_errors.error_info``)."""
        self.item(call_id, 0, _dumps_error(info), [])

    def text(self) -> str:
        """The batch's JSON text."""
        return f"[{','.join(self.parts)}]"


# ASCII: an exception's message may hold a lone surrogate, which only an escape carries.
_dumps_error = json.JSONEncoder(separators=(",", ":")).encode


def read_batch(text: str, reject: Callable[[int, BaseException], None], js_numbers: bool = False) -> list[Any]:
    """The items of a batch (``[id, ...]`` lists).

    When the whole text does not decode (one item too deep, or with an int over the
    digits limit), each item is decoded alone: ``reject(id, exc)`` is called for those
    that fail, and the others are returned, so that one bad item fails only its call.

    Raises
    ------
    ValueError
        if the text is not a batch at all (an item without an id cannot be rejected).
    """
    try:
        items: list[Any] = loads(text, js_numbers)
        return items
    except Exception:
        parts = _split_items(text)
        if not parts:
            raise
    good: list[Any] = []
    for part in parts:
        try:
            good.append(loads(part, js_numbers))
        except Exception as exc:
            head = _ITEM_ID.match(part)
            if head is None:
                raise
            reject(int(head.group(1)), exc)
    return good


_ITEM_ID = re.compile(r"\[\s*(-?\d+)\s*,")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _split_items(text: str) -> list[str]:
    """The texts of the top-level items of a JSON array, found by bracket depth
    (strings skipped). Only used when the whole array did not decode."""
    parts: list[str] = []
    depth, start = 0, 0
    for tok in _TOKENS.finditer(text):
        c = tok.group()
        if c in "[{":
            depth += 1
            if depth == 2:
                start = tok.start()
        elif c in "]}":
            depth -= 1
            if depth == 1:
                parts.append(text[start : tok.end()])
    return parts
