"""Call latency and throughput of pywebworker, run in Pyodide on Node by run.mjs.

Measures, in the same process as run.mjs's comlink baseline:
- PyWorker (Python host -> Python worker): sequential round trips, and N calls at once;
- JsWorker (Python host -> JS worker): the same;
- PyWorker -> host (Python worker calling a function the host exposed).
Returns JSON text. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from pywebworker import JsWorker, PyWorker

perf = time.perf_counter
PY = """
from pywebworker import parent
def add(a, b):
    return a + b
async def ask_host(n):
    for i in range(n):
        await parent.host.inc(i)
    return n
__export__ = ["add", "ask_host"]
"""
JS = "pywebworker.expose({ add: (a, b) => a + b });"


async def measure(w, seq: int, burst: int, rounds: int) -> dict[str, float]:
    for i in range(200):  # warm up
        await w.exports.add(i, 1)
    lat = []
    for _ in range(rounds):
        t = perf()
        for i in range(seq):
            await w.exports.add(i, 1)
        lat.append((perf() - t) / seq * 1e6)
    tput = []
    for _ in range(rounds):
        t = perf()
        results = await asyncio.gather(*(w.exports.add(i, 1) for i in range(burst)))
        tput.append(burst / (perf() - t))
        assert results[-1] == burst
    return {"latency_us": statistics.median(lat), "calls_per_s": statistics.median(tput)}


async def main(config_json: str) -> str:
    cfg = json.loads(config_json)
    seq, burst, rounds = cfg.get("seq", 1000), cfg.get("burst", 5000), cfg.get("rounds", 5)
    out = {}
    async with PyWorker(PY) as w:
        w.expose(lambda i: i + 1, name="inc")
        out["pyworker"] = await measure(w, seq, burst, rounds)
        t = perf()
        await w.exports.ask_host(seq)
        out["pyworker_to_host"] = {"latency_us": (perf() - t) / seq * 1e6}
    async with JsWorker(JS) as w:
        out["jsworker"] = await measure(w, seq, burst, rounds)
    return json.dumps(out)
