"""Named workers in real workers: ``pywebworker.workers`` (lookups before and after the
start, duplicate names, kill and failure leave the registry, the KeyError timeout) and
``create_named_worker`` with a script URL. One PyWorker boot in all; the registry's
other paths use JsWorkers, which start in milliseconds."""

from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide
from pytest_pyodide.server import spawn_web_server

CALC_PY = """
from pywebworker import parent

def add(a, b):
    return a + b

__export__ = ["add"]
parent.on_message = lambda m: parent.send_message(m.read().upper())
"""


@pytest.fixture
def calc_url(selenium_pyww, tmp_path: Path):
    """The URL of a worker script: a file path in Node (the worker reads it from disk),
    an http URL served with CORS in Chromium."""
    (tmp_path / "calc.py").write_text(CALC_PY)
    if selenium_pyww.browser == "node":
        yield str(tmp_path / "calc.py")
        return
    with spawn_web_server(tmp_path) as (host, port, _log):
        yield f"http://{host}:{port}/calc.py"


@run_in_pyodide
async def test_registry_lookups_duplicates_kill_and_failure(selenium_pyww):
    import asyncio

    import pytest

    from pywebworker import JsWorker, WorkerStartError, workers

    echo = "onmessage = (e) => postMessage(e.data)"
    # Looked up before it exists, then after: the same worker, once ready.
    early = asyncio.ensure_future(workers["named-echo"])
    await asyncio.sleep(0)
    assert not early.done() and "named-echo" not in workers
    w = JsWorker(echo, name="named-echo").start()
    assert await asyncio.wait_for(early, 20) is w and w.state == "running"
    assert await workers["named-echo"] is w
    assert "named-echo" in workers and list(workers) == ["named-echo"] and len(workers) == 1
    w.send_message("hi")
    assert (await w.receive(timeout=20)).read() == "hi"

    # A second live worker of that name does not start; unnamed and pool workers never collide.
    twin = JsWorker(echo, name="named-echo")
    with pytest.raises(ValueError, match="'named-echo' is already running"):
        twin.start()
    assert twin.state == "created"
    JsWorker(echo).start().kill()
    assert list(workers) == ["named-echo"]

    # Killed: the name is free, and a new worker may take it.
    w.kill()
    assert "named-echo" not in workers
    twin.start()
    assert await workers.get("named-echo", timeout=0) is twin
    twin.kill()

    # A worker that fails to start: the waiter gets its WorkerStartError; it leaves.
    waiter = asyncio.ensure_future(workers.get("named-bad", timeout=20))
    JsWorker("throw new RangeError('boom at start')", name="named-bad").start()
    with pytest.raises(WorkerStartError, match="boom at start"):
        await waiter
    assert "named-bad" not in workers
    # A worker that fails later (it closes itself) leaves too, on the glue's event.
    late = JsWorker("onmessage = () => close()", name="named-bad").start()
    await late.ready(timeout=20)
    late.send_message("close")
    from pyodide_waits import wait_until

    await wait_until(lambda: "named-bad" not in workers, timeout=20, what="the failed worker to leave")
    assert late.state == "failed"

    # A name nobody registers: KeyError after the timeout (workers.timeout by default).
    with pytest.raises(KeyError, match="no worker named 'named-nobody' started within 0.2 s"):
        await workers.get("named-nobody", timeout=0.2)
    assert workers.timeout == 30.0
    assert list(workers) == [] and repr(workers) == "<pywebworker.workers []>"


@run_in_pyodide
async def _create_named_worker(selenium, url):
    import asyncio

    from pywebworker import PyWorker, create_named_worker, workers

    waiter = asyncio.ensure_future(workers["named-calc"])  # before it is created
    worker = await create_named_worker(src=url, name="named-calc")
    try:
        assert isinstance(worker, PyWorker) and worker.url == url and worker.state == "running"
        assert await asyncio.wait_for(waiter, 20) is worker
        found = await workers["named-calc"]
        assert await found.exports.add(2, 3) == 5
        found.send_message("hi")
        assert (await found.receive(timeout=20)).read() == "HI"
    finally:
        worker.kill()
    assert "named-calc" not in workers


def test_create_named_worker_from_a_url(selenium_pyww, calc_url):
    _create_named_worker(selenium_pyww, calc_url)
