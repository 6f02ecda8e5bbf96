"""Call latency and throughput of pywebworker, run in Pyodide (Node: run.mjs; Chromium:
chromium_main.py, in the same interpreter as the PyScript measurement).

Measures:
- PyWorker (Python host -> Python worker): sequential round trips, and N calls at once;
- JsWorker (Python host -> JS worker): the same;
- PyWorker -> host (Python worker calling a function the host exposed), awaited
  (``parent.host``) and, where shared memory exists, blocking (``parent.sync``).
``measure(add, ...)`` takes any awaitable ``add(a, b)``, so the PyScript baseline uses
the very same loop. Returns JSON text. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pywebworker import JsWorker, PyWorker, shared_memory_available

perf = time.perf_counter
PY = """
from pywebworker import parent
def add(a, b):
    return a + b
async def ask_host(n):
    for i in range(n):
        await parent.host.inc(i)
    return n
def ask_host_sync(n):
    for i in range(n):
        parent.sync.inc(i)
    return n
__export__ = ["add", "ask_host", "ask_host_sync"]
"""
JS = "pywebworker.expose({ add: (a, b) => a + b });"


def _p99(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


async def measure(add: Callable[[int, int], Awaitable[Any]], seq: int, burst: int, rounds: int) -> dict[str, float]:
    """Round trips one at a time (every call timed: median and p99, µs), then
    ``burst`` calls issued at once and gathered (calls/s, median of ``rounds``)."""
    for i in range(200):  # warm up
        await add(i, 1)
    lat: list[float] = []
    for _ in range(rounds):
        for i in range(seq):
            t = perf()
            await add(i, 1)
            lat.append((perf() - t) * 1e6)
    tput = []
    for _ in range(rounds):
        t = perf()
        results = await asyncio.gather(*(add(i, 1) for i in range(burst)))
        tput.append(burst / (perf() - t))
        assert results[-1] == burst, results[-1]
    return {
        "latency_us": statistics.median(lat),
        "p99_us": _p99(lat),
        "mean_us": statistics.fmean(lat),
        "calls_per_s": statistics.median(tput),
    }


async def main(config_json: str) -> str:
    cfg = json.loads(config_json)
    seq, burst, rounds = cfg.get("seq", 1000), cfg.get("burst", 5000), cfg.get("rounds", 5)
    out = {}
    async with PyWorker(PY) as w:
        w.expose(lambda i: i + 1, name="inc")
        out["pyworker"] = await measure(w.exports.add, seq, burst, rounds)
        t = perf()
        await w.exports.ask_host(seq)
        out["pyworker_to_host"] = {"latency_us": (perf() - t) / seq * 1e6}
        if shared_memory_available():
            await w.exports.ask_host_sync(200)  # warm up
            t = perf()
            await w.exports.ask_host_sync(seq)
            out["pyworker_sync_to_host"] = {"latency_us": (perf() - t) / seq * 1e6}
    async with JsWorker(JS) as w:
        out["jsworker"] = await measure(w.exports.add, seq, burst, rounds)
    return json.dumps(out)
