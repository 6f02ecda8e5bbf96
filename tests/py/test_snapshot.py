"""PyWorkers boot from a memory snapshot (issue 16): the session's first PyWorker of a
Pyodide makes it, later ones load it and run as a plain one; opt-out; a corrupt snapshot
falls back with one warning; nothing of one worker's script reaches the next."""

import pytest
from pytest_pyodide import run_in_pyodide

# Sets globals of every kind a later worker could inherit through a snapshot.
LEAKY = """
import builtins, sys, types
from pywebworker import parent
leaked_global = 1
builtins.leaked_builtin = 2
sys.modules["leaked_module"] = types.ModuleType("leaked_module")
parent.send_message("first")
"""

# Runs messages, calls both ways, a package and output, and reports what it inherited.
CHECKS = """
import builtins, sys
import packaging.version
from pywebworker import parent
def add(a, b):
    return a + b
__export__ = ["add"]
parent.send_message({
    "leaks": ["leaked_global" in globals(), hasattr(builtins, "leaked_builtin"), "leaked_module" in sys.modules],
    "version": str(packaging.version.Version("1.2.0")),
    "host": await parent.call("twice", 21),
})
print("printed from the snapshot worker")
parent.on_message = lambda m: parent.send_message(["echo", m.read()])
"""


@pytest.mark.parametrize(("leaky", "checks"), [(LEAKY, CHECKS)], ids=["scripts"])
@run_in_pyodide
async def test_a_worker_from_the_snapshot_runs_as_a_plain_one_and_inherits_nothing(selenium_pyww, leaky, checks):
    import contextlib
    import io

    from pyodide.code import run_js
    from pyodide_waits import wait_until

    from pywebworker import PyWorker, clear_snapshot_cache, clear_snapshots
    from pywebworker._worker import _glue

    held = run_js("(h) => h.snapshots().map(([k, s, b]) => [k, s, b ? b.byteLength : 0])")
    clear_snapshots()
    await clear_snapshot_cache()  # a browser's cache across page loads: made anew here
    assert held(_glue().js).to_py() == []
    first = PyWorker(leaky, name="maker").start()
    assert (await first.receive(timeout=60)).read() == "first"
    assert first._port.snapshot_state() == "made" and not first.from_snapshot
    [[_, state, size]] = await wait_until(lambda: held(_glue().js).to_py(), timeout=30, what="the snapshot")
    assert state == "ready" and size > 10 * 2**20  # tens of MiB: Pyodide's memory
    first.kill()

    out = io.StringIO()
    w = PyWorker(checks, packages=["packaging"], name="loaded")
    w.expose(lambda x: 2 * x, name="twice")
    with contextlib.redirect_stdout(out):
        w.start()
        got = (await w.receive(timeout=60)).read()
        assert got == {"leaks": [False, False, False], "version": "1.2.0", "host": 42}
        await w.ready(timeout=30)
        assert w.from_snapshot
        assert await w.exports.add(2, 3) == 5
        w.send_message({"n": 1})
        assert (await w.receive(timeout=30)).read() == ["echo", {"n": 1}]
        await wait_until(lambda: "printed from the snapshot worker" in out.getvalue(), timeout=10, what="the output")
    w.kill()


@run_in_pyodide
async def test_workers_from_one_snapshot_draw_their_own_random_numbers(selenium_pyww):
    """`random`'s Mersenne Twister state was in the snapshot: every worker booted from
    it drew the same numbers (a pool's Monte Carlo tasks all repeated one sample)."""
    import asyncio

    from pywebworker import PyWorker

    draw = "import random\nfrom pywebworker import parent\nparent.send_message([random.random() for _ in range(3)])\n"
    workers = [PyWorker(draw).start()]  # makes the snapshot (or a test before did)
    draws = [tuple((await asyncio.wait_for(workers[0].receive(), 60)).read())]
    workers += [PyWorker(draw).start() for _ in range(2)]
    draws += [tuple((await asyncio.wait_for(w.receive(), 60)).read()) for w in workers[1:]]
    assert [w._port.snapshot_state() for w in workers[1:]] == ["loaded", "loaded"]
    assert len(set(draws)) == 3, draws
    for w in workers:
        w.kill()


@run_in_pyodide
async def test_snapshot_opt_out_per_worker_and_globally(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, set_snapshots

    script = "from pywebworker import parent\nparent.send_message(1)"
    maker = PyWorker(script).start()  # makes the snapshot if none is held yet
    await maker.ready(timeout=60)
    maker.kill()
    on = PyWorker(script).start()
    await on.ready(timeout=60)
    assert on.from_snapshot
    off = PyWorker(script, snapshot=False).start()
    await off.ready(timeout=60)
    assert not off.from_snapshot and off._port.snapshot_state() == ""
    assert set_snapshots(False) is True
    try:
        plain = PyWorker(script).start()
        await plain.ready(timeout=60)
        assert not plain.from_snapshot and plain._port.snapshot_state() == ""
    finally:
        assert set_snapshots(True) is False
    with pytest.raises(TypeError):
        PyWorker(script, snapshot="yes")
    with pytest.raises(TypeError):
        set_snapshots(1)
    for w in (on, off, plain):
        assert (await w.receive(timeout=30)).read() == 1
        w.kill()


@run_in_pyodide
async def test_a_pool_and_its_spares_boot_with_the_pool_s_snapshot_setting(selenium_pyww):
    from pyodide.code import run_js
    from pyodide_waits import wait_until

    from pywebworker import PyWorker, WorkerPool, prestart, set_snapshots
    from pywebworker._worker import _glue

    was = set_snapshots(True)  # also under PYWW_SNAPSHOTS=0
    try:
        maker = PyWorker("pass").start()  # makes the snapshot if none is held yet
        await maker.ready(timeout=60)
        maker.kill()
        states = run_js("(h) => h.snapshots().map(([, s]) => s)")
        await wait_until(lambda: "ready" in states(_glue().js).to_py(), timeout=30, what="the snapshot")
        up = prestart(1, snapshot=False)
        plain = WorkerPool(1, snapshot=False)  # takes the plain spare, booting or warm
        assert await prestart(0, snapshot=False) == 0  # no replacement competes with the pools
        snap = WorkerPool(1)
        for pool in (plain, snap):
            await pool.ready(timeout=60)
        [p], [s] = plain.workers, snap.workers
        assert p.warm_start and not p.from_snapshot and p._port.snapshot_state() == ""
        assert not s.warm_start and s.from_snapshot
        assert await plain.submit(abs, -2) == 2 and await snap.submit(abs, -3) == 3
        assert await up == 1
        for pool in (plain, snap):
            pool.kill()
    finally:
        set_snapshots(was)


@run_in_pyodide
async def test_a_corrupt_snapshot_falls_back_with_one_warning(selenium_pyww):
    import warnings

    from pyodide.code import run_js

    from pywebworker import PyWorker, clear_snapshot_cache, clear_snapshots
    from pywebworker._worker import _glue

    script = "from pywebworker import parent\nparent.send_message('up')"
    maker = PyWorker(script).start()
    await maker.ready(timeout=60)
    maker.kill()
    # Flip the magic number of every held snapshot, as a bad copy would.
    n = run_js("(h) => { let n = 0; for (const [, , b] of h.snapshots()) if (b) { b[0] ^= 0xff; n++; } return n; }")
    assert n(_glue().js) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = PyWorker(script).start()
        b = PyWorker(script).start()
        for w in (a, b):
            assert (await w.receive(timeout=60)).read() == "up"  # booted plainly, never hung
            assert not w.from_snapshot
    assert a._port.snapshot_state() == "failed" and b._port.snapshot_state() in ("failed", "")
    said = [str(c.message) for c in caught if issubclass(c.category, RuntimeWarning)]
    assert len(said) == 1 and "memory snapshot" in said[0] and "magic" in said[0], said
    # Off for this Pyodide until cleared; then the next worker makes a new one.
    assert run_js("(h) => h.snapshots().map(([, s]) => s)")(_glue().js).to_py() == ["off"]
    clear_snapshots()
    await clear_snapshot_cache()
    c = PyWorker(script).start()
    await c.ready(timeout=60)
    assert c._port.snapshot_state() == "made"
    for w in (a, b, c):
        w.kill()


@run_in_pyodide
async def _shared_snapshot_in_a_worker_host(selenium):
    from pyodide.code import run_js

    from pywebworker import PyWorker, clear_snapshots, shared_memory_available
    from pywebworker._worker import _glue

    assert shared_memory_available()
    clear_snapshots()
    script = "import sys\nfrom pywebworker import parent\nparent.send_message(sys.version)"
    first = PyWorker(script).start()
    version = (await first.receive(timeout=60)).read()
    kinds = run_js("(h) => h.snapshots().map(([, s, b]) => [s, Object.prototype.toString.call(b && b.buffer)])")
    assert kinds(_glue().js).to_py() == [["ready", "[object SharedArrayBuffer]"]]  # one copy, shared by every init
    more = [PyWorker(script).start() for _ in range(2)]
    for w in more:
        assert (await w.receive(timeout=60)).read() == version
        await w.ready(timeout=30)
        assert w.from_snapshot, w._port.snapshot_state()
    for w in [first, *more]:
        w.kill()


def test_a_shared_snapshot_in_an_isolated_worker_host(selenium_isolated_worker):
    if selenium_isolated_worker.browser == "node":
        pytest.skip("Node: the tests above (shared memory always, the host on the main thread)")
    _shared_snapshot_in_a_worker_host(selenium_isolated_worker)
