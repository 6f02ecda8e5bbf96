"""Warm starts: pywebworker.prestart() boots spare PyWorkers that later PyWorkers take."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
async def test_prestart_then_start_takes_the_spare(selenium_pyww):
    from pyodide_waits import wait_until

    from pywebworker import PyWorker, prestart
    from pywebworker._spares import _live, key
    from pywebworker._worker import _glue

    up = prestart(1)
    assert await up == 1  # the spare is warm: Pyodide loaded, no script yet
    script = """
from pywebworker import parent
def double(x):
    return 2 * x
__export__ = ["double"]
parent.on_message = lambda m: parent.send_message(["echo", m.read()])
"""
    w = PyWorker(script, name="warm")
    w.send_message("sent before start")
    w.start()
    assert w.warm_start
    await w.ready(timeout=30)
    assert [s for s, _ in w.stages] == ["script"]  # the spare loaded Pyodide before it was taken
    assert await w.exports.double(21) == 42
    w.send_message({"after": 1})
    got = [(await w.receive(timeout=30)).read() for _ in range(2)]
    assert got == [["echo", "sent before start"], ["echo", {"after": 1}]]
    # Taken spares are replaced in the background.
    k = key(PyWorker("")._options())
    await wait_until(lambda: len(_live(k)) == 1, timeout=30, what="a new spare")
    w2 = PyWorker("from pywebworker import parent\nparent.send_message('second')").start()
    assert w2.warm_start
    assert (await w2.receive(timeout=60)).read() == "second"
    # prestart(0): no more spares kept, the idle one terminated; nothing left running.
    assert await prestart(0) == 0
    w.kill()
    w2.kill()
    await wait_until(lambda: _glue().live_workers() == 0, timeout=10, what="no live JS worker")


@run_in_pyodide
async def test_a_spare_is_taken_before_it_is_warm(selenium_pyww):
    from pywebworker import PyWorker, prestart

    up = prestart(1)
    w = PyWorker("import sys\nfrom pywebworker import parent\nparent.send_message(sys.argv)").start()
    assert w.warm_start  # still booting, and taken: further along than a new worker
    assert (await w.receive(timeout=60)).kind == "json"
    assert await up == 1  # taken counts as up
    await prestart(0)
    w.kill()


@run_in_pyodide
async def test_only_a_matching_spare_is_taken(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, WorkerStartError, prestart

    await prestart(1)
    # Other packages: a cold start (a spare holds the packages it booted with).
    cold = PyWorker("x = 1", packages=["packaging"]).start()
    assert not cold.warm_start
    await cold.ready(timeout=60)
    cold.kill()
    # The script of a taken spare fails as a cold one does, with the user's traceback.
    bad = PyWorker("def f():\n    raise ValueError('boom')\nf()\n", name="bad").start()
    assert bad.warm_start
    with pytest.raises(WorkerStartError) as info:
        await bad.ready(timeout=30)
    assert info.value.remote_type == "ValueError"
    assert "/worker/bad.py" in info.value.remote_traceback
    await prestart(0)


@run_in_pyodide
async def test_a_spare_that_cannot_boot(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, WorkerStartError, prestart

    # A package that does not exist: the spare fails; awaiting says why.
    up = prestart(1, packages=["no-such-package-pywebworker"])
    with pytest.raises(WorkerStartError, match="no-such-package-pywebworker"):
        await up
    # A worker asking for the same starts cold and fails the same way; no spare is left.
    w = PyWorker("x = 1", packages=["no-such-package-pywebworker"]).start()
    assert not w.warm_start
    with pytest.raises(WorkerStartError):
        await w.ready(timeout=60)
    await prestart(0, packages=["no-such-package-pywebworker"])


@run_in_pyodide
async def test_prestart_rejects_bad_arguments(selenium_pyww):
    import pytest

    from pywebworker import prestart

    with pytest.raises(ValueError, match="n must be >= 0"):
        prestart(-1)
    with pytest.raises(TypeError):
        prestart(1.5)
    with pytest.raises(TypeError, match="packages"):
        prestart(1, packages=[3])
