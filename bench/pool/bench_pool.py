"""Warm starts and WorkerPool, measured from Python in Pyodide (Node: run.mjs; Chromium:
chromium_main.py, in the PyScript interpreter that also measures PyScript's named worker).

1. warm start: ``prestart(1)`` awaited, then ``PyWorker(script).start()`` -> ``ready()``
   (median ms), against a cold start (no spare) and a raw Pyodide module worker's boot
   (bench/baselines.mjs) measured in the same run; memory per idle spare (the host's
   ``rss()`` before and after ``prestart(4)``, when it can measure one);
2. CPU-bound ``pool.map``: pure Python integer arithmetic in ``chunks`` pieces, on a
   WorkerPool(2), a WorkerPool(1) and in the host's own loop (pools booted beforehand);
3. an empty task's round trip ``await pool.submit(f)`` (median, p99 µs) against an
   ``__export__`` call ``await worker.call("f")``; tasks per second for ``burst`` tiny
   tasks submitted at once (``gather`` of ``submit``) and through ``pool.map``.

``main(config_json, hooks)`` returns JSON text. ``hooks`` gives ``log(text)``,
``rss()`` (bytes, or a promise of them, or ``None``), ``rss_what`` (what ``rss`` measures),
``pyodideBoot(index_url, n)`` and ``index_url``. No spare boots in the background while
anything else is timed (``prestart(0)`` first). Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pywebworker import PyWorker, prestart

try:
    from pywebworker import WorkerPool
except ImportError:  # before the pool: part 1 only
    WorkerPool = None

perf = time.perf_counter
MiB = 1 << 20

# The PyWorker of the warm/cold starts and of the __export__ baseline: an empty function.
SCRIPT = """
def f(i=None):
    return i

__export__ = ["f"]
"""

QUICK = {"warm_reps": 5, "cold_reps": 2, "cpu_s": 2.0, "chunks": 8, "cpu_rounds": 2,
         "seq": 300, "rounds": 2, "burst": 10000, "spares": 4}
FULL = {"warm_reps": 12, "cold_reps": 3, "cpu_s": 2.0, "chunks": 8, "cpu_rounds": 3,
        "seq": 1000, "rounds": 3, "burst": 10000, "spares": 4}


def f(i: int | None = None) -> int | None:
    """The empty task."""
    return i


def work(n: int) -> int:
    """Pure Python CPU work: ``n`` steps of integer arithmetic."""
    s = 0
    for i in range(n):
        s = (s + i * i) % 1_000_003
    return s


def p99(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


async def _value(x: Any) -> Any:
    return await x if inspect.isawaitable(x) else x


class _Hooks:
    """The host's hooks, from a JS object (Node) or a Python namespace (PyScript)."""

    def __init__(self, hooks: Any) -> None:
        self.h = hooks

    def log(self, text: str) -> None:
        if self.h is not None:
            self.h.log(text)

    async def rss(self) -> float | None:
        if self.h is None or getattr(self.h, "rss", None) is None:
            return None
        value = await _value(self.h.rss())
        return None if value is None else float(value)

    @property
    def rss_what(self) -> str:
        return str(getattr(self.h, "rss_what", "") or "not measured")

    async def raw_boot_ms(self) -> float | None:
        if self.h is None or getattr(self.h, "pyodideBoot", None) is None:
            return None
        r = await self.h.pyodideBoot(self.h.index_url, 1)
        return float(r.all_ms)


# -- 1. warm start ----------------------------------------------------------------------------
async def _start_ms(expect_warm: bool) -> tuple[float, float]:
    """ms from ``start()`` to ``ready()``, and to the first ``call("f")`` result."""
    t = perf()
    w = PyWorker(SCRIPT, name="bench-start").start()
    await w.ready()
    ready = (perf() - t) * 1000
    assert await w.call("f", 1) == 1
    first = (perf() - t) * 1000
    assert w.warm_start is expect_warm, (w.warm_start, expect_warm)
    w.kill()
    return ready, first


async def bench_warm(cfg: dict[str, Any], hooks: _Hooks) -> dict[str, Any]:
    out: dict[str, Any] = {"rss_what": hooks.rss_what}
    await prestart(0)
    # Memory per idle spare: spares warm, nothing else booting.
    gc.collect()
    before = await hooks.rss()
    t = perf()
    n = await prestart(cfg["spares"])
    out["prestart_all_s"] = perf() - t
    after = await hooks.rss()
    if before is not None and after is not None:
        out["rss_before_mib"], out["rss_after_mib"] = before / MiB, after / MiB
        out["mib_per_spare"] = (after - before) / n / MiB
        hooks.log(f"  RSS {before / MiB:.0f} -> {after / MiB:.0f} MiB with {n} warm spares: "
                  f"{out['mib_per_spare']:.1f} MiB each ({hooks.rss_what})")
    await prestart(1)
    await _start_ms(True)  # warm-up
    warm, warm_first = [], []
    for _ in range(cfg["warm_reps"]):
        await prestart(1)  # the replacement of the last one taken is warm again
        ready, first = await _start_ms(True)
        warm.append(ready)
        warm_first.append(first)
    hooks.log(f"  warm start: {statistics.median(warm):.2f} ms (median of {len(warm)}), "
              f"first call {statistics.median(warm_first):.2f} ms")
    await prestart(0)
    cold, cold_first, raw = [], [], []
    for rep in range(cfg["cold_reps"]):
        ready, first = await _start_ms(False)
        cold.append(ready)
        cold_first.append(first)
        r = await hooks.raw_boot_ms()
        if r is not None:
            raw.append(r)
        hooks.log(f"  cold start rep {rep + 1}: PyWorker {cold[-1]:.0f} ms"
                  + (f", raw Pyodide worker {raw[-1]:.0f} ms" if raw else ""))
    med = statistics.median
    out.update({
        "warm_ms": med(warm), "warm_p90_ms": sorted(warm)[int(len(warm) * 0.9)] if warm else None,
        "warm_first_call_ms": med(warm_first), "warm_all_ms": warm,
        "cold_ms": med(cold), "cold_first_call_ms": med(cold_first), "cold_all_ms": cold,
        "raw_boot_ms": med(raw) if raw else None,
        "warm_over_cold": med(warm) / med(cold),
    })
    return out


# -- 2. CPU-bound map -----------------------------------------------------------------------
async def bench_cpu(cfg: dict[str, Any], pools: dict[int, WorkerPool], hooks: _Hooks) -> dict[str, Any]:
    chunks = cfg["chunks"]
    n0 = 200_000
    t = perf()
    work(n0)
    n = max(1000, int(cfg["cpu_s"] / chunks / ((perf() - t) / n0)))
    expected = work(n)
    for pool in pools.values():  # warm-up: cloudpickle imported, `work` unpickled once
        await pool.map(work, [1000] * 4, chunksize=1)
    times: dict[str, list[float]] = {"host": [], "pool1": [], "pool2": []}
    blocking = _blocking_pools()
    for _ in range(cfg["cpu_rounds"]):
        t = perf()
        results = [work(n) for _ in range(chunks)]
        times["host"].append(perf() - t)
        assert results == [expected] * chunks
        for size in (1, 2):
            t = perf()
            results = await pools[size].map(work, [n] * chunks, chunksize=1)
            times[f"pool{size}"].append(perf() - t)
            assert results == [expected] * chunks, results
        hooks.log(f"  {chunks} x work({n}): host {times['host'][-1]:.2f} s, WorkerPool(1) "
                  f"{times['pool1'][-1]:.2f} s, WorkerPool(2) {times['pool2'][-1]:.2f} s")
        for key, (blocking_map, _) in blocking.items():  # issue 24: the same work, synchronously
            t = perf()
            results = blocking_map(work, [n] * chunks)
            times.setdefault(key, []).append(perf() - t)
            assert results == [expected] * chunks, results
        if blocking:
            hooks.log(f"  blocking: Pool(2).map {times['mp_pool2'][-1]:.2f} s, "
                      f"ProcessPoolExecutor(2).map {times['executor2'][-1]:.2f} s")
    # Best of the rounds: CPU-bound times only grow when another job takes a core (the
    # machine is shared); the medians are kept too.
    best = {k: min(v) for k, v in times.items()}
    for _, close in blocking.values():
        close()
    extra = {}
    if "mp_pool2" in best:
        extra = {
            "mp_pool2_s": best["mp_pool2"], "executor2_s": best["executor2"],
            "mp_over_await": best["mp_pool2"] / best["pool2"], "executor_over_await": best["executor2"] / best["pool2"],
            "mp_speedup_over_host": best["host"] / best["mp_pool2"],
            "executor_speedup_over_host": best["host"] / best["executor2"],
        }
    return {
        **extra,
        "n": n, "chunks": chunks, "rounds": cfg["cpu_rounds"],
        "host_s": best["host"], "pool1_s": best["pool1"], "pool2_s": best["pool2"],
        "speedup_2_over_1": best["pool1"] / best["pool2"], "speedup_2_over_host": best["host"] / best["pool2"],
        "speedup_1_over_host": best["host"] / best["pool1"],
        "median_s": {k: statistics.median(v) for k, v in times.items()}, "all_s": times,
    }


def _blocking_pools() -> dict[str, tuple[Callable[..., list[Any]], Callable[[], object]]]:
    """multiprocessing.Pool(2) and ProcessPoolExecutor(2) of pywebworker where this
    Python can block (JSPI: Chromium; not Node 20): {name: (its blocking map, its
    shutdown)}. Their workers boot from the memory snapshot the pools above made."""
    try:
        from pywebworker import multiprocessing as mp
        from pywebworker._blocking import can_block
        from pywebworker.futures import ProcessPoolExecutor
    except ImportError:  # an older pywebworker
        return {}
    if not can_block():
        return {}
    mp_pool = mp.Pool(2)
    executor = ProcessPoolExecutor(2)
    maps = {
        "mp_pool2": (lambda fn, xs: mp_pool.map(fn, xs, chunksize=1), mp_pool.terminate),
        "executor2": (lambda fn, xs: list(executor.map(fn, xs)), executor.shutdown),
    }
    for blocking_map, _ in maps.values():  # warm-up, as for the pools: `work` unpickled once
        blocking_map(work, [1000] * 4)
    return maps


# -- 3. round trips and tiny tasks -----------------------------------------------------------
async def latencies(call: Callable[[], Awaitable[Any]], seq: int) -> list[float]:
    """µs of ``seq`` sequential ``await call()``, each timed."""
    lat = []
    for _ in range(seq):
        t = perf()
        await call()
        lat.append((perf() - t) * 1e6)
    return lat


def summary(lat: list[float]) -> dict[str, float]:
    return {"median_us": statistics.median(lat), "p99_us": p99(lat), "mean_us": statistics.fmean(lat)}


async def burst_per_s(make: Callable[[int], Awaitable[Any]], burst: int) -> float:
    """Calls/s for ``burst`` calls issued at once and gathered."""
    t = perf()
    results = await asyncio.gather(*(make(i) for i in range(burst)))
    rate = burst / (perf() - t)
    assert results[-1] == burst - 1, results[-1]
    return rate


async def bench_tasks(cfg: dict[str, Any], pools: dict[int, WorkerPool], worker: PyWorker,
                      hooks: _Hooks) -> dict[str, Any]:
    seq, rounds, burst = cfg["seq"], cfg["rounds"], cfg["burst"]
    pool = pools[1]
    submit, call = (lambda: pool.submit(f)), (lambda: worker.call("f"))
    await latencies(submit, 100)  # warm-up
    await latencies(call, 100)
    lat: dict[str, list[float]] = {"submit": [], "call": []}
    for r in range(rounds):  # interleaved, alternating which goes first
        for which in (("submit", "call") if r % 2 == 0 else ("call", "submit")):
            lat[which] += await latencies(submit if which == "submit" else call, seq)
    out: dict[str, Any] = {"seq": seq, "rounds": rounds, "burst": burst,
                           "submit": summary(lat["submit"]), "call": summary(lat["call"])}
    out["submit_over_call"] = out["submit"]["median_us"] / out["call"]["median_us"]
    hooks.log(f"  round trip: pool.submit {out['submit']['median_us']:.0f} µs, "
              f"worker.call {out['call']['median_us']:.0f} µs (medians)")
    rates: dict[str, list[float]] = {}
    for _ in range(rounds):
        for size, p in pools.items():
            rates.setdefault(f"gather_pool{size}", []).append(
                await burst_per_s(lambda i, p=p: p.submit(f, i), burst))
            t = perf()
            res = await p.map(f, range(burst))
            rates.setdefault(f"map_pool{size}", []).append(burst / (perf() - t))
            assert res[-1] == burst - 1
        rates.setdefault("gather_call", []).append(await burst_per_s(lambda i: worker.call("f", i), burst))
        hooks.log("  " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in rates.items()))
    out["per_s"] = {k: statistics.median(v) for k, v in rates.items()}
    return out


async def main(config_json: str = "{}", hooks: Any = None) -> str:
    user = json.loads(config_json)
    cfg = {**(QUICK if user.get("quick") else FULL), **user}
    h = _Hooks(hooks)
    only = set(cfg.get("only") or ["warm", "cpu", "tasks"])
    out: dict[str, Any] = {"config": cfg}
    if "warm" in only:
        h.log("[1] warm start")
        out["warm"] = await bench_warm(cfg, h)
    if WorkerPool is None:
        h.log("no WorkerPool in this pywebworker: parts 2 and 3 skipped")
        only -= {"cpu", "tasks"}
    if only & {"cpu", "tasks"}:
        await prestart(0)  # no spare boots while the pools are timed
        pools = {1: WorkerPool(1, name="bench-1"), 2: WorkerPool(2, name="bench-2")}
        worker = PyWorker(SCRIPT, name="bench-export").start()
        try:
            for pool in pools.values():
                await pool.ready()
            await worker.ready()
            if "cpu" in only:
                h.log("[2] CPU-bound pool.map")
                out["cpu"] = await bench_cpu(cfg, pools, h)
            if "tasks" in only:
                h.log("[3] empty tasks")
                out["tasks"] = await bench_tasks(cfg, pools, worker, h)
        finally:
            for pool in pools.values():
                pool.kill()
            worker.kill()
    return json.dumps(out)
