"""Bounded waits for tests that run inside Pyodide (installed there by conftest.py as
the module ``pyodide_waits``). Every wait has a deadline and says what it waited for:
a test never sleeps a fixed time and hopes, and never polls for ever."""

import asyncio
import time


async def wait_until(predicate, timeout=20.0, what="the condition", interval=0.005):
    """Await until ``predicate()`` is truthy and return its value.

    Raises ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


async def stays(predicate, seconds=0.2, what="the condition", interval=0.01):
    """Assert that ``predicate()`` stays truthy for ``seconds`` (nothing more arrives
    after a kill, say). The only fixed wait allowed: it checks an absence."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert predicate(), f"{what} stopped holding"
        await asyncio.sleep(interval)
