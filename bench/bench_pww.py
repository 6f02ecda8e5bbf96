"""pywebworker benchmarks, run inside Pyodide (browser page bench/index.html, or Node
bench/node_bench.mjs). The runner registers the JS module ``pwwbench`` (bench/baselines.mjs
plus ``log`` and ``index_url``) and calls ``await main(config_json)``, which returns the
results as JSON text. Each figure is measured next to its baselines, interleaved, in the
same page or process. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
from collections import Counter
from typing import Any

import pwwbench
import pyodide_js
from pyodide.code import run_js
from pyodide.ffi import create_proxy, to_js

import js
import pywebworker
from pywebworker import JsWorker, PyWorker

ENV = str(pwwbench.env)
ECHO_WEB = str(pwwbench.ECHO_WEB)
ECHO_NODE = str(pwwbench.ECHO_NODE)
BOOT_SCRIPT = "from pywebworker import parent\nparent.send_message('up')\n"
# A long-running echo worker releases what it has read (clear_read), as the README
# advises: a kept 1 MiB message grows the worker's wasm memory on every push.
PY_ECHO = (
    "from pywebworker import parent\n"
    "def echo(message):\n"
    "    parent.send_message(message.read())\n"
    "    parent.clear_read()\n"
    "parent.on_message = echo\n"
)
perf = time.perf_counter


def log(*args: Any) -> None:
    pwwbench.log(" ".join(str(a) for a in args))


def jsobj(d: dict[str, Any]) -> Any:
    return to_js(d, dict_converter=js.Object.fromEntries)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summary(us: list[float]) -> dict[str, float]:
    return {"median_us": statistics.median(us), "p99_us": pct(us, 0.99), "mean_us": statistics.fmean(us)}


# -- the pattern a user hand-writes in Pyodide ------------------------------------------
class HandWorker:
    """``js.Worker`` + a ``create_proxy`` onmessage (in Node: ``node:worker_threads``
    reached with ``process.getBuiltinModule``, since Pyodide's Node host has no
    ``js.Worker``). ``on_data`` gets each message's data, converted by Pyodide."""

    def __init__(self, on_data: Any) -> None:
        if ENV == "node":
            wt = js.process.getBuiltinModule("node:worker_threads")
            self.worker = wt.Worker.new(ECHO_NODE, jsobj({"eval": True}))
            self.proxy = create_proxy(on_data)
            self.worker.on("message", self.proxy)
        else:
            blob = js.Blob.new(to_js([ECHO_WEB]), jsobj({"type": "text/javascript"}))
            self.url = js.URL.createObjectURL(blob)
            self.worker = js.Worker.new(self.url)
            self.proxy = create_proxy(lambda event: on_data(event.data))
            self.worker.onmessage = self.proxy

    def close(self) -> None:
        if ENV == "node":
            # Node's exit handler walks the listeners; a destroyed proxy there throws.
            self.worker.removeAllListeners("message")
        self.worker.terminate()
        if ENV != "node":
            js.URL.revokeObjectURL(self.url)
        self.proxy.destroy()


# -- 1. throughput ---------------------------------------------------------------------
async def hand_throughput(messages: list[str]) -> float:
    loop = asyncio.get_running_loop()
    received: list[Any] = []
    want = {"n": 0, "fut": loop.create_future()}

    def on_data(data: Any) -> None:
        received.append(data)
        if len(received) == want["n"]:
            want["fut"].set_result(None)

    hw = HandWorker(on_data)

    async def pump(batch: list[str]) -> None:
        received.clear()
        want["n"], want["fut"] = len(batch), loop.create_future()
        for m in batch:
            hw.worker.postMessage(m)
        await want["fut"]

    await pump(messages[:1000])
    t0 = perf()
    await pump(messages)
    t = perf() - t0
    assert received == messages, "hand-written echo lost or reordered messages"
    hw.close()
    return t


async def jsworker_throughput(messages: list[str], batch: bool) -> dict[str, float]:
    """receive() + read() for each message, or (batch) receive one then read all
    waiting ones with get_unread_messages()."""
    w = JsWorker(ECHO_WEB).start()
    await w.ready(timeout=30)

    async def pump(msgs: list[str]) -> tuple[list[Any], float]:
        for m in msgs:
            w.send_message(m)
        t_sent = perf()
        out: list[Any] = []
        n = len(msgs)
        if batch:
            while len(out) < n:
                out.append((await w.receive()).read())
                out.extend(m.read() for m in w.get_unread_messages())
        else:
            for _ in range(n):
                out.append((await w.receive()).read())
        return out, t_sent

    await pump(messages[:1000])
    w.clear_read()
    t0 = perf()
    out, t_sent = await pump(messages)
    t = perf() - t0
    assert out == messages, "JsWorker echo lost or reordered messages"
    w.kill()
    return {"total_s": t, "send_s": t_sent - t0}


async def bench_throughput(n: int, reps: int) -> dict[str, Any]:
    messages = [f"message {i}" for i in range(n)]
    raw, hand, pww, pww_batch, send = [], [], [], [], []
    for rep in range(reps):
        raw.append(float(await pwwbench.throughput(n)))
        hand.append(await hand_throughput(messages))
        r = await jsworker_throughput(messages, batch=False)
        pww.append(r["total_s"])
        send.append(r["send_s"])
        pww_batch.append((await jsworker_throughput(messages, batch=True))["total_s"])
        log(f"  throughput rep {rep + 1}/{reps}: raw {n / raw[-1]:,.0f}  hand {n / hand[-1]:,.0f}  "
            f"JsWorker {n / pww[-1]:,.0f}  batch {n / pww_batch[-1]:,.0f} msg/s")
    med = statistics.median
    return {
        "n": n,
        "reps": reps,
        "raw_msg_s": n / med(raw),
        "hand_msg_s": n / med(hand),
        "jsworker_msg_s": n / med(pww),
        "jsworker_batch_msg_s": n / med(pww_batch),
        "jsworker_us_per_msg": med(pww) / n * 1e6,
        "jsworker_send_us_per_msg": med(send) / n * 1e6,
        "raw_us_per_msg": med(raw) / n * 1e6,
    }


# -- where a message's time goes: calls across the FFI ---------------------------------
class CountingApi:
    """Wraps the host glue to count Python -> JS calls by name."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._api, name)

        def call(*args: Any) -> Any:
            self.calls[name] += 1
            return fn(*args)

        return call


async def ffi_profile(n: int = 1000) -> dict[str, Any]:
    w = JsWorker(ECHO_WEB).start()
    await w.ready(timeout=30)
    counting = CountingApi(w._port._f)  # the JS functions the port calls
    w._port._f = counting
    events = Counter()
    wake = w._wake

    def counted_wake() -> None:
        events["message"] += 1
        wake()

    w._wake = counted_wake  # type: ignore[method-assign]
    for i in range(n):
        w.send_message(f"message {i}")
    send_calls = sum(counting.calls.values())
    send_by = dict(counting.calls)
    counting.calls.clear()
    for _ in range(n):
        (await w.receive()).read()
    recv_calls = sum(counting.calls.values())
    recv_by = dict(counting.calls)
    w.kill()
    return {
        "send_calls_per_msg": send_calls / n,
        "send_calls": {k: v / n for k, v in send_by.items()},
        "receive_read_calls_per_msg": recv_calls / n,
        "receive_read_calls": {k: v / n for k, v in recv_by.items()},
        "js_to_python_events_per_msg": events["message"] / n,
    }


# -- 2. ping-pong ------------------------------------------------------------------------
async def hand_pingpong(n: int, warm: int) -> list[float]:
    loop = asyncio.get_running_loop()
    box: dict[str, Any] = {}
    hw = HandWorker(lambda data: box["fut"].set_result(data))
    us = []
    for i in range(warm + n):
        t0 = perf()
        box["fut"] = loop.create_future()
        hw.worker.postMessage("ping")
        await box["fut"]
        if i >= warm:
            us.append((perf() - t0) * 1e6)
    hw.close()
    return us


async def jsworker_pingpong(n: int, warm: int) -> list[float]:
    w = JsWorker(ECHO_WEB).start()
    await w.ready(timeout=30)
    us = []
    for i in range(warm + n):
        t0 = perf()
        w.send_message("ping")
        (await w.receive()).read()
        if i >= warm:
            us.append((perf() - t0) * 1e6)
    w.kill()
    return us


async def asyncio_hop(n: int) -> list[float]:
    us = []
    for _ in range(n):
        t0 = perf()
        await asyncio.sleep(0)
        us.append((perf() - t0) * 1e6)
    return us


async def bench_pingpong(n: int, warm: int = 200) -> dict[str, Any]:
    raw = [float(x) for x in (await pwwbench.pingpong(n, warm)).to_py()]
    hand = await hand_pingpong(n, warm)
    pww = await jsworker_pingpong(n, warm)
    hop = await asyncio_hop(n)
    out = {"n": n, "raw": summary(raw), "hand": summary(hand), "jsworker": summary(pww), "asyncio_hop": summary(hop)}
    log(f"  ping-pong median: raw {out['raw']['median_us']:.0f} us  hand {out['hand']['median_us']:.0f} us  "
        f"JsWorker {out['jsworker']['median_us']:.0f} us  asyncio hop {out['asyncio_hop']['median_us']:.1f} us")
    return out


# -- 3. binary -------------------------------------------------------------------------
async def binary_echo(w: Any, data: bytes, count: int) -> float:
    w.send_message(data)
    (await w.receive(timeout=60)).read()
    t0 = perf()
    for _ in range(count):
        w.send_message(data)
        back = (await w.receive(timeout=60)).read()
        w.clear_read()
    t = perf() - t0
    assert back == data, "binary echo changed the data"
    return t


async def bench_binary(nbytes: int, count: int, reps: int) -> dict[str, Any]:
    data = bytes(range(256)) * (nbytes // 256)
    mib = nbytes * count / 2**20
    py = PyWorker(PY_ECHO, name="binary-echo").start()
    await py.ready(timeout=120)
    clone, transfer, jsw, pyw = [], [], [], []
    for rep in range(reps):
        clone.append(float(await pwwbench.binary(nbytes, count, False)))
        transfer.append(float(await pwwbench.binary(nbytes, count, True)))
        w = JsWorker(ECHO_WEB).start()
        await w.ready(timeout=30)
        jsw.append(await binary_echo(w, data, count))
        w.kill()
        pyw.append(await binary_echo(py, data, count))
        log(f"  1 MiB echo rep {rep + 1}/{reps}: clone {mib / clone[-1]:.0f}  transfer {mib / transfer[-1]:.0f}  "
            f"JsWorker {mib / jsw[-1]:.0f}  PyWorker {mib / pyw[-1]:.0f} MiB/s")
    py.kill()
    med = statistics.median
    return {
        "nbytes": nbytes,
        "count": count,
        "raw_clone_mib_s": mib / med(clone),
        "raw_transfer_mib_s": mib / med(transfer),
        "jsworker_mib_s": mib / med(jsw),
        "pyworker_mib_s": mib / med(pyw),
    }


# -- 4. cold start -----------------------------------------------------------------------
async def pyworker_boot(count: int, snapshot: bool = True) -> dict[str, Any]:
    t0 = perf()
    workers, starts = [], []
    for i in range(count):
        starts.append(perf())
        workers.append(PyWorker(BOOT_SCRIPT, name=f"boot-{i}", snapshot=snapshot).start())
    return await first_replies(t0, workers, starts, "up", 120)


async def first_replies(t0: float, workers: list[Any], starts: list[float], expect: str,
                        timeout: float) -> dict[str, Any]:
    """Each worker's first reply (which must be ``expect``), in ms from its own start
    (``starts``) and all of them from ``t0``; then the workers are killed."""

    async def first_reply(i: int) -> float:
        msg = await workers[i].receive(timeout=timeout)
        assert msg.read() == expect
        return (perf() - starts[i]) * 1000

    each = await asyncio.gather(*(first_reply(i) for i in range(len(workers))))
    total = (perf() - t0) * 1000
    for w in workers:
        w.kill()
    return {"each_ms": list(each), "all_ms": total}


async def raw_boot(index_url: str, count: int) -> dict[str, Any]:
    r = (await pwwbench.pyodideBoot(index_url, count)).to_py()
    return {"each_ms": [float(x) for x in r["each_ms"]], "all_ms": float(r["all_ms"])}


async def make_boot() -> dict[str, Any]:
    """The session's first PyWorker: no snapshot held or cached, it makes one (issue 16)."""
    pywebworker.clear_snapshots()
    await pywebworker.clear_snapshot_cache()
    return await pyworker_boot(1)


def has_cache() -> bool:
    """Whether snapshots are cached across page loads here (Cache Storage: browsers)."""
    return bool(getattr(js, "caches", None))


async def cached_entries() -> int:
    """The snapshots in the cache across page loads (js/snapshot_cache.js)."""
    return int(await run_js("caches.open('pywebworker-snapshots').then((c) => c.keys()).then((k) => k.length)"))


async def cached_boot(count: int) -> dict[str, Any]:
    """The first PyWorkers of a new page load: no snapshot held, the one the last
    ``make_boot`` cached (its write finished first) read from Cache Storage."""
    deadline = perf() + 30
    while await cached_entries() == 0:
        if perf() > deadline:
            raise RuntimeError("the snapshot made was not cached within 30 s")
        await asyncio.sleep(0.05)
    pywebworker.clear_snapshots()
    return await pyworker_boot(count)


async def bench_coldstart(index_url: str, reps: int) -> dict[str, Any]:
    await raw_boot(index_url, 1)  # warm-up: caches (HTTP, compiled wasm) for all
    await pyworker_boot(1, snapshot=False)
    await make_boot()
    await pyworker_boot(1)
    cache = has_cache()
    raw1, py1, make1, snap1, raw4, py4, snap4, cached1, cached4 = [], [], [], [], [], [], [], [], []
    for rep in range(reps):
        # Alternate which goes first, so neither always gets the warmer machine. A
        # PyWorker "from a snapshot" loads the one "makes" made just before.
        order = [raw_boot, None] if rep % 2 == 0 else [None, raw_boot]
        for which in order:
            if which is raw_boot:
                raw1.append((await raw_boot(index_url, 1))["all_ms"])
            else:
                py1.append((await pyworker_boot(1, snapshot=False))["all_ms"])
                make1.append((await make_boot())["all_ms"])
                if cache:
                    cached1.append((await cached_boot(1))["all_ms"])
                snap1.append((await pyworker_boot(1))["all_ms"])
        gc.collect()
        log(f"  cold start rep {rep + 1}/{reps}: raw {raw1[-1]:.0f} ms  PyWorker {py1[-1]:.0f} ms  "
            f"making the snapshot {make1[-1]:.0f} ms  from the snapshot {snap1[-1]:.0f} ms"
            + (f"  from the cached one {cached1[-1]:.0f} ms" if cache else ""))
    for rep in range(max(1, reps // 2)):
        raw4.append((await raw_boot(index_url, 4))["all_ms"])
        py4.append((await pyworker_boot(4, snapshot=False))["all_ms"])
        snap4.append((await pyworker_boot(4))["all_ms"])
        if cache:
            cached4.append((await cached_boot(4))["all_ms"])
        gc.collect()
        log(f"  four at once rep {rep + 1}: raw {raw4[-1]:.0f} ms  PyWorker {py4[-1]:.0f} ms  "
            f"from the snapshot {snap4[-1]:.0f} ms" + (f"  from the cached one {cached4[-1]:.0f} ms" if cache else ""))
    med = statistics.median
    cached = {"cached_ms": med(cached1), "cached4_ms": med(cached4), "cached_all_ms": cached1} if cache else {}
    return {
        **cached,
        "reps": reps,
        "raw_ms": med(raw1),
        "pyworker_ms": med(py1),  # snapshot=False: Pyodide booted from scratch
        "make_ms": med(make1),
        "snapshot_ms": med(snap1),
        "raw4_ms": med(raw4),
        "pyworker4_ms": med(py4),
        "snapshot4_ms": med(snap4),
        "raw_all_ms": raw1,
        "pyworker_all_ms": py1,
        "make_all_ms": make1,
        "snapshot_all_ms": snap1,
    }


# -- 7. MicroPython worker: start to first reply --------------------------------------
MPY_ECHO = "from pywebworker import parent\nparent.on_message = lambda m: parent.send_message(m.read())\n"


JS_ECHO = "onmessage = (e) => postMessage(e.data);"


async def mpy_boot(count: int, js: bool = False) -> dict[str, Any]:
    """``PyWorker(echo, interpreter="micropython").start()``, send, first reply: ms.
    With ``js``, a JsWorker's echo instead: the floor (a thread and the glue)."""
    t0 = perf()
    workers, starts = [], []
    for i in range(count):
        starts.append(perf())
        w = (JsWorker(JS_ECHO) if js else PyWorker(MPY_ECHO, interpreter="micropython", name=f"mpy-{i}")).start()
        w.send_message("ping")
        workers.append(w)
    return await first_replies(t0, workers, starts, "ping", 60)


async def bench_mpy(reps: int) -> dict[str, Any]:
    """MicroPython worker start to first reply against a Pyodide PyWorker's cold start
    (the same first-reply measure as part 4), alternating, in this run."""
    await mpy_boot(1)  # warm-up: the package's files read, compiled wasm cached
    await mpy_boot(1, js=True)
    await pyworker_boot(1)
    mpy1, py1, mpy4, js1 = [], [], [], []
    for rep in range(reps * 2):  # MicroPython and JsWorker starts are short: twice as many
        if rep % 2 == 0:
            py1.append((await pyworker_boot(1))["all_ms"])
        mpy1.append((await mpy_boot(1))["all_ms"])
        js1.append((await mpy_boot(1, js=True))["all_ms"])
        mpy4.append((await mpy_boot(4))["all_ms"])
        gc.collect()
        log(f"  MicroPython rep {rep + 1}/{reps * 2}: MicroPython {mpy1[-1]:.0f} ms  JsWorker {js1[-1]:.0f} ms  "
            f"Pyodide {py1[-1]:.0f} ms  4 MicroPython at once {mpy4[-1]:.0f} ms")
    med = statistics.median
    return {"reps": reps, "mpy_ms": med(mpy1), "pyworker_ms": med(py1), "mpy4_ms": med(mpy4), "js_ms": med(js1),
            "mpy_all_ms": mpy1, "pyworker_all_ms": py1, "js_all_ms": js1}


# -- 6. the original PyWebWorker's README workload ---------------------------------------
# bench/original.py has the workload and its reasons; here the same user code runs against
# pywebworker, interleaved with the original (each version in its own Pyodide in this page).
README_SCRIPT = """
console.log('worker created');
self.onmessage = function(message){
\tconsole.log('Received: ' + message.data);
\tself.postMessage(message.data);
}
"""
# The same without its two console.log lines: a worker's console.log costs Chromium about
# 100 µs (the page's console keeps it), which caps both libraries at ~10 000 msg/s.
QUIET_SCRIPT = """
self.onmessage = function(message){
\tself.postMessage(message.data);
}
"""
SCRIPTS = {"readme": README_SCRIPT, "quiet": QUIET_SCRIPT}


async def readme_workload(n: int, receive: bool, script: str) -> float:
    """Seconds to send n messages in one go and read every echo, as bench/original.py does
    (``receive=False``: the same polling code), or waiting with ``await receive()`` and
    reading the rest with ``get_unread_messages()`` (what a user of pywebworker writes)."""
    w = JsWorker(script).start()

    async def read_all(n: int) -> list[Any]:
        out: list[Any] = []
        while len(out) < n:
            if receive:
                out.append((await w.receive(timeout=60)).read())
            else:
                await asyncio.sleep(0)
            out.extend(m.read() for m in w.get_unread_messages())
        return out

    w.send_message("warm-up")
    await read_all(1)
    messages = [f"message {i}" for i in range(n)]
    t0 = perf()
    for m in messages:
        w.send_message(m)
    out = await read_all(n)
    t = perf() - t0
    w.kill()
    assert out == messages, "pywebworker: README echo lost or reordered messages"
    return t


async def bench_original(ns: list[int], reps: int, versions: list[str], scripts: list[str]) -> dict[str, Any]:
    if ENV != "browser":
        return {"skipped": "the original PyWebWorker needs a browser: it starts its workers with "
                           "`new Worker(\"data:text/javascript,...\")` and reads `window`"}
    out: dict[str, Any] = {"versions": versions, "reps": reps, "results": {}}
    errors: dict[str, str] = {}
    for name in scripts:
        script = SCRIPTS[name]
        out["results"][name] = {}
        for n in ns:
            times: dict[str, list[float]] = {v: [] for v in versions}
            times.update({"pywebworker": [], "pywebworker_receive": []})
            for rep in range(reps):
                order: list[str] = list(times)
                if rep % 2:
                    order.reverse()  # neither side always gets the warmer machine
                for who in order:
                    if who == "pywebworker":
                        times[who].append(await readme_workload(n, False, script))
                    elif who == "pywebworker_receive":
                        times[who].append(await readme_workload(n, True, script))
                    elif who not in errors:
                        try:
                            times[who] += json.loads(str(await pwwbench.original(who, n, 1, script)))
                        except Exception as e:  # noqa: BLE001 - a version that cannot run is a result
                            errors[who] = f"{type(e).__name__}: {e}"[:300]
                            log(f"  original PyWebWorker {who} did not run: {errors[who]}")
                log(f"  {name} script, N={n}, rep {rep + 1}/{reps}: " + "  ".join(
                    f"{who} {n / t[-1]:,.0f}" for who, t in times.items() if t) + " msg/s")
            out["results"][name][str(n)] = {who: {"msg_s": n / statistics.median(t), "runs_s": t}
                                            for who, t in times.items() if t}
    if errors:
        out["errors"] = errors
    return out


# -- 8. synchronous calls (shared memory) -----------------------------------------------
# Timed inside the worker, round trip by round trip: a worker's call of the host's
# exposed add(), blocking (parent.sync / pywebworker.sync) against awaited (parent.host /
# pywebworker.host), in turns, on one worker; and a 1 MiB bytes result both ways.
SYNC_PY = """
import time
from pywebworker import parent

def sync_loop(n, big=0):
    us = []
    for i in range(n):
        t0 = time.perf_counter()
        parent.sync.big(big) if big else parent.sync.add(i, 1)
        us.append((time.perf_counter() - t0) * 1e6)
    return us

async def async_loop(n, big=0):
    us = []
    for i in range(n):
        t0 = time.perf_counter()
        await (parent.host.big(big) if big else parent.host.add(i, 1))
        us.append((time.perf_counter() - t0) * 1e6)
    return us

__export__ = ["sync_loop", "async_loop"]
"""
SYNC_JS = """
const loop = (call) => async (n, big) => {
  const us = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await (big ? call("big", big) : call("add", i, 1));
    us.push((performance.now() - t0) * 1000);
  }
  return us;
};
pywebworker.expose({
  sync_loop: loop((name, ...args) => pywebworker.callSync(name, args)),
  async_loop: loop((name, ...args) => pywebworker.call(name, ...args)),
});
"""


async def bench_sync(n: int, reps: int) -> dict[str, Any]:
    if not pywebworker.shared_memory_available():
        log("  skipped: no shared memory (the page is not cross-origin isolated)")
        return {"skipped": "no shared memory"}
    out: dict[str, Any] = {"n": n, "reps": reps}
    big_n = max(4, n // 50)
    for key, w in (("pyworker", PyWorker(SYNC_PY)), ("jsworker", JsWorker(SYNC_JS))):
        w.expose(lambda a, b: a + b, name="add")
        w.expose(lambda size: bytes(size), name="big")
        w.start()
        await w.ready(timeout=120)
        times: dict[str, list[float]] = {"sync": [], "async": [], "sync_1mib": [], "async_1mib": []}
        await w.call("sync_loop", 50)  # warm both paths
        await w.call("async_loop", 50)
        for _ in range(reps):  # interleaved: the same conditions for both
            times["sync"] += await w.call("sync_loop", n, timeout=300)
            times["async"] += await w.call("async_loop", n, timeout=300)
            times["sync_1mib"] += await w.call("sync_loop", big_n, 1 << 20, timeout=300)
            times["async_1mib"] += await w.call("async_loop", big_n, 1 << 20, timeout=300)
        w.kill()
        out[key] = {k: summary(v) for k, v in times.items()}
        r = out[key]
        log(f"  {key}: sync {r['sync']['median_us']:.0f} us, await {r['async']['median_us']:.0f} us "
            f"({r['sync']['median_us'] / r['async']['median_us']:.2f}x); 1 MiB result: sync "
            f"{r['sync_1mib']['median_us']:.0f} us, await {r['async_1mib']['median_us']:.0f} us")
    return out


# -- 9. page JavaScript calls Python (pywebworker.page) -----------------------------------
# Timed in JavaScript: n calls `await obj.add(i, 1)` one after the other, through a Backend
# (a binding, an async binding, a task in a WorkerPool(1)) against the same Python function
# called from JS as a raw PyProxy (what a hand-written page does: pyodide.globals.get("add"))
# and awaited, and the task against `await pool.submit(add, i, 1)` from Python; in turns.
# Per call: the run's total over n (a raw call is ~1 µs, below a browser clock's tick).
PAGE_LOOP = """async (n, call) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call(i);
  return (performance.now() - t0) * 1000 / n;
}"""


def page_add(a: int, b: int) -> int:
    return a + b


async def page_add_async(a: int, b: int) -> int:
    return a + b


async def bench_page(n: int, reps: int) -> dict[str, Any]:
    from pywebworker import WorkerPool
    from pywebworker.page import Backend

    await pyodide_js.loadPackage("cloudpickle")  # a pool's dependency (the dist dir has it)
    backend = Backend("pwwBenchBackend")
    backend.register_binding(page_add, name="add")
    backend.register_binding(page_add_async, name="add_async")
    pool = WorkerPool(1, name="bench-page")
    backend.register_task(page_add, name="add_task", pool=pool)
    await pool.ready(timeout=120)
    raw = create_proxy(page_add)
    loop = run_js(PAGE_LOOP)
    calls = {
        "raw": run_js("(f) => (i) => f(i, 1)")(raw),
        "binding": run_js("(i) => pwwBenchBackend.add(i, 1)"),
        "binding_async": run_js("(i) => pwwBenchBackend.add_async(i, 1)"),
    }
    task = run_js("(i) => pwwBenchBackend.add_task(i, 1)")
    times: dict[str, list[float]] = {k: [] for k in (*calls, "task", "submit")}
    n_task = max(10, n // 10)
    for rep in range(reps + 1):  # the first round warms every path and is dropped
        round_ = {key: float(await loop(n, call)) for key, call in calls.items()}
        round_["task"] = float(await loop(n_task, task))
        t0 = perf()
        for i in range(n_task):
            await pool.submit(page_add, i, 1)
        round_["submit"] = (perf() - t0) * 1e6 / n_task
        if rep:
            for key, value in round_.items():
                times[key].append(value)
    backend.close()
    pool.kill()
    raw.destroy()
    out = {k: min(v) for k, v in times.items()}  # µs per call, the best round
    log(f"  binding {out['binding']:.1f} us a call ({out['binding'] / out['raw']:.1f}x a raw PyProxy call, "
        f"{out['raw']:.1f} us); task {out['task']:.0f} us ({out['task'] / out['submit']:.2f}x pool.submit)")
    return out


# -- main ------------------------------------------------------------------------------
async def main(config_json: str) -> str:
    cfg = json.loads(config_json)
    index_url = str(pwwbench.index_url)
    res: dict[str, Any] = {
        "env": ENV,
        "pyodide": str(pyodide_js.version),
        "pywebworker": pywebworker.__version__,
        "user_agent": str(js.navigator.userAgent) if hasattr(js, "navigator") else None,
    }
    only = set(cfg.get("only") or ["throughput", "ffi", "pingpong", "binary", "coldstart", "mpy", "sync", "page",
                                          "original"])
    if "throughput" in only:
        log("[1] throughput")
        res["throughput"] = await bench_throughput(cfg["n_throughput"], cfg["reps"])
    if "ffi" in only:
        res["ffi"] = await ffi_profile()
        log(f"  FFI calls per message: send {res['ffi']['send_calls_per_msg']:.1f}, "
            f"receive+read {res['ffi']['receive_read_calls_per_msg']:.1f}")
    if "pingpong" in only:
        log("[2] ping-pong")
        res["pingpong"] = await bench_pingpong(cfg["n_pingpong"])
    if "binary" in only:
        log("[3] 1 MiB binary echo")
        res["binary"] = await bench_binary(cfg["binary_bytes"], cfg["binary_count"], cfg["binary_reps"])
    if "coldstart" in only:
        log("[4] cold start")
        res["coldstart"] = await bench_coldstart(index_url, cfg["boot_reps"])
    if "mpy" in only:
        log("[7] MicroPython worker start")
        res["mpy"] = await bench_mpy(cfg["boot_reps"])
    if "sync" in only:
        log("[8] synchronous calls to the host (shared memory)")
        res["sync"] = await bench_sync(cfg.get("n_sync", 500), cfg["reps"])
    if "page" in only:
        log("[9] page JavaScript calls Python")
        res["page"] = await bench_page(cfg.get("n_page", 500), cfg["reps"])
    if "original" in only:
        log("[6] the original PyWebWorker's README workload")
        res["original"] = await bench_original(cfg["original_n"], cfg["original_reps"], cfg["original_versions"],
                                               cfg["original_scripts"])
    return json.dumps(res)
