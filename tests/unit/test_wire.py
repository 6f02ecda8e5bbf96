"""Calls on the wire (_wire) and errors as data (_errors), under plain CPython."""

from __future__ import annotations

import pytest

from pywebworker._constants import ERRORS
from pywebworker._errors import (
    CoreError,
    PayloadError,
    QueueFullError,
    RemoteError,
    WorkerFailedError,
    WorkerStateError,
    error_info,
    from_core,
    remote_error,
)
from pywebworker._wire import Batch, pack, read_batch, unpack

# The golden items of js/protocol.js (tests/js/test_protocol.mjs checks the same strings).
GOLDEN_CALL = '[1,"add",[1,2],-1]'
GOLDEN_CALL_BUFS = r'[2,"cat","[{\"\\u0000b\":0}]",0]'
GOLDEN_RESULT = "[1,1,3,-1]"
GOLDEN_ERROR = '[2,0,{"name":"ValueError","message":"bad","stack":""},-1]'


def test_pack_turns_bytes_into_markers_and_unpack_back() -> None:
    value = {"a": b"x", "b": [bytearray(b"y"), 1, {"c": memoryview(b"z")}], "d": "\u00e9"}
    text, bufs = pack(value)
    assert bufs == [b"x", b"y", b"z"]
    assert '"\\u0000b"' in text and "\u00e9" in text
    assert unpack(text, bufs) == {"a": b"x", "b": [b"y", 1, {"c": b"z"}], "d": "\u00e9"}


def test_unpack_keeps_objects_that_only_look_like_markers() -> None:
    text = '[{"\\u0000b":0,"other":1},{"\\u0000b":0}]'
    assert unpack(text, [b"q"]) == [{"\x00b": 0, "other": 1}, b"q"]
    assert unpack("[1,2.0]", None) == [1, 2.0]


def test_pack_nested_and_refused() -> None:
    deep: list[object] = [b"in"]
    for _ in range(50):
        deep = [{"k": deep}]
    text, bufs = pack(deep)
    assert bufs == [b"in"] and unpack(text, bufs) == deep
    with pytest.raises(PayloadError, match="the result of g\\(\\): cannot send a value of type object"):
        pack([object()], "the result of g()")
    with pytest.raises(PayloadError, match="beyond"):
        pack(2**60, js_numbers=True)
    assert pack(2**60) == (str(2**60), [])


def test_batch_items_are_the_golden_strings() -> None:
    calls = Batch()
    calls.item(1, "add", pack([1, 2])[0], [])
    calls.item(2, "cat", *pack([b"x"]))
    assert calls.parts == [GOLDEN_CALL, GOLDEN_CALL_BUFS]
    assert calls.ids == [1, 2] and calls.bufs == [[b"x"]]
    assert calls.text() == f"[{GOLDEN_CALL},{GOLDEN_CALL_BUFS}]"

    returns = Batch()
    returns.result(1, 3, "the result of add()")
    returns.error(2, {"name": "ValueError", "message": "bad", "stack": ""})
    assert returns.text() == f"[{GOLDEN_RESULT},{GOLDEN_ERROR}]"
    assert returns.ids == [1, 2] and returns.bufs == []


def test_batch_read_back() -> None:
    text = f"[{GOLDEN_CALL},{GOLDEN_CALL_BUFS},{GOLDEN_RESULT},{GOLDEN_ERROR}]"
    items = read_batch(text, lambda i, exc: pytest.fail(f"rejected {i}: {exc}"))
    assert items[0] == [1, "add", [1, 2], -1]
    call_id, name, args, k = items[1]
    assert (call_id, name, k) == (2, "cat", 0) and unpack(args, [b"x"]) == [b"x"]
    assert items[2] == [1, 1, 3, -1]
    assert remote_error(items[3][2]).remote_type == "ValueError"


def test_batch_result_that_cannot_be_sent_fails_only_its_call() -> None:
    b = Batch(js_numbers=True)
    b.result(1, 2**60, "the result of big()")
    b.result(2, [b"ok"], "the result of fine()")
    assert b.ids == [1, 2]
    items = read_batch(b.text(), lambda i, exc: None)
    assert items[0][:2] == [1, 0] and items[0][2]["name"] == "PayloadError"
    assert "the result of big()" in items[0][2]["message"]
    assert items[1][1] == 1 and unpack(items[1][2], b.bufs[items[1][3]]) == [b"ok"]


def test_batch_error_with_a_lone_surrogate_stays_ascii_json() -> None:
    b = Batch()
    b.error(1, {"name": "E", "message": "lone \ud800", "stack": ""})
    assert b.text().isascii()
    assert read_batch(b.text(), lambda i, exc: None)[0][2]["message"] == "lone \ud800"


def test_read_batch_keeps_good_items_when_one_is_bad() -> None:
    text = '[[1,1,[1,"]"],-1],[2,1,' + "9" * 5000 + ',-1],[3,0,{"name":"E","message":"m]\\"","stack":""},-1]]'
    rejected: list[tuple[int, str]] = []
    items = read_batch(text, lambda i, e: rejected.append((i, type(e).__name__)))
    assert [item[0] for item in items] == [1, 3] and items[1][2]["message"] == 'm]"'
    assert rejected == [(2, "ValueError")]
    with pytest.raises(ValueError):  # not a batch at all: nothing to reject item by item
        read_batch("not json", lambda i, e: None)
    assert read_batch("[]", lambda i, e: None) == []


class HostileError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def test_error_info_survives_a_hostile_str() -> None:
    info = error_info(HostileError())
    assert info["name"] == "HostileError"
    assert info["message"] == "<HostileError: str() failed>"
    assert isinstance(info["stack"], str)


def test_error_info_message_and_user_traceback() -> None:
    def user_code() -> None:
        raise ValueError("bad value")

    try:
        user_code()
    except ValueError as exc:
        info = error_info(exc)
        assert error_info(exc, "said otherwise")["message"] == "said otherwise"
    assert info["name"] == "ValueError" and info["message"] == "bad value"
    assert "user_code" in info["stack"] and "ValueError: bad value" in info["stack"]
    assert "pywebworker/_errors.py" not in info["stack"]


def test_remote_error_tolerates_missing_and_odd_fields() -> None:
    err = remote_error({"name": "TypeError", "message": "m", "stack": "s"}, WorkerFailedError)
    assert isinstance(err, WorkerFailedError)
    assert (err.remote_type, err.remote_message, err.remote_traceback) == ("TypeError", "m", "s")
    err = remote_error({})
    assert type(err) is RemoteError and (err.remote_type, err.remote_message, err.remote_traceback) == ("Error", "", "")
    err = remote_error({"name": None, "message": 3, "stack": None})
    assert (err.remote_type, err.remote_message, err.remote_traceback) == ("Error", "3", "")
    assert remote_error("just text").remote_message == "just text"
    assert remote_error(None).remote_type == "Error"


def test_from_core_maps_each_code_once() -> None:
    assert isinstance(from_core(ERRORS["EFULL"][0], "send_message"), QueueFullError)
    err = from_core(ERRORS["ESTATE"][0])
    assert isinstance(err, WorkerStateError) and "(ESTATE)" in str(err)
    err = from_core(ERRORS["ENOMEM"][0], "push")
    assert isinstance(err, CoreError) and err.name == "ENOMEM" and str(err) == "push: out of memory (ENOMEM)"
    err = from_core(-999)
    assert isinstance(err, CoreError) and err.name == "UNKNOWN" and err.code == -999
