"""Named workers (``pywebworker/_named.py``) over the fake facade: the registry kept by
start(), kill() and failures, ``await workers[name]`` before and after the start, the
KeyError timeout, and ``create_named_worker``'s arguments. Their twin in real Pyodide is
tests/py/test_named.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import (
    JsWorker,
    PyWorker,
    WorkerKilledError,
    WorkerPool,
    WorkerStartError,
    create_named_worker,
    prestart,
    workers,
)
from pywebworker._named import _pyworker_options
from pywebworker._spares import max_spares

Run = Callable[[Awaitable[Any]], Any]


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    """Every test starts and ends with no named worker (the registry is the module's)."""
    assert list(workers) == []
    timeout = workers.timeout
    yield
    workers.timeout = timeout
    workers._live.clear()  # noqa: SLF001 - a failed test may leave workers behind
    workers._waiting.clear()  # noqa: SLF001


def test_start_registers_and_kill_and_failure_leave(rt: FakeRuntime, run: Run) -> None:
    a = JsWorker("x", name="a")
    assert "a" not in workers  # constructed is not started
    a.start()
    b = PyWorker("pass", name="b").start()
    JsWorker("x").start()  # no name=: not listed (its name is worker-<id>)
    assert list(workers) == ["a", "b"] and len(workers) == 2 and "a" in workers
    assert 1 not in workers  # a name is a str
    assert repr(workers) == "<pywebworker.workers ['a', 'b']>"

    with pytest.raises(ValueError, match="a worker named 'a' is already running"):
        JsWorker("y", name="a").start()
    rt.port(a).say("ready")
    assert run(workers["a"]) is a
    a.kill()
    assert list(workers) == ["b"]
    a2 = JsWorker("y", name="a").start()  # the name is free again
    rt.port(a2).say("ready")
    assert run(workers.get("a", timeout=0)) is a2  # 0: only looks

    rt.port(b).say("failed", error={"name": "ValueError", "message": "no"})  # an event from the glue
    assert list(workers) == ["a"]
    b2 = PyWorker("pass", name="b").start()
    a.kill()  # the old "a" again: the new one keeps its name
    assert list(workers) == ["a", "b"]
    a2.kill()
    b2.kill()
    assert list(workers) == []


def test_lookup_waits_for_the_start_and_the_ready(
    rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop
) -> None:
    w = PyWorker("pass", name="late")
    found: list[Any] = []

    async def look() -> None:
        found.append(await workers["late"])

    task = loop.create_task(look())
    loop.call_later(0.01, w.start)
    loop.call_later(0.02, lambda: rt.port(w).say("started"))
    loop.call_later(0.03, lambda: rt.port(w).say("ready", exports=[]))
    run(task)
    assert found == [w] and w.state == "running"
    assert workers._waiting == {}  # noqa: SLF001 - nothing left behind
    w.kill()


def test_a_name_that_never_appears(rt: FakeRuntime, run: Run) -> None:
    with pytest.raises(KeyError, match=r"no worker named 'nobody' started within 0.05 s"):
        run(workers.get("nobody", timeout=0.05))
    workers.timeout = 0
    with pytest.raises(KeyError, match="'nobody' started within 0 s"):
        run(workers["nobody"])
    assert workers._waiting == {}  # noqa: SLF001
    with pytest.raises(TypeError, match="name must be str, not int"):
        workers[3]  # type: ignore[index]
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        run(workers.get("x", timeout=-1))
    assert repr(workers["x"]) == "<pywebworker.workers['x']>"  # nothing runs until awaited
    with pytest.raises(TypeError, match="name must be str"):
        JsWorker("x", name=b"a")  # type: ignore[arg-type]


def test_waiters_get_the_start_failure_or_the_kill(
    rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop
) -> None:
    async def both() -> list[Any]:
        return await asyncio.gather(workers["f"], workers["f"], return_exceptions=True)

    f = PyWorker("pass", name="f")
    task = loop.create_task(both())
    loop.call_later(0.01, f.start)
    loop.call_later(0.02, lambda: rt.port(f).say("failed", error={"name": "SyntaxError", "message": "bad"}))
    got = run(task)
    assert [type(e) for e in got] == [WorkerStartError, WorkerStartError]
    assert got[0].remote_message == "bad" and "f" not in workers

    k = PyWorker("pass", name="k").start()
    loop.call_later(0.01, k.kill)
    with pytest.raises(WorkerKilledError):
        run(workers["k"])
    assert "k" not in workers


def test_pools_and_spares_are_not_listed(rt: FakeRuntime, run: Run) -> None:
    pool = WorkerPool(2, name="p")
    user = PyWorker("pass", name="p-1").start()  # a pool's worker's name: no collision
    spares = prestart(1)
    assert list(workers) == ["p-1"]
    pool.kill()
    user.kill()
    run(prestart(0))
    spares.cancel()


def test_create_named_worker(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    async def created() -> PyWorker:
        worker = await create_named_worker("calc.py", "calc")
        assert workers._live["calc"] is worker  # noqa: SLF001
        return worker

    task = loop.create_task(created())

    def ready() -> None:
        port = rt.glue.ports[max(rt.glue.ports)]  # type: ignore[union-attr]
        assert port.started_with.url == "calc.py" and port.started_with.name == "calc"
        port.say("started")
        port.say("ready", exports=["add"])

    loop.call_later(0.01, ready)
    worker = run(task)
    assert worker.url == "calc.py" and worker.name == "calc" and worker.state == "running"
    with pytest.raises(ValueError, match="'calc' is already running"):
        run(create_named_worker("other.py", "calc"))
    worker.kill()
    with pytest.raises(TypeError, match="src must be str"):
        run(create_named_worker(None, "x"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        run(create_named_worker("a.py", ""))
    assert list(workers) == []


def test_create_named_worker_options() -> None:
    assert _pyworker_options("a.py", "n", None, "py") == {"url": "a.py", "name": "n"}
    with pytest.raises(ValueError, match='type must be "py"'):
        _pyworker_options("a.py", "n", None, "js")
    assert _pyworker_options("a.py", "n", {"argv": []}, "py") == {"url": "a.py", "name": "n", "config": {"argv": []}}
    assert _pyworker_options("a.py", "n", None, "mpy") == {"url": "a.py", "name": "n", "interpreter": "micropython"}


def test_an_empty_name_is_refused_everywhere(rt: FakeRuntime, run: Run) -> None:
    """Issue 23: name="" was silently "no name" for JsWorker/PyWorker/WorkerPool while
    create_named_worker refused it: one rule now, checked before anything starts."""
    for make in (
        lambda: JsWorker("1", name=""),
        lambda: PyWorker("pass", name=""),
        lambda: WorkerPool(1, name=""),
        lambda: PyWorker("pass").expose(len, name=""),
    ):
        with pytest.raises(ValueError, match="must not be empty"):
            make()
    with pytest.raises(ValueError, match="must not be empty"):
        run(create_named_worker("a.py", ""))
    with pytest.raises(TypeError, match="str or None"):
        PyWorker("pass", name=b"x")  # type: ignore[arg-type]
    assert rt.glue.live_workers() == 0 and list(workers) == []


def test_prestart_is_bounded(rt: FakeRuntime, run: Run) -> None:
    """Issue 23: prestart(200) used to boot 200 Pyodides at once. At most two spares per
    core (the fake host has 3: 6), over every configuration; past it ValueError and
    nothing changes."""
    assert max_spares() == 6
    with pytest.raises(ValueError, match=r"prestart\(200\) would keep 200 .* at most 6"):
        prestart(200)
    assert rt.glue.live_workers() == 0
    kept = prestart(4)
    with pytest.raises(ValueError, match="4 already kept for other configurations"):
        prestart(3, packages=["six"])
    assert rt.glue.live_workers() == 4
    more = prestart(6)  # the same configuration: 6 in all
    assert rt.glue.live_workers() == 6
    run(prestart(0))
    assert rt.glue.live_workers() == 0
    kept.cancel()
    more.cancel()
