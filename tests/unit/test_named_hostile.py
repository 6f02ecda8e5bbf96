"""Named workers (pywebworker/_named.py) used in hostile ways, over the fake facade."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import PyWorker, create_named_worker, workers

Run = Callable[[Awaitable[Any]], Any]


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    assert list(workers) == []
    timeout = workers.timeout
    yield
    workers.timeout = timeout
    workers._live.clear()  # noqa: SLF001 - a failed test may leave workers behind
    workers._waiting.clear()  # noqa: SLF001


def test_a_start_that_raises_does_not_wake_the_lookups(
    rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lookup waiting for a name is not handed a worker whose start() raised (it
    would get "not started: call start() first"): it goes on waiting, and gets the
    worker that takes the name next."""
    broken = PyWorker("pass", name="n")
    monkeypatch.setattr(rt.port(broken), "start_py", lambda options: (_ for _ in ()).throw(OSError("no thread")))
    found: list[Any] = []

    async def look() -> None:
        found.append(await workers.get("n", timeout=2))

    task = loop.create_task(look())

    def start_broken() -> None:
        with pytest.raises(OSError, match="no thread"):
            broken.start()
        assert "n" not in workers

    good = PyWorker("pass", name="n")
    loop.call_later(0.01, start_broken)
    loop.call_later(0.03, good.start)
    loop.call_later(0.04, lambda: rt.port(good).say("ready", exports=[]))
    run(task)
    assert found == [good]
    good.kill()


def test_a_cancelled_lookup_leaves_nothing(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop) -> None:
    async def cancelled() -> None:
        lookups = [asyncio.ensure_future(workers.get("c", timeout=None)) for _ in range(50)]
        await asyncio.sleep(0)
        assert len(workers._waiting["c"]) == 50  # noqa: SLF001
        for lookup in lookups:
            lookup.cancel()
        await asyncio.gather(*lookups, return_exceptions=True)

    run(cancelled())
    assert workers._waiting == {}  # noqa: SLF001


def test_many_waiters_then_a_kill_then_the_name_again(
    rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop
) -> None:
    async def many() -> list[Any]:
        return await asyncio.gather(*(workers["k"] for _ in range(20)), return_exceptions=True)

    first = PyWorker("pass", name="k")
    task = loop.create_task(many())
    loop.call_later(0.01, first.start)
    loop.call_later(0.02, first.kill)
    got = run(task)
    assert {type(e).__name__ for e in got} == {"WorkerKilledError"}
    second = PyWorker("pass", name="k").start()  # at once: the name is free
    rt.port(second).say("ready", exports=[])
    assert run(workers["k"]) is second
    second.kill()
    assert list(workers) == [] and workers._waiting == {}  # noqa: SLF001


def test_a_cancelled_create_named_worker_frees_the_name(rt: FakeRuntime, run: Run) -> None:
    """``asyncio.wait_for(create_named_worker(...), t)`` that times out: the caller never
    got the worker, so it is killed and its name is free for the retry."""
    with pytest.raises(TimeoutError):
        run(asyncio.wait_for(create_named_worker("slow.py", "calc"), 0.05))
    assert list(workers) == []
    port = rt.glue.ports[max(rt.glue.ports)]  # type: ignore[union-attr]
    assert port.state() == "killed"
    retry = asyncio.ensure_future(create_named_worker("slow.py", "calc"))
    run(asyncio.sleep(0))
    rt.glue.ports[max(rt.glue.ports)].say("ready", exports=[])  # type: ignore[union-attr]
    worker = run(retry)
    assert workers._live == {"calc": worker}  # noqa: SLF001
    worker.kill()
