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


# -- without shared memory: JSPI (pyodide.ffi.run_sync), faked here --------------------------


def _finish(awaitable: Any, *, what: str, instead: str) -> Any:
    """``_blocking.block`` for a coroutine that never suspends (the fake port's)."""
    try:
        awaitable.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError(f"{what} suspended")


@pytest.fixture(autouse=True)
def fresh_parent() -> Any:
    """``pywebworker.parent`` binds to the first port it sees: each test its own."""
    from pywebworker._parent import parent

    for key in ("_port", "_inbound", "_outbox"):
        parent.__dict__.pop(key, None)
    yield
    for key in ("_port", "_inbound", "_outbox"):
        parent.__dict__.pop(key, None)


@pytest.fixture
def jspi(monkeypatch: pytest.MonkeyPatch) -> None:
    """This Python can block with JSPI (as Chromium or Node 26 would say)."""
    from pywebworker import _sync

    monkeypatch.setattr(_sync, "can_block", lambda: True)
    monkeypatch.setattr(_sync, "block", _finish)


def test_sync_over_jspi_answers_as_with_shared_memory(inside: FakeRuntime, jspi: None) -> None:
    port = inside.parent_port
    assert port is not None

    def host(name: str, args: str, bufs: list[bytes], timeout: float) -> tuple[str, list[bytes]] | None:
        if name == "add":
            a, b = json.loads(args)
            return f"[[-1,1,{a + b},-1]]", []
        if name == "echo_bytes":
            return f'[[-2,1,{json.dumps(args)},0]]', bufs + [b"\x00\xff"]
        if name == "slow":
            return None
        return '[[-4,0,{"name":"ValueError","message":"bad","stack":"Traceback ... in boom"},-1]]', []

    port.sync_host = host
    port.shared = False
    p = Parent()
    p.send_message("before")
    assert p.sync.add(1, 2) == 3
    assert [x.type for x in port.posted] == ["message", "sync"]  # through sync_posted: it asserts no shared memory
    assert p.sync.echo_bytes(b"ab") == [b"ab"]
    with pytest.raises(RemoteError) as info:
        p.sync.boom()
    assert (info.value.remote_type, info.value.remote_message) == ("ValueError", "bad")
    with pytest.raises(TimeoutError, match=r"the host did not answer slow\(\) within 0.1 s"):
        p.sync.slow(timeout=0.1)


def test_cannot_block_here_and_neither_way(inside: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    from pywebworker import _sync
    from pywebworker._blocking import BlockingError

    port = inside.parent_port
    assert port is not None
    port.shared = False
    p = Parent()
    # JSPI in the engine, not in this Python (entered synchronously from JavaScript).
    monkeypatch.setattr(_sync, "jspi_supported", lambda: True)
    for call in (lambda: p.sync.add(1), lambda: p.window, lambda: _sync.worker_input("?")):
        with pytest.raises(_sync.CannotBlockHereError) as info:
            call()
        assert isinstance(info.value, SharedMemoryError) and isinstance(info.value, BlockingError)
        text = str(info.value)
        assert "cannot block here" in text and "asyncio.sleep(0)" in text
        assert "Cross-Origin-Opener-Policy: same-origin" in text
    # Neither: the two ways out.
    monkeypatch.setattr(_sync, "jspi_supported", lambda: False)
    for call in (lambda: p.sync.add(1), lambda: p.window, lambda: _sync.worker_input("?")):
        with pytest.raises(SharedMemoryError) as info:
            call()
        assert not isinstance(info.value, BlockingError)
        text = str(info.value)
        assert "crossOriginIsolated is false" in text and "Cross-Origin-Embedder-Policy: require-corp" in text
        assert "JSPI" in text and "Chromium 137" in text and "Node 26" in text
    assert port.posted == []  # nothing was sent


def test_worker_input(inside: FakeRuntime, jspi: None) -> None:
    from pywebworker import _sync

    port = inside.parent_port
    assert port is not None
    port.shared = False
    answers: list[str] = ['"alice\\n"', '"bob"', "null", "5",
                          '{"name":"EOFError","message":"no more","stack":""}',
                          '{"name":"KeyError","message":"k","stack":""}']
    asked: list[Any] = []

    def host(name: str, args: str, bufs: list[bytes], timeout: float) -> tuple[str, list[bytes]] | None:
        asked.append((name, json.loads(args), timeout))
        answer = answers.pop(0)
        ok = 0 if answer.startswith("{") else 1
        return f"[[-1,{ok},{answer},-1]]", []

    port.sync_host = host
    assert _sync.worker_input("name? ") == "alice"  # one trailing newline dropped
    assert _sync.worker_input() == "bob"
    with pytest.raises(EOFError):
        _sync.worker_input()  # None: no more input
    with pytest.raises(TypeError, match="returned int, not str"):
        _sync.worker_input()
    with pytest.raises(EOFError, match="no more"):
        _sync.worker_input()
    with pytest.raises(RemoteError, match="k"):
        _sync.worker_input()
    assert asked[:2] == [("input", ["name? "], float("inf")), ("input", [""], float("inf"))]  # no timeout


def test_install_input_and_sleep(inside: FakeRuntime) -> None:
    import builtins
    import time

    from pywebworker import _sync

    saved = builtins.input, time.sleep
    try:
        _sync.install()
        first = time.sleep
        _sync.install()  # once: not wrapped twice
        assert builtins.input is _sync.worker_input and time.sleep is first
        assert time.sleep.__wrapped__ is saved[1]  # type: ignore[attr-defined]
        # Where this Python cannot block (here), the original: CPython's answers.
        for bad, error in ((-1, ValueError), (float("nan"), ValueError), ("1", TypeError), (10**30, OverflowError)):
            with pytest.raises(error):
                time.sleep(bad)  # type: ignore[arg-type]
        t = time.monotonic()
        time.sleep(0.01)
        assert time.monotonic() - t >= 0.009
    finally:
        builtins.input, time.sleep = saved


def test_host_answers_input_with_its_own_unless_exposed(rt: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from pywebworker import PyWorker

    prompts: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda prompt="": prompts.append(prompt) or "typed")
    w = PyWorker("pass")
    assert w._fallback("input")("who? ") == "typed" and prompts == ["who? "]  # noqa: SLF001
    assert w._fallback("other") is None  # noqa: SLF001
    w.expose(lambda prompt: "exposed", name="input")  # an exposed one comes first (CallServer.on_calls)
    assert w._exposed["input"]("x") == "exposed"  # noqa: SLF001
