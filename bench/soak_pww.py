"""Soak test, run inside Pyodide on bench/soak.html (driven by bench/soak.py, make soak).

1. One million messages through a JsWorker echo, in batches, with ``clear_read()`` after
   each batch: every echo is checked in order (nothing lost, nothing duplicated), and the
   C core's wasm memory, Pyodide's wasm memory and the JS heap are sampled as it goes.
2. One hundred JsWorkers created, used and killed: afterwards (Python objects gone,
   ``gc.collect()``) the core's registry holds zero workers, the host glue has no live
   worker, and no PyProxy made meanwhile is left alive.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any

import pwwbench
import pyodide_js

import js
import pywebworker
from pywebworker import JsWorker
from pywebworker._ports import HostGlue

ECHO = "onmessage = (e) => postMessage(e.data);"


def log(*args: Any) -> None:
    pwwbench.log(" ".join(str(a) for a in args))


def host() -> HostGlue:
    return pywebworker._worker._glue()


def js_gc() -> None:
    if hasattr(js, "gc"):  # Chromium with --js-flags=--expose-gc
        js.gc()


def sample(done: int, t0: float) -> dict[str, Any]:
    gc.collect()
    js_gc()
    mem = getattr(js.performance, "memory", None)
    h = host()
    return {
        "messages": done,
        "seconds": round(time.perf_counter() - t0, 2),
        "core_wasm_bytes": h.memory_bytes(),
        "pyodide_wasm_bytes": int(pyodide_js._module.HEAPU8.length),
        "js_heap_used_bytes": int(mem.usedJSHeapSize) if mem is not None else None,
        "js_heap_total_bytes": int(mem.totalJSHeapSize) if mem is not None else None,
    }


async def million(total: int, batch: int, every: int) -> dict[str, Any]:
    w = JsWorker(ECHO, name="soak-echo").start()
    await w.ready(timeout=30)
    t0 = time.perf_counter()
    samples = [sample(0, t0)]
    expected = 0  # the next value an echo must carry: checks order, loss and duplicates
    released = 0
    for base in range(0, total, batch):
        end = min(base + batch, total)
        for i in range(base, end):
            w.send_message(str(i))
        while expected < end:
            values = [(await w.receive(timeout=30)).read()]
            values += [m.read() for m in w.get_unread_messages()]
            for v in values:
                if v != str(expected):
                    raise AssertionError(f"echo out of order, lost or duplicated: got {v!r}, expected {expected}")
                expected += 1
        released += w.clear_read()
        if end % every == 0 or end == total:
            samples.append(sample(end, t0))
            s = samples[-1]
            log(f"  {end:>9,} messages  {s['seconds']:6.1f} s  core wasm {s['core_wasm_bytes']}  "
                f"pyodide wasm {s['pyodide_wasm_bytes']}  JS heap used {s['js_heap_used_bytes']}")
    await asyncio.sleep(0.2)
    extra = len(w.get_unread_messages())
    seconds = time.perf_counter() - t0
    w.kill()
    return {
        "messages": total,
        "echoes_checked": expected,
        "extra_after_end": extra,
        "released_by_clear_read": released,
        "seconds": round(seconds, 1),
        "msg_per_s": round(total / seconds),
        "samples": samples,
    }


async def churn(n: int) -> dict[str, Any]:
    module = pyodide_js._module
    gc.collect()
    module.enable_pyproxy_allocation_tracing()
    proxies_before = int(module.pyproxy_alloc_map.size)
    refs_before = int(module.hiwire.num_keys()) if hasattr(module, "hiwire") else None
    workers_before = host().count_workers()
    t0 = time.perf_counter()
    for i in range(n):
        w = JsWorker(ECHO, name=f"churn-{i}").start()
        await w.ready(timeout=30)
        w.send_message(f"hello {i}")
        assert (await w.receive(timeout=30)).read() == f"hello {i}"
        w.kill()
        del w
        if (i + 1) % 25 == 0:
            log(f"  {i + 1} workers created and killed; registry holds {host().count_workers()}")
    seconds = time.perf_counter() - t0
    gc.collect()
    await asyncio.sleep(0.1)
    gc.collect()
    out = {
        "workers": n,
        "seconds": round(seconds, 1),
        "registry_before": workers_before,
        "registry_after": host().count_workers(),
        "live_js_workers_after": host().live_workers(),
        "pyproxies_left": int(module.pyproxy_alloc_map.size) - proxies_before,
        "js_refs_delta": (int(module.hiwire.num_keys()) - refs_before) if refs_before is not None else None,
    }
    module.disable_pyproxy_allocation_tracing()
    return out


async def main(config_json: str) -> str:
    cfg = json.loads(config_json)
    res: dict[str, Any] = {"pyodide": str(pyodide_js.version), "pywebworker": pywebworker.__version__}
    log(f"[1] {cfg['messages']:,} messages through a JsWorker echo, clear_read() every {cfg['batch']:,}")
    res["million"] = await million(cfg["messages"], cfg["batch"], cfg["every"])
    gc.collect()
    log(f"[2] {cfg['workers']} workers created and killed")
    res["churn"] = await churn(cfg["workers"])
    return json.dumps(res)
