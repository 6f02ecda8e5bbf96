"""The original PyWebWorker (PyPI ``pywebworker`` 0.0.6 / 0.0.8) on its own README
workload, run inside a Pyodide of its own in the benchmark page (bench/index.html loads
one per version: both it and pywebworker are named ``pywebworker``). The page calls
``await run(n, reps)`` and gets seconds per run as JSON text.

The workload is the README's: its echo script, ``send_message`` N times in one go, then
``get_unread_messages()`` and ``read()`` on each. The original has no awaitable receive,
so a user polls: yield to the browser (``await asyncio.sleep(0)``, one event-loop turn,
the shortest wait there is) and call ``get_unread_messages()`` again until all N are back.
bench/bench_pww.py runs the same code against pywebworker (``readme_workload``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pywebworker

# The README's echo script, verbatim (0.0.6 and 0.0.8 show the same one).
README_SCRIPT = """
console.log('worker created');
self.onmessage = function(message){
\tconsole.log('Received: ' + message.data);
\tself.postMessage(message.data);
}
"""


def new_worker(script: str) -> Any:
    """The class the version's README starts: 0.0.6 ``pywebworker.worker.PyWorker`` (it ran
    JavaScript), 0.0.8 ``pywebworker.Worker``."""
    if hasattr(pywebworker, "Worker"):
        return pywebworker.Worker(script)
    from pywebworker.worker import PyWorker

    return PyWorker(script)


async def read_all(w: Any, n: int) -> list[Any]:
    """Poll as the README's user must: an event-loop turn, then the unread messages."""
    out: list[Any] = []
    while len(out) < n:
        await asyncio.sleep(0)
        out.extend(m.read() for m in w.get_unread_messages())
    return out


async def one_run(n: int, script: str) -> float:
    w = new_worker(script)
    w.start()
    w.send_message("warm-up")  # the worker is up and its code is hot before the clock starts
    await read_all(w, 1)
    messages = [f"message {i}" for i in range(n)]
    t0 = time.perf_counter()
    for m in messages:
        w.send_message(m)
    out = await read_all(w, n)
    t = time.perf_counter() - t0
    w.kill()
    assert out == messages, f"original PyWebWorker {pywebworker.__name__}: echo lost or reordered messages"
    return t


async def run(n: int, reps: int = 1, script: str = README_SCRIPT) -> str:
    return json.dumps([await one_run(int(n), script) for _ in range(int(reps))])
