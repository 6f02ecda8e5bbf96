"""Fixtures of the unit tests: plain CPython, no Pyodide, the JS facade faked
(``fakejs.FakeRuntime``, installed with ``pywebworker._js.install``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import _js

# A unit test that waits longer than this is hanging: it fails instead.
TEST_TIMEOUT = 5.0


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()


@pytest.fixture
def rt(loop: asyncio.AbstractEventLoop) -> Iterator[FakeRuntime]:
    """A fake runtime on the host side, installed for the test."""
    runtime = FakeRuntime(loop)
    old = _js.install(runtime)
    try:
        yield runtime
    finally:
        _js.install(old)


@pytest.fixture
def inside(loop: asyncio.AbstractEventLoop) -> Iterator[FakeRuntime]:
    """A fake runtime inside a PyWorker (``parent()`` is a port)."""
    runtime = FakeRuntime(loop, parent=True)
    old = _js.install(runtime)
    try:
        yield runtime
    finally:
        _js.install(old)


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Callable[[Awaitable[Any]], Any]:
    """Run a coroutine or future on the test's loop to its end (at most
    ``TEST_TIMEOUT`` s)."""

    def run(awaitable: Awaitable[Any]) -> Any:
        return loop.run_until_complete(asyncio.wait_for(awaitable, TEST_TIMEOUT))

    return run


@pytest.fixture
def turn(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Let the loop run what is ready now (events, the glue's batched posts), as the
    end of a JS task does."""

    async def settle() -> None:
        for _ in range(5):  # callbacks that schedule callbacks, a few deep
            await asyncio.sleep(0)

    def turn() -> None:
        loop.run_until_complete(settle())

    return turn
