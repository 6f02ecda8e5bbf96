"""WorkerPool and warm spares used as a hostile notebook would: values that explode while
pickled or unpickled, tasks that raise what Python reserves for exiting, kill with
thousands of futures nobody awaits, replacements that cannot start, spares left behind."""

import subprocess
from pathlib import Path

from pytest_pyodide import run_in_pyodide

ROOT = Path(__file__).resolve().parents[2]


@run_in_pyodide
async def test_hostile_values_and_no_noise(selenium_pyww):
    import asyncio
    import gc
    import sys

    import pytest
    from pyodide_waits import wait_until

    from pywebworker import PayloadError, RemoteError, WorkerKilledError, WorkerPool

    loop = asyncio.get_running_loop()
    noise = []  # "exception was never retrieved" and other loop errors
    loop.set_exception_handler(lambda _loop, ctx: noise.append(f"{ctx.get('message')}: {ctx.get('exception')!r}"))

    class ExitsWhenLoaded:  # unpickling it calls sys.exit(3)
        def __reduce__(self):
            return (sys.exit, (3,))

    class ExitsWhenPickled:
        def __reduce__(self):
            raise SystemExit("from __reduce__")

    def raiser(kind):
        raise kind("raised")

    try:
        async with WorkerPool(1, name="hostile") as pool:
            # A result whose unpickling on the host raises SystemExit: its task fails
            # (it used to escape the done callback and leave the future pending).
            with pytest.raises(PayloadError, match="SystemExit"):
                await asyncio.wait_for(pool.submit(ExitsWhenLoaded), 30)
            # In the worker, the same unpickling fails the task, not the worker.
            with pytest.raises(RemoteError, match="SystemExit"):
                await pool.submit(lambda x: x, ExitsWhenLoaded())
            # A value whose pickling raises SystemExit cannot be sent: PayloadError.
            with pytest.raises(PayloadError, match="SystemExit"):
                pool.submit(len, [ExitsWhenPickled()])
            with pytest.raises(TypeError, match="callable"):
                await pool.map(3, [1])
            for kind in (SystemExit, KeyboardInterrupt, GeneratorExit):
                with pytest.raises(RemoteError) as info:
                    await pool.submit(raiser, kind)
                assert info.value.remote_type == kind.__name__
            # 50 MiB each way.
            assert await pool.submit(lambda b: b[::-1], b"ab" * (25 << 20)) == b"ba" * (25 << 20)
            assert pool.replaced == 0 and pool.queued == 0 and pool.busy == 0
            # imap_unordered: the failures it leaves behind when one raises are retrieved.
            def fail_odd(x):
                import time

                if x % 2:  # long after 0 is done: 1 and 3 finish while nobody waits
                    time.sleep(0.2)
                    raise ValueError(x)
                return x

            failed = pool.failed
            results = pool.imap_unordered(fail_odd, [0, 1, 3])
            assert await results.__anext__() == 0
            await wait_until(lambda: pool.failed == failed + 2, timeout=30, what="1 and 3 to fail")
            with pytest.raises(RemoteError, match="ValueError"):
                await results.__anext__()
            del results

        # kill() with thousands of futures nobody awaits: they fail quietly.
        pool = WorkerPool(1, name="dropped")
        await pool.ready()
        futures = [pool.submit(abs, -i) for i in range(5000)]
        pool.kill()
        assert all(f.done() for f in futures[1:])
        with pytest.raises(WorkerKilledError):
            await futures[-1]
        del futures
        with pytest.raises(WorkerKilledError):
            await pool.ready()  # killed after it was ready: not "ready"
        await pool.close()  # after kill: nothing to do
        await asyncio.sleep(0.1)  # the running task's future settles
        gc.collect()
        assert noise == []
    finally:
        loop.set_exception_handler(None)


@run_in_pyodide
async def test_replacements_that_cannot_start(selenium_pyww):
    """Replacements whose script raises are replaced again (the pool's script worked
    once), until MAX_LOST_STARTS (3) in a row have failed: then the pool stops."""
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import WorkerPool, WorkerStartError, WorkerStateError

    # Workers -2 and -3 (the first replacements) fail, -4 serves; -5, -6, -7 fail.
    script = (
        "import sys\nif sys._getframe().f_code.co_filename[-5:-3] in ('-2', '-3', '-5', '-6', '-7'):\n"
        "    raise RuntimeError('bad start')\n"
    )

    def spin(seconds):
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return seconds

    pool = WorkerPool(1, script=script, name="flaky")
    await pool.ready()
    retried = pool.apply(spin, (5,), retries=2)
    behind = pool.submit(spin, 0)
    await wait_until(lambda: pool.busy == 1, timeout=30, what="the task to run")
    pool.workers[0].kill()
    assert await retried == 5 and await behind == 0  # in -4, after -2 and -3 failed
    assert pool.replaced == 3 and pool.workers[0].name == "flaky-4"
    await pool.ready()

    doomed = pool.apply(spin, (5,), retries=5)
    await wait_until(lambda: pool.busy == 1, timeout=30, what="the task to run")
    pool.workers[0].kill()
    with pytest.raises(WorkerStartError, match="bad start"):
        await doomed
    with pytest.raises(WorkerStartError, match="bad start"):
        await pool.ready()  # it was ready once; now it cannot serve
    with pytest.raises(WorkerStateError, match="could not start"):
        pool.submit(spin, 0)
    assert pool.workers[0].name == "flaky-7"
    pool.kill()


@run_in_pyodide
async def test_a_replacement_killed_while_it_starts_is_replaced(selenium_pyww):
    """Issue 23: a task closes its worker; its replacement is killed while it starts; the
    pool used to refuse every later task ("could not start its workers")."""
    import asyncio

    import pytest

    from pywebworker import PyWebWorkerError, WorkerPool

    def bye():
        import js

        js.close()

    pool = WorkerPool(1, name="heal")
    await pool.ready()
    with pytest.raises(PyWebWorkerError):
        await asyncio.wait_for(pool.submit(bye), 30)
    assert pool.workers[0].name == "heal-2" and pool.workers[0].state == "starting"
    pool.workers[0].kill()  # the replacement, while it starts
    await asyncio.sleep(0.5)
    assert await asyncio.wait_for(pool.submit(len, "xy"), 60) == 2
    assert pool.replaced == 2 and pool.workers[0].name == "heal-3"
    await asyncio.wait_for(pool.ready(), 30)
    pool.kill()


@run_in_pyodide
async def test_spares_under_churn(selenium_pyww):
    import gc

    from pyodide_waits import wait_until

    from pywebworker import PyWorker, WorkerPool, prestart
    from pywebworker._spares import _live, key
    from pywebworker._worker import _glue

    k = key(PyWorker("")._options())
    gc.collect()
    base = _glue().count_workers()
    first, second, third = prestart(2), prestart(1), prestart(3)
    assert await third == 3 and await second == 1 and await first == 2
    assert len(_live(k)) == 3 and _glue().live_workers() == 3
    early = PyWorker("x = 1").start()  # killed while its script has not run yet
    assert early.warm_start
    early.kill()
    await wait_until(lambda: len(_live(k)) == 3, timeout=60, what="the taken spare replaced")
    pool = WorkerPool(5, name="larger")  # more workers than spares: the others start cold
    assert [w.warm_start for w in pool.workers] == [True, True, True, False, False]
    await pool.ready(timeout=120)
    assert await pool.map(lambda x: x + 1, range(20)) == list(range(1, 21))
    pool.kill()
    await wait_until(lambda: len(_live(k)) == 3, timeout=60, what="the spares refilled")
    assert await prestart(0) == 0
    del early, pool
    gc.collect()
    assert _glue().live_workers() == 0
    assert _glue().count_workers() == base


def test_a_warm_spare_lets_node_exit(request, tmp_path):
    """A Node script that calls prestart() and ends must end: an idle spare is unref'd."""
    dist = Path(request.config.option.dist_dir).resolve()
    wheel = next((ROOT / "dist").glob("pywebworker-*.whl"))
    script = tmp_path / "spare_exit.mjs"
    script.write_text(
        f"""
import fs from "node:fs";
const {{ loadPyodide }} = await import({str(dist / "pyodide.mjs")!r});
const py = await loadPyodide({{ indexURL: {str(dist) + "/"!r} }});
await py.loadPackage(["micropip", "cloudpickle"]);
py.FS.writeFile("/tmp/{wheel.name}", fs.readFileSync({str(wheel)!r}));
await py.runPythonAsync(`import micropip\\nawait micropip.install("emfs:/tmp/{wheel.name}")`);
await py.runPythonAsync(`from pywebworker import prestart\\nassert await prestart(1) == 1`);
console.log("prestarted");
"""
    )
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert "prestarted" in done.stdout, done.stderr
    assert done.returncode == 0, done.stderr
