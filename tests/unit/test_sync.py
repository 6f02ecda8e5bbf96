"""Synchronous calls from a PyWorker (``parent.sync``, pywebworker/_sync.py) against a
fake port whose host answers at once; the shared-memory wire itself is tested in
tests/py/test_sync.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import Parent, PayloadError, RemoteError, SharedMemoryError, shared_memory_available


def test_sync_values_bytes_errors_and_order(inside: FakeRuntime) -> None:
    port = inside.parent_port
    assert port is not None
    seen: list[Any] = []

    def host(name: str, args: str, bufs: list[bytes], timeout: float) -> tuple[str, list[bytes]] | None:
        seen.append((name, args, bufs, timeout))
        if name == "add":
            a, b = json.loads(args)
            return f"[[-1,1,{a + b},-1]]", []
        if name == "echo_bytes":
            return f'[[-2,1,{json.dumps(args)},0]]', bufs + [b"\x00\xff"]
        if name == "big":
            return f"[[-3,1,{2**70},-1]]", []
        return '[[-4,0,{"name":"ValueError","message":"bad","stack":"Traceback ... in boom"},-1]]', []

    port.sync_host = host
    p = Parent()
    p.send_message("before")  # leaves before the call
    assert p.sync.add(1, 2) == 3
    assert [x.type for x in port.posted] == ["message", "sync"]
    assert p.sync.echo_bytes(b"ab") == [b"ab"]
    assert p.sync.big() == 2**70  # the host is Python: any int
    with pytest.raises(RemoteError) as info:
        p.sync.boom()
    assert (info.value.remote_type, info.value.remote_message) == ("ValueError", "bad")
    assert "in boom" in info.value.remote_traceback
    assert [s[3] for s in seen] == [60.0] * 4  # parent.sync_timeout's default
    p.sync_timeout = 2.5
    p.sync.add(0, 0)
    p.sync.add(0, 0, timeout=float("inf"))
    assert [s[3] for s in seen[4:]] == [2.5, float("inf")]
    with pytest.raises(PayloadError):
        p.sync.add({1, 2})
    with pytest.raises(ValueError, match=">= 0"):
        p.sync.add(1, timeout=-1)
    assert len(seen) == 6  # neither was sent


def test_sync_timeout_and_no_shared_memory(inside: FakeRuntime) -> None:
    port = inside.parent_port
    assert port is not None
    port.sync_host = lambda *a: None
    p = Parent()
    with pytest.raises(TimeoutError, match=r"slow\(\) within 0.1 s"):
        p.sync.slow(timeout=0.1)
    assert shared_memory_available()
    port.shared = False
    assert not shared_memory_available()
    with pytest.raises(SharedMemoryError) as info:
        p.sync.slow()
    text = str(info.value)
    assert "crossOriginIsolated is false" in text
    assert "Cross-Origin-Opener-Policy: same-origin" in text and "Cross-Origin-Embedder-Policy: require-corp" in text
    assert isinstance(info.value, RuntimeError)


def test_shared_memory_available_on_the_host(rt: FakeRuntime) -> None:
    assert shared_memory_available() is True
