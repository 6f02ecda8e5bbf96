"""Pyodide itself running inside a module Web Worker, as a JupyterLite kernel does (no
window, no document): workers, pools and spares nested in it. Chromium only."""

from pytest_pyodide import run_in_pyodide
from scripts import ECHO_JS, ECHO_PY


@run_in_pyodide
async def test_nested_workers_from_a_worker_host(selenium_pyww_worker, echo_js, echo_py):
    import pytest

    import js
    from pywebworker import JsWorker, PyWorker, WorkerStartError

    assert not hasattr(js, "window") and not hasattr(js, "document")
    async with JsWorker(echo_js) as jw:
        jw.send_message("to js")
        jw.send_message(b"\x01\x02")
        assert [(await jw.receive(timeout=20)).read() for _ in range(2)] == ["to js", b"\x01\x02"]
    py = PyWorker(echo_py)
    py.send_message({"early": True})
    async with py:
        py.send_message("to python")
        assert [(await py.receive(timeout=60)).read() for _ in range(2)] == [{"early": True}, "to python"]
    bad = PyWorker("raise KeyError('nested boom')").start()
    with pytest.raises(WorkerStartError, match="nested boom"):
        await bad.ready(timeout=60)
    # A named MicroPython worker with a config, its files from the host's wheel (as in a
    # JupyterLite kernel, where the package lives in the kernel's own file system).
    from pywebworker import workers

    mpy = PyWorker(
        "import os\nfrom pywebworker import parent\n"
        "parent.on_message = lambda m: parent.send_message([os.getcwd(), m.read(), open('a.txt').read()])",
        interpreter="micropython", name="nested-mpy",
        config={"files": {"data:text/plain,file": "./a.txt"}, "cwd": "/w"},
    ).start()
    assert (await workers["nested-mpy"]) is mpy
    mpy.send_message("to micropython")
    assert (await mpy.receive(timeout=30)).read() == ["/w", "to micropython", "file"]
    mpy.kill()
    assert "nested-mpy" not in workers


def pytest_generate_tests(metafunc):
    if "echo_js" in metafunc.fixturenames:
        metafunc.parametrize(("echo_js", "echo_py"), [(ECHO_JS, ECHO_PY)], ids=["echo"])


@run_in_pyodide
async def test_pool_and_spares_from_a_worker_host(selenium_pyww_worker):
    import asyncio

    from pywebworker import PyWorker, WorkerPool, prestart

    await prestart(1)
    w = PyWorker("from pywebworker import parent\nparent.send_message('warm')").start()
    assert w.warm_start
    assert (await w.receive(timeout=30)).read() == "warm"
    w.kill()
    await prestart(0)
    scale = 3
    async with WorkerPool(2) as pool:
        assert await pool.map(lambda x: x * scale, range(10)) == [x * 3 for x in range(10)]
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(pool.executor, divmod, 7, 2) == (3, 1)
