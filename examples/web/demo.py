"""The demo page's Python (examples/web/index.html runs it in Pyodide on the page).

A PyWorker counts primes in its own Pyodide and reports progress; this side only
updates the page when a message arrives, so the animation never stops. The page's
buttons call ``start()`` and ``kill()``.
"""

from __future__ import annotations

import js
from pywebworker import PyWorker, WorkerMessage

WORKER = """
from pywebworker import parent

def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    f = 3
    while f * f <= n:
        if n % f == 0:
            return False
        f += 2
    return True

async def count(message):
    job = message.read()
    limit, chunk = job["limit"], job["chunk"]
    found = 0
    for start in range(0, limit, chunk):
        found += sum(1 for n in range(start, min(start + chunk, limit)) if is_prime(n))
        parent.send_message({"done": min(start + chunk, limit), "limit": limit, "primes": found})
    parent.send_message({"finished": True, "limit": limit, "primes": found})

parent.on_message = count
"""

worker: PyWorker | None = None
status = js.document.getElementById("status")
bar = js.document.getElementById("bar")


def show(text: str) -> None:
    status.textContent = text
    js.window.demo.status = text


def on_progress(message: WorkerMessage) -> None:
    data = message.read()
    if isinstance(data, dict):
        js.window.demo.progress.push(data["done"] if "done" in data else data["limit"])
        bar.value = (data.get("done") or data["limit"]) / data["limit"]
        if data.get("finished"):
            show(f"done: {data['primes']:,} primes below {data['limit']:,}")
        else:
            show(f"{data['primes']:,} primes below {data['done']:,} ...")
    else:  # an error from the worker: show it, do not hide it
        show(f"worker error: {data}")


async def start(limit: int = 2_000_000, chunk: int = 50_000) -> None:
    """Start a fresh worker and give it the job (the previous one is killed)."""
    global worker
    if worker is not None:
        worker.kill()
    js.window.demo.progress.length = 0
    bar.value = 0
    show("starting a Python worker (its own Pyodide)...")
    worker = PyWorker(WORKER, name="primes").start()
    worker.on_message = on_progress
    worker.send_message({"limit": int(limit), "chunk": int(chunk)})  # queued until it runs
    await worker.ready(timeout=120)
    show("worker ready, counting...")


def kill() -> None:
    """Terminate the worker at once; progress stops."""
    if worker is not None:
        lost = worker.kill()
        show(f"killed ({worker.state}; {lost} undelivered messages)")
        js.window.demo.killed = True
