"""Where a PyWorker's interrupt goes (``pywebworker/_interrupt.py``): raised where the
user's code runs; otherwise to the async exports running (as ``KeyboardInterrupt`` at
their ``await``), or dropped. Pyodide's interrupt buffer is played by calling the
SIGINT handler, and by the fake parent port's ``interrupted``."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import _interrupt
from pywebworker._parent import Parent
from pywebworker._server import _outcome
from pywebworker._wire import read_batch


def start(awaitable: Any) -> asyncio.Task[tuple[bool, Any]]:
    return _interrupt.start(awaitable, _outcome)


async def steps(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_a_waiting_coroutine_gets_keyboard_interrupt_where_it_waits(run: Callable[..., Any]) -> None:
    seen: list[str] = []

    async def waits() -> None:
        try:
            await asyncio.Event().wait()
        except KeyboardInterrupt:
            seen.append("KeyboardInterrupt")
            raise

    async def main() -> tuple[bool, Any]:
        task = start(waits())
        await steps()
        _interrupt.stray()
        return await task

    ok, exc = run(main())
    assert not ok and type(exc) is KeyboardInterrupt and seen == ["KeyboardInterrupt"]
    assert not _interrupt._running  # noqa: SLF001


def test_a_coroutine_that_catches_it_runs_on_not_cancelled(run: Callable[..., Any]) -> None:
    async def catches() -> str:
        try:
            while True:
                await asyncio.sleep(0)
        except KeyboardInterrupt:
            await asyncio.sleep(0)  # still a live task: not cancelled
            return "caught"

    async def main() -> tuple[Any, int]:
        task = start(catches())
        await steps()
        _interrupt.stray()
        _interrupt.stray()  # twice before it is delivered: once
        return await task, task.cancelling()

    assert run(main()) == ((True, "caught"), 0)


def test_one_that_lands_inside_the_calls_own_step(run: Callable[..., Any]) -> None:
    # As if the handler found only pywebworker's frames of this very task (_driven's):
    # no cancel of the running task, so one that returns in that step is not cancelled.
    async def waits_after() -> None:
        _interrupt.stray()
        await asyncio.Event().wait()

    async def ends() -> str:
        _interrupt.stray()
        return "done"

    async def main() -> list[Any]:
        a = start(waits_after())
        got = [await a, a.cancelling()]
        b = start(ends())
        return [got[0], await b, got[1], b.cancelled()]

    (ok, exc), done, cancelling, cancelled = run(main())
    assert not ok and type(exc) is KeyboardInterrupt
    assert (done, cancelling, cancelled) == ((True, "done"), 0, False)


def test_a_future_and_a_call_not_started_yet(run: Callable[..., Any]) -> None:
    async def never() -> None:
        raise AssertionError("not run")

    async def main() -> list[tuple[bool, Any]]:
        fut = asyncio.get_running_loop().create_future()
        waiting = start(fut)
        await steps()
        fresh = start(never())  # interrupted before its first step: never runs, closed
        _interrupt.stray()
        return [await waiting, await fresh]

    got = run(main())
    assert [(ok, type(exc)) for ok, exc in got] == [(False, KeyboardInterrupt)] * 2


def test_a_plain_cancel_still_cancels(run: Callable[..., Any]) -> None:
    async def main() -> None:
        task = start(asyncio.sleep(10))
        await steps()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())


def test_the_handler_raises_in_user_code_and_else_defers(
    run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> tuple[bool, Any]:
        task = start(asyncio.Event().wait())
        await steps()
        # This test's own frame is the user's code: raised here, as Ctrl+C.
        with pytest.raises(KeyboardInterrupt):
            _interrupt._on_sigint(2, sys._getframe())  # noqa: SLF001
        assert not task.done()
        # Only pywebworker's and the standard library's frames: the running call gets it.
        monkeypatch.setattr(_interrupt, "_LIB", (*_interrupt._LIB, os.path.dirname(__file__)))  # noqa: SLF001
        _interrupt._on_sigint(2, sys._getframe())  # noqa: SLF001
        return await task

    ok, exc = run(main())
    assert not ok and type(exc) is KeyboardInterrupt


def test_an_interrupt_not_seen_before_a_batch_goes_to_the_running_calls_not_to_it(
    inside: FakeRuntime, run: Callable[..., Any]
) -> None:
    port = inside.parent_port
    assert port is not None
    p = Parent()

    async def waits() -> None:
        await asyncio.Event().wait()

    def work(n: int) -> int:
        return n * 2

    p._serve_exports({"waits": waits, "work": work, "__export__": ["waits", "work"]})  # noqa: SLF001

    def replies() -> dict[int, list[Any]]:
        return {item[0]: item for post in port.posted if post.type == "returns"
                for item in read_batch(str(post.data), lambda i, e: None)}

    async def main() -> None:
        port.call_host([[1, "waits", [], -1]])
        await steps()
        port.interrupted = True  # sent while no Python ran
        port.call_host([[2, "work", [21], -1]])
        await steps(5)

    run(main())
    got = replies()
    assert got[2][1:3] == [1, 42]
    assert got[1][1] == 0 and got[1][2]["name"] == "KeyboardInterrupt"
    assert port.interrupted is False
