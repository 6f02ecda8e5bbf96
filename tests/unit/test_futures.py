"""_futures.resolve_now: the fast path on Future._callbacks and its fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pywebworker import _futures
from pywebworker._futures import fast_path, resolve_now


def results(force_fallback: bool) -> list[str]:
    log: list[str] = []
    holder: dict[str, Any] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        futs = [loop.create_future() for _ in range(3)]
        if force_fallback:
            _futures._fast_types[type(futs[0])] = False
        for i, fut in enumerate(futs):
            fut.add_done_callback(lambda f, i=i: log.append(f"cb{i}"))

            async def waiter(f: asyncio.Future[Any] = fut, i: int = i) -> None:
                try:
                    log.append(f"task{i}={await f}")
                except ValueError as exc:
                    log.append(f"task{i}!{exc}")

            holder[f"t{i}"] = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)  # the waiters now wait
        done = loop.create_future()

        def event() -> None:
            resolve_now([(futs[0], True, "a"), (futs[1], False, ValueError("b")), (futs[2], True, "c")])
            log.append("returned")
            done.set_result(None)

        loop.call_soon(event)
        await done
        await asyncio.gather(*(holder[f"t{i}"] for i in range(3)))

    try:
        asyncio.run(main())
    finally:
        _futures._fast_types.clear()
    return log


def test_fast_path_and_fallback_give_the_same_results_in_the_same_order() -> None:
    fast = results(force_fallback=False)
    slow = results(force_fallback=True)
    # Fast: every callback (and the woken tasks) ran before resolve_now returned.
    # Fallback: all of them after, scheduled by asyncio.
    assert fast[-1] == "returned"
    assert slow[0] == "returned"
    assert [x for x in fast if x != "returned"] == [x for x in slow if x != "returned"]
    assert [x for x in fast if x != "returned"] == ["cb0", "task0=a", "cb1", "task1!b", "cb2", "task2=c"]


class Bare:
    """A future-like type whose callbacks are not in ``_callbacks``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.cbs: list[Any] = []
        self.loop = loop

    def add_done_callback(self, cb: Any) -> None:
        self.cbs.append(cb)

    def remove_done_callback(self, cb: Any) -> int:
        n = self.cbs.count(cb)
        self.cbs = [c for c in self.cbs if c is not cb]
        return n

    def cancel(self) -> bool:
        return True

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self.loop


def test_probe() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert fast_path(loop.create_future()) is True  # the C Future of this CPython
        py_future = asyncio.futures._PyFuture(loop=loop)  # type: ignore[attr-defined]
        assert fast_path(py_future) is True
        assert fast_path(Bare(loop)) is False  # type: ignore[arg-type]

    try:
        asyncio.run(main())
    finally:
        _futures._fast_types.clear()


def test_inside_a_task_it_falls_back() -> None:
    log: list[str] = []

    async def main() -> None:
        fut = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: log.append("cb"))
        resolve_now([(fut, True, 1)])  # a task is running: callbacks are scheduled
        log.append("returned")
        await asyncio.sleep(0)
        assert fut.result() == 1

    asyncio.run(main())
    assert log == ["returned", "cb"]


def test_a_callback_exception_reaches_the_loop_handler() -> None:
    log: list[str] = []
    seen: list[dict[str, Any]] = []

    def boom(f: asyncio.Future[Any]) -> None:
        raise KeyError("boom")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda lp, ctx: seen.append(ctx))
        futs = [loop.create_future(), loop.create_future()]
        futs[0].add_done_callback(boom)
        futs[1].add_done_callback(lambda f: log.append("second"))
        done = loop.create_future()

        def event() -> None:
            resolve_now([(futs[0], True, 0), (futs[1], True, 1)])
            log.append("returned")
            done.set_result(None)

        loop.call_soon(event)
        await done

    asyncio.run(main())
    assert log == ["second", "returned"]
    assert len(seen) == 1 and isinstance(seen[0]["exception"], KeyError)


def test_nothing_to_settle() -> None:
    resolve_now([])


@pytest.mark.parametrize("ok", [True, False])
def test_outside_any_loop_it_settles_plainly(ok: bool) -> None:
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()
        value: Any = 5 if ok else ValueError("x")
        resolve_now([(fut, ok, value)])
        assert (fut.result() == 5) if ok else isinstance(fut.exception(), ValueError)
    finally:
        loop.close()
