"""The host's window and document from a PyWorker (pywebworker/_dom.py) against a fake
port whose host is a few lines of Python playing js/host_dom.js: the requests' encoding,
the answers' markers, errors, and how dropped proxies are released. The real host is
tested in tests/py/test_dom.py."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import HostProxy, Parent, PayloadError, RemoteError, SharedMemoryError


class FakeHost:
    """Host objects as dicts; answers as js/host_dom.js writes them."""

    def __init__(self, document: bool = True) -> None:
        el = {"tag": "P", "text": "hi"}
        self.objs: dict[int, Any] = {0: {"document": {"title": "T", "body": [el]}, "nan": float("nan")}}
        if not document:
            del self.objs[0]["document"]
        self.next = 1
        self.requests: list[list[Any]] = []

    def handle(self, v: Any) -> dict[str, Any]:
        self.objs[self.next] = v
        self.next += 1
        return {"\x00h": [self.next - 1, type(v).__name__]}

    def out(self, v: Any) -> Any:
        if isinstance(v, float) and v != v:
            return {"\x00f": "NaN"}
        return self.handle(v) if isinstance(v, (dict, list)) else v

    def __call__(self, op: str, text: str, bufs: list[bytes], timeout: float) -> tuple[str, list[bytes]]:
        req = json.loads(text)
        self.requests.append(req)
        _op, h, key, args, released = req
        for i in released:
            del self.objs[i]
        obj = self.objs.get(h)
        if obj is None:
            return '[[-1,0,{"name":"ReferenceError","message":"released","stack":""},-1]]', []
        if op == "doc":
            value: Any = self.out(obj["document"]) if "document" in obj else "worker"
        elif op == "get":
            value = self.out(obj[key]) if key in obj else {"\x00u": 1}
        elif op == "set":
            obj[key] = args[0]
            value = None
        elif op == "len":
            value = len(obj)
        elif op == "item":
            value = self.out(obj[key]) if -len(obj) <= key < len(obj) else {"\x00u": 1}
        elif op == "list":
            value = [self.out(v) for v in obj]
        elif op == "call":
            value = {"args": json.dumps(args), "bytes": {"\x00b": 0}, "big": {"\x00i": str(2**70)}}
            return f"[[-1,1,{json.dumps(json.dumps(value))},0]]", [b"\x01\x02"]
        else:
            return f'[[-1,0,{{"name":"TypeError","message":"no {op}","stack":""}},-1]]', []
        return f"[[-1,1,{json.dumps(value)},-1]]", []


def test_get_set_call_len_iter_and_markers(inside: FakeRuntime) -> None:
    port = inside.parent_port
    assert port is not None
    host = port.dom_host = FakeHost()
    p = Parent()
    doc = p.document
    assert isinstance(doc, HostProxy) and repr(doc) == "<HostProxy dict #1>"
    assert p.document is doc  # one request, then kept
    assert doc.title == "T"
    doc.title = "new"
    assert host.objs[1]["title"] == "new"
    body = doc.body
    assert len(body) == 1 and bool(doc)
    first = body[0]
    assert body[-1] is not first and first.text == "hi"
    with pytest.raises(IndexError):
        body[1]
    assert [x.tag for x in body] == ["P"]
    with pytest.raises(AttributeError, match="'nope'"):
        doc.nope  # noqa: B018 - undefined on the host, as Pyodide's JsProxy
    assert not hasattr(doc, "__len_hint__")  # dunders never leave the worker
    nan = p.window.nan
    assert nan != nan
    # A call: proxies go as handle markers, keyword arguments as a last object; bytes
    # and big ints come back.
    got = p.window(first, [b"ab"], x=1)
    assert json.loads(got["args"]) == [{"\x00h": first._id}, [{"\x00b": 0}], {"x": 1}]  # noqa: SLF001
    assert got["bytes"] == b"\x01\x02" and got["big"] == 2**70
    assert host.requests[-1][3][1] == [{"\x00b": 0}]
    with pytest.raises(RemoteError) as info:
        doc.new()  # a JS exception on the host
    assert info.value.remote_type == "TypeError"


def test_arguments_refused_before_anything_is_sent(inside: FakeRuntime) -> None:
    port = inside.parent_port
    assert port is not None
    host = port.dom_host = FakeHost()
    w = Parent().window
    with pytest.raises(TypeError, match="Python callable 'handler'"):
        def handler() -> None: ...
        w(handler)
    with pytest.raises(PayloadError, match="marker of a host object"):
        w({"\x00h": 0})
    with pytest.raises(PayloadError):
        w({1, 2})
    with pytest.raises(TypeError, match="int or str"):
        w[1.5]
    assert host.requests == []


def test_dropped_proxies_are_released_in_batches(inside: FakeRuntime, loop: asyncio.AbstractEventLoop) -> None:
    port = inside.parent_port
    assert port is not None
    host = port.dom_host = FakeHost()
    p = Parent()
    body = p.document.body
    items = list(body)
    assert len(host.objs) == 4  # window, document, body, its element
    del items
    gc.collect()
    # The next request carries the id; the timer then has nothing to send.
    assert p.document.title == "T"
    assert host.requests[-1][4] == [3] and len(host.objs) == 3
    loop.run_until_complete(asyncio.sleep(0.01))
    assert port.released == []
    # Without a request, one release message soon after, for every proxy dropped.
    a, b = p.document.body, p.document.body
    del a, b, body
    gc.collect()
    assert port.released == []
    loop.run_until_complete(asyncio.sleep(0.01))
    assert [sorted(json.loads(t)) for t in port.released] == [[2, 4, 5]]
    assert p.window is p.window  # window is never released, and made without a request


def test_no_document_and_no_shared_memory(inside: FakeRuntime) -> None:
    port = inside.parent_port
    assert port is not None
    host = port.dom_host = FakeHost(document=False)
    p = Parent()
    for _ in range(2):
        with pytest.raises(AttributeError, match="the host runs in a worker .* global scope, self"):
            p.document  # noqa: B018
    assert len(host.requests) == 1 and not hasattr(p, "document")
    port.shared = False
    q = Parent()
    with pytest.raises(SharedMemoryError, match="crossOriginIsolated is false"):
        q.window  # noqa: B018


def test_timeout_names_the_operation(inside: FakeRuntime) -> None:
    port = inside.parent_port
    assert port is not None
    port.dom_host = lambda *a: None
    p = Parent()
    p.sync_timeout = 0.1
    with pytest.raises(TimeoutError, match="within 0.1 s"):
        p.window.title  # noqa: B018
