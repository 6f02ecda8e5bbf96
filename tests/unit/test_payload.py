"""The payload rules (``pywebworker/_payload.py``, DESIGN.md "Payloads") under plain
CPython: what each value becomes, what is refused and how the refusal reads."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pywebworker import PayloadError, RemoteError
from pywebworker._constants import MSG_BYTES, MSG_ERROR, MSG_JSON, MSG_TEXT
from pywebworker._payload import check, decode, encode


def roundtrip(value: Any, js_numbers: bool = False) -> Any:
    kind, payload = encode(value, js_numbers)
    return decode(kind, payload if isinstance(payload, str) else bytes(payload))


def nested(depth: int, leaf: Any = 1) -> list[Any]:
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value  # type: ignore[no-any-return]


@contextmanager
def recursion_limit(n: int) -> Iterator[None]:
    """CPython 3.11 spends two frames per level in ``check`` (a list comprehension is
    a frame of its own until 3.12, PEP 709); Pyodide's Python (3.12+) spends one. The
    depth tests raise the limit so that they test the rule, not the interpreter."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, n))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize(
    ("value", "kind"),
    [("héllo", MSG_TEXT), ("", MSG_TEXT), (b"\x00\xff", MSG_BYTES), (bytearray(b"ab"), MSG_BYTES), (None, MSG_JSON),
     (True, MSG_JSON), (0, MSG_JSON), (1.5, MSG_JSON), ([1, "a"], MSG_JSON), ({"k": [None]}, MSG_JSON)],
)
def test_kinds(value: Any, kind: int) -> None:
    assert encode(value, False)[0] == kind


def test_text_and_bytes_travel_as_they_are() -> None:
    data = b"abc"
    assert encode(data, False) == (MSG_BYTES, data)
    assert encode(data, False)[1] is data  # no copy before the core's own
    view = memoryview(b"abcdef")
    assert encode(view, False)[1] is view
    strided = memoryview(b"abcdef")[::2]
    assert encode(strided, False) == (MSG_BYTES, b"ace")  # not contiguous: copied once
    assert encode("😀 ü", False) == (MSG_TEXT, "😀 ü")


def test_json_text_is_compact_and_keeps_unicode() -> None:
    assert encode({"a": [1, 2.0, None, True]}, False)[1] == '{"a":[1,2.0,null,true]}'
    assert encode(["é😀"], False)[1] == '["é😀"]'


@pytest.mark.parametrize(
    "value",
    ["x", "", b"bytes", None, True, False, 0, -7, 2**53 - 1, 1.0, -0.5, 1e308, [], {}, [1, [2, [3]]],
     {"a": {"b": ["c", None]}}, "\u2028", ["\ud800"], {"k": "\udfff x"}, 2**200, -(10**100)],
)
def test_roundtrip_between_pythons(value: Any) -> None:
    got = roundtrip(value)
    assert got == value and type(got) is type(value)


def test_tuples_arrive_as_lists_and_floats_stay_floats() -> None:
    assert roundtrip((1, (2, 3))) == [1, [2, 3]]
    assert type(roundtrip(1.0)) is float
    assert type(roundtrip([1.0])[0]) is float


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), [1, float("nan")], {"a": float("inf")}])
def test_nan_and_infinity_are_refused(value: Any) -> None:
    with pytest.raises(PayloadError, match="JSON has no such number"):
        encode(value, False)


def test_refusals_are_type_errors_naming_the_place() -> None:
    with pytest.raises(TypeError, match=r"type set at \[1\]\['k'\]"):
        encode([0, {"k": {1}}], False)
    with pytest.raises(PayloadError, match="dict key of type int at top: keys must be str"):
        encode({1: "x"}, False)
    with pytest.raises(PayloadError, match=r"dict key of type tuple at \['a'\]"):
        encode({"a": {(1,): 2}}, False)
    with pytest.raises(PayloadError, match="type object"):
        encode(object(), False)
    with pytest.raises(PayloadError, match=r"type bytes at \[0\]"):  # bytes inside JSON data: messages refuse them
        encode([b"x"], False)


def test_ints_for_javascript_peers() -> None:
    big = 2**53
    assert encode(big - 1, True) == (MSG_JSON, str(big - 1))
    assert encode(-(big - 1), True) == (MSG_JSON, str(-(big - 1)))
    for value in (big, -big, [1, big], {"n": [big]}):
        with pytest.raises(PayloadError, match=r"2\*\*53-1.*send it as str"):
            encode(value, True)
    assert roundtrip([big], js_numbers=False) == [big]  # a PyWorker holds it exactly
    with pytest.raises(PayloadError, match="an int of about 101 digits"):  # short message for a huge int
        encode(10**100, True)


def test_bool_is_not_an_int_beyond_range() -> None:
    assert encode([True, False], True)[1] == "[true,false]"


def test_ints_over_the_digits_limit() -> None:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        assert encode(10**999, False)[0] == MSG_JSON
        with pytest.raises(PayloadError, match="over 1000 digits.*get_int_max_str_digits"):
            encode([10**1000], False)
        with pytest.raises(PayloadError, match="over 1000 digits"):
            encode(-(10**1000), False)
    finally:
        sys.set_int_max_str_digits(old)


def test_depth_512_is_the_limit() -> None:
    # The top container, and 512 levels of containers inside it.
    with recursion_limit(4000):
        kind, text = encode(nested(513), False)
        assert isinstance(text, str) and json.loads(text) == nested(513)
        assert encode({"a": nested(512)}, False)[0] == kind
        for value in (nested(514), {"a": nested(513)}, nested(513, {}), nested(2000)):
            with pytest.raises(PayloadError, match="nesting deeper than 512 levels"):
                encode(value, False)


def test_check_puts_bytes_beside_the_text_for_calls() -> None:
    bufs: list[bytes] = []
    checked = check([b"a", {"k": bytearray(b"bc")}, memoryview(b"d")], "", 0, bufs)
    assert bufs == [b"a", b"bc", b"d"]
    assert checked == [{"\x00b": 0}, {"k": {"\x00b": 1}}, {"\x00b": 2}]
    assert all(type(b) is bytes for b in bufs)


def test_a_lone_surrogate_is_refused_as_text_but_kept_in_json() -> None:
    with pytest.raises(PayloadError, match="surrogate U\\+D800 at position 2"):
        encode("ab\ud800", False)
    kind, text = encode(["\ud800", "é"], False)
    assert kind == MSG_JSON and isinstance(text, str) and text.isascii()  # escaped: UTF-8 has no form for it
    assert json.loads(text) == ["\ud800", "é"]


def test_a_surrogate_pair_in_json_is_refused() -> None:
    # Every JSON reader would join the two escapes into one character.
    with pytest.raises(PayloadError, match="surrogate pair.*U\\+1F600"):
        encode(["\ud83d\ude00"], False)
    assert encode(["😀"], False)[1] == '["😀"]'  # the joined character travels as itself


def test_decode() -> None:
    assert decode(MSG_TEXT, "x") == "x"
    for raw in (b"ab", bytearray(b"ab"), memoryview(b"ab")):
        got = decode(MSG_BYTES, raw)
        assert got == b"ab" and type(got) is bytes
    assert decode(MSG_JSON, '{"a":[1,2.5]}') == {"a": [1, 2.5]}
    err = decode(MSG_ERROR, '{"name":"TypeError","message":"bad","stack":"at f"}')
    assert isinstance(err, RemoteError)
    assert (err.remote_type, err.remote_message, err.remote_traceback) == ("TypeError", "bad", "at f")


def test_decode_error_tolerates_missing_fields() -> None:
    err = decode(MSG_ERROR, "{}")
    assert isinstance(err, RemoteError)
    assert err.remote_type == "Error" and err.remote_message == ""


def test_json_from_javascript_reads_long_integers_as_the_doubles_they_were() -> None:
    # JSON.stringify(5.043137446799318e16) is "50431374467993180": as an int that is
    # another number than the double JS held.
    assert decode(MSG_JSON, "50431374467993180", js_numbers=True) == 5.043137446799318e16
    assert type(decode(MSG_JSON, "[50431374467993180]", js_numbers=True)[0]) is float
    assert decode(MSG_JSON, "[9007199254740991, -9007199254740991]", js_numbers=True) == [2**53 - 1, -(2**53 - 1)]
    assert type(decode(MSG_JSON, "9007199254740991", js_numbers=True)) is int
    # From Python the same text is an exact int.
    assert decode(MSG_JSON, "50431374467993180") == 50431374467993180


def test_a_dict_whose_only_key_is_the_bytes_marker_is_refused_in_calls() -> None:
    with pytest.raises(PayloadError, match="only key"):
        check([b"x", {"\x00b": 0}], "", 0, [])
    assert check({"\x00b": 0, "a": 1}, "", 0, []) == {"\x00b": 0, "a": 1}  # not a marker
    assert roundtrip({"\x00b": 0}) == {"\x00b": 0}  # messages carry no markers
