"""The Python of examples/web/backend.html: PyQWebWindow's two examples on a web page.

The page's buttons call these functions through ``backend`` (``await backend.hello()``):
the bindings run here, in the page's Pyodide; ``long_running_task`` and ``count_primes``
are tasks, run in a worker of a pool, so the page keeps drawing while they run.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from pywebworker import page


# Bindings: run in the page's Pyodide, so keep them short (or make them async).
def python_hello() -> str:
    return "Hello from Python!"


def python_greet(name: str) -> str:
    return f"Hello, {name} from Python!"


async def python_later(seconds: float) -> str:
    await asyncio.sleep(seconds)  # the page is free while this waits
    return f"{seconds} s later"


def python_digest(data: bytes) -> dict[str, object]:
    """bytes in (a Uint8Array), bytes out (a Uint8Array)."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "reversed": data[::-1]}


def python_fails(x: int) -> float:
    return x / 0


# Tasks: run in a worker (their own Pyodide), so the page stays alive.
def long_running_task(user_name: str) -> str:
    """A task that simulates work: a blocking sleep that would freeze a page."""
    time.sleep(3)
    return f"Hello {user_name} from worker!"


def count_primes(limit: int) -> int:
    return sum(1 for n in range(2, limit) if all(n % f for f in range(2, int(n**0.5) + 1)))


page.register_binding(python_hello)
page.register_bindings([python_greet, python_later, python_digest, python_fails])
page.register_task(long_running_task)
page.register_task(count_primes)
