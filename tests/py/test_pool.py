"""WorkerPool: functions by value in parallel PyWorkers, an Executor, warm spares."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
async def test_map_submit_and_values_by_pickle(selenium_pyww):
    import fractions

    from pywebworker import WorkerPool

    offset = 7

    def shifted(x):  # a closure over a cell's variable
        return x + offset

    class Point:  # a class defined here: pickled by value too
        def __init__(self, x, y):
            self.x, self.y = x, y

        def norm2(self):
            return self.x * self.x + self.y * self.y

    async def later(x):  # a coroutine function is awaited in the worker
        return [x, "async"]

    async with WorkerPool(2, name="maps") as pool:
        assert repr(pool).startswith("<WorkerPool 'maps' running size=2")
        assert await pool.map(shifted, range(1000)) == [x + 7 for x in range(1000)]
        assert await pool.map(lambda s: s.upper(), ["a", "b"], chunksize=1) == ["A", "B"]
        assert await pool.submit(pow, 2, 100) == 2**100
        assert await pool.submit(lambda p: p.norm2(), Point(3, 4)) == 25
        got = await pool.submit(lambda f, *, k: (f * 2, {k, 1}), fractions.Fraction(1, 3), k=2)
        assert got == (fractions.Fraction(2, 3), {1, 2})
        assert await pool.submit(later, 5) == [5, "async"]
        # Each chunk ran in some worker; both served.
        import os

        pids = await pool.map(lambda _: id(os), range(8), chunksize=1)
        assert len(pids) == 8
        unordered = [r async for r in pool.imap_unordered(lambda x: x * x, range(20))]
        assert sorted(unordered) == [x * x for x in range(20)]
        assert pool.done >= 9 and pool.failed == 0
    assert pool.state == "closed"
    assert all(w.state == "killed" for w in pool.workers)


@run_in_pyodide
async def test_errors_keep_the_worker_and_bad_input_is_refused(selenium_pyww):
    import threading

    import pytest

    from pywebworker import PayloadError, RemoteError, WorkerPool, WorkerStateError

    def divide(a, b):
        return a / b

    async with WorkerPool(1) as pool:
        with pytest.raises(RemoteError) as info:
            await pool.submit(divide, 1, 0)
        assert info.value.remote_type == "ZeroDivisionError"
        assert "in divide" in info.value.remote_traceback
        assert "pywebworker" not in info.value.remote_traceback
        worker = pool.workers[0]
        assert await pool.submit(divide, 6, 3) == 2.0  # the same worker serves on
        assert pool.workers[0] is worker and pool.replaced == 0 and pool.failed == 1
        # Not picklable: refused at submit, nothing queued.
        with pytest.raises(PayloadError, match="cannot send"):
            pool.submit(len, threading.Lock())
        with pytest.raises(TypeError, match="callable"):
            pool.submit(3)
        # A result the worker cannot pickle: its message says so.
        with pytest.raises(RemoteError) as info:
            await pool.submit(lambda: (x for x in ()))
        assert info.value.remote_type == "PayloadError"
        for bad in (0, -1):
            with pytest.raises(ValueError):
                WorkerPool(bad)
        with pytest.raises(ValueError):
            pool.apply(len, ([],), retries=-1)
        with pytest.raises(ValueError):
            pool.apply(len, ([],), timeout=-1)
    with pytest.raises(WorkerStateError, match="closed"):
        pool.submit(len, [])


@run_in_pyodide
async def test_timeout_crash_and_kill_replace_the_worker(selenium_pyww):
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import WorkerFailedError, WorkerPool

    def spin(seconds):
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return seconds

    def crash():
        import js

        js.close()  # the worker's thread ends under the task

    async with WorkerPool(1) as pool:
        first = pool.workers[0]
        # With shared memory (Node; a cross-origin isolated page) a task past its timeout
        # is interrupted (KeyboardInterrupt) and its worker kept; else the worker is replaced.
        shared = first._port.interrupt(0)
        with pytest.raises(TimeoutError, match="interrupted" if shared else "killed and replaced"):
            await pool.apply(spin, (60,), timeout=0.5)
        assert pool.replaced == (0 if shared else 1)
        assert (pool.workers[0] is first) == shared
        assert await pool.apply(spin, (0,), timeout=30) == 0  # the same or a new worker serves
        if shared:  # a C loop does not see the interrupt: killed after the grace period
            with pytest.raises(TimeoutError, match="killed and replaced"):
                await pool.apply(lambda: sum(range(10**12)), timeout=0.2)
        assert pool.replaced == 1
        with pytest.raises(WorkerFailedError):
            await pool.submit(crash)
        assert pool.replaced == 2
        # Killed under a task: that task fails, unless retries= says to run it again.
        running = pool.submit(spin, 2)
        await wait_until(lambda: pool.busy == 1, timeout=30, what="the task to run")
        pool.workers[0].kill()
        with pytest.raises(WorkerFailedError, match="killed"):
            await running
        retried = pool.apply(spin, (1,), retries=1)
        await wait_until(lambda: pool.busy == 1, timeout=60, what="the task to run")
        pool.workers[0].kill()
        assert await retried == 1
        assert pool.replaced == 4


@run_in_pyodide
async def test_cancel_close_and_kill_with_queued_tasks(selenium_pyww):
    import asyncio

    import pytest

    from pywebworker import QueueFullError, WorkerKilledError, WorkerPool
    from pywebworker._worker import _glue

    def spin(seconds):
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return seconds

    pool = WorkerPool(1, max_pending=2)
    await pool.ready()
    running = pool.submit(spin, 0.3)
    queued = pool.submit(spin, 0)
    queued2 = pool.submit(spin, 0)
    with pytest.raises(QueueFullError, match="max_pending=2"):
        pool.submit(spin, 0)
    queued.cancel()  # a queued task cancelled never runs
    assert pool.queued == 1
    assert await running == 0.3 and await queued2 == 0
    assert pool.done == 2
    # map waits for room instead of raising.
    assert await pool.map(spin, [0] * 6, chunksize=1) == [0] * 6
    # Cancelling the task that awaits a queued task cancels it.
    pool.submit(spin, 0.3)
    waiter = asyncio.ensure_future(pool.submit(spin, 0))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    # close(): queued work finishes, then the workers stop; no new work.
    last = [pool.submit(spin, 0.1), pool.submit(spin, 0)]
    closed = pool.close()
    assert pool.state == "closing"
    assert [await f for f in last] == [0.1, 0]
    await closed
    assert pool.state == "closed"
    # kill(): running and queued tasks raise WorkerKilledError at once.
    pool2 = WorkerPool(1)
    await pool2.ready()
    tasks = [pool2.submit(spin, 30), pool2.submit(spin, 0)]
    await asyncio.sleep(0.2)
    pool2.kill()
    for t in tasks:
        with pytest.raises(WorkerKilledError):
            await t
    assert pool2.state == "killed"
    # Nothing left: no JS worker, no worker of these pools in the core's registry.
    for w in pool.workers + pool2.workers:
        assert w.state == "killed"
    assert _glue().live_workers() == 0


@run_in_pyodide
async def test_executor_and_run_in_executor(selenium_pyww):
    import asyncio
    import concurrent.futures

    import pytest

    from pywebworker import WorkerPool
    from pywebworker._blocking import can_block

    def where():
        from pywebworker import parent

        return parent._port is not None  # only inside a PyWorker

    async with WorkerPool(1) as pool:
        ex = pool.executor
        assert isinstance(ex, concurrent.futures.Executor)
        fut = ex.submit(pow, 3, 4)
        assert isinstance(fut, concurrent.futures.Future)
        if can_block():  # JSPI (Chromium, Node 26): it waits for the worker
            assert fut.result(timeout=60) == 81
            assert list(ex.map(abs, [-1, -2])) == [1, 2]
        else:  # Node 20: a clear error, never a wait for ever on Pyodide's one thread
            with pytest.raises(RuntimeError, match=r"cannot block.*await asyncio.wrap_future\(future\)"):
                fut.result()
            with pytest.raises(RuntimeError, match=r"await pool.map\(fn, items\)"):
                ex.map(abs, [1])
        assert await asyncio.wrap_future(fut) == 81
        assert fut.result() == 81  # done: no wait
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(ex, where) is True  # ran in the worker
        assert loop.run_in_executor(None, lambda: 5).result() == 5  # Pyodide's own behaviour, kept


@run_in_pyodide
async def test_script_exports_and_warm_spares(selenium_pyww):
    import pytest

    from pywebworker import NotExportedError, WorkerPool, WorkerStartError, prestart

    script = "def add(a, b):\n    return a + b\n__export__ = ['add']\n"
    await prestart(2)
    pool = WorkerPool(2, script=script)
    assert all(w.warm_start for w in pool.workers)  # both took a spare
    await pool.ready(timeout=30)
    assert await pool.call("add", 2, 3) == 5
    with pytest.raises(NotExportedError):
        await pool.call("nope")
    pool.kill()
    await prestart(0)
    # A script that fails: ready() raises why, and the pool is unusable.
    broken = WorkerPool(1, script="raise ValueError('no')")
    with pytest.raises(WorkerStartError, match="no"):
        await broken.ready()
    assert broken.state == "closed"
    # The default size: the cores minus one, at least 1.
    default = WorkerPool()
    assert default.size >= 1
    default.kill()


@run_in_pyodide
async def test_nothing_is_left_after_kill_and_close(selenium_pyww):
    import asyncio
    import gc

    import pyodide_js
    import pytest

    from pywebworker import RemoteError, WorkerKilledError, WorkerPool, prestart
    from pywebworker._worker import _glue

    module = pyodide_js._module
    await prestart(0)  # its first call makes one lasting proxy (Pyodide's, once): not counted
    gc.collect()
    module.enable_pyproxy_allocation_tracing()
    proxies_before = int(module.pyproxy_alloc_map.size)
    registry_before = _glue().count_workers()

    async def rounds():
        await prestart(1)
        pool = WorkerPool(2, max_pending=10)
        assert await pool.map(str, range(50), chunksize=3) == [str(i) for i in range(50)]
        with pytest.raises(RemoteError):
            await pool.submit(int, "x")
        queued = [pool.submit(sum, [i]) for i in range(5)]
        pool.kill()
        for f in queued:
            with pytest.raises(WorkerKilledError):
                await f
        async with WorkerPool(1) as other:
            await other.submit(abs, -1)
        await prestart(0)

    await rounds()
    for _ in range(3):
        gc.collect()
        await asyncio.sleep(0.05)
    assert _glue().live_workers() == 0
    assert _glue().count_workers() == registry_before  # every record destroyed
    left = [str(trace) for trace in module.pyproxy_alloc_map.values()]
    module.disable_pyproxy_allocation_tracing()
    assert len(left) == proxies_before, left


@run_in_pyodide
async def test_cloudpickle_installed_after_the_first_worker(selenium_pyww):
    """Issue 23 (`make bench` on a fresh clone): a PyWorker started while the host had no
    cloudpickle made the host remember "none" for good, so every later pool's workers
    lacked it ("No module named 'cloudpickle'" from each task)."""
    import asyncio
    import importlib
    import sys

    from pywebworker import PyWorker, WorkerPool, _js

    _js._files_cache.pop("cloudpickle", None)  # a fresh host: no worker has read it yet

    class Hide:  # the host without cloudpickle, as before `loadPackage("cloudpickle")`
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "cloudpickle":
                raise ModuleNotFoundError(name)
            return None

    saved = {k: m for k, m in sys.modules.items() if k.split(".")[0] == "cloudpickle"}
    hide = Hide()
    for k in saved:
        del sys.modules[k]
    sys.meta_path.insert(0, hide)
    try:
        first = PyWorker("pass").start()  # reads the host's packages now
    finally:
        sys.meta_path.remove(hide)
        sys.modules.update(saved)
        importlib.invalidate_caches()
    await asyncio.wait_for(first.ready(), 60)
    first.kill()
    async with WorkerPool(1, name="late-cloudpickle") as pool:
        assert await asyncio.wait_for(pool.submit(len, "abc"), 60) == 3
