"""Calls (_client.CallClient, _server.CallServer) through a real JsWorker on stub ports,
under plain CPython: the stub stands for the host glue and the C core's call table."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pywebworker import JsWorker, NotExportedError, RemoteError, WorkerKilledError, _js, _worker
from pywebworker._constants import CALL_STAT_NAMES, ERRORS
from pywebworker._errors import from_core
from pywebworker._ports import HostEvents, State
from pywebworker._wire import Batch, read_batch, unpack

_ids = itertools.count(1)


class StubPort:
    """A ``WorkerPort`` with just enough of the core: a state, the call table (ids,
    pending, counters), and what was posted."""

    def __init__(self, events: HostEvents) -> None:
        self.id = next(_ids)
        self.events = events
        self._state: State = "created"
        self.exports: list[str] | None = None
        self.next_call = 0
        self.pending: set[int] = set()
        self.stats = dict.fromkeys(CALL_STAT_NAMES, 0)
        self.posted: list[tuple[int, str, list[Any]]] = []  # (id, name, args)
        self.replied: list[str] = []  # texts of the returns batches
        self.fail_replies = 0  # how many replies() calls raise first

    # -- WorkerPort --------------------------------------------------------------
    def state(self) -> State:
        return self._state

    def start_js(self, script: str | None, url: str | None, type: str, name: str) -> None:  # noqa: A002
        self._state = "starting"

    def kill(self) -> int:
        if self._state in ("created", "starting", "running"):
            self._state = "killed"
            for call_id in list(self.pending):
                self.call_cancel(call_id)
            self.events.state(self.id)
        return 0

    def destroy(self) -> None:
        pass

    def watch(self, on: bool) -> None:
        pass

    def export_names(self) -> list[str] | None:
        return self.exports

    def is_ready(self) -> bool:
        return self.exports is not None

    def failure(self) -> None:
        return None

    def call_begin(self) -> int:
        if self._state in ("killed", "failed"):
            raise from_core(ERRORS["ESTATE"][0], "call")
        self.next_call += 1
        self.pending.add(self.next_call)
        self.stats["begun"] += 1
        return self.next_call

    def call_send(self, call_id: int, name: str, args: str, bufs: list[bytes]) -> None:
        if self._state != "running":
            raise from_core(ERRORS["ESTATE"][0], "call")
        self.posted.append((call_id, name, unpack(args, bufs)))

    def call(self, name: str, args: str, bufs: list[bytes]) -> int:
        call_id = self.call_begin()
        self.call_send(call_id, name, args, bufs)
        return call_id

    def call_cancel(self, call_id: int) -> bool:
        if call_id not in self.pending:
            return False
        self.pending.discard(call_id)
        self.stats["cancelled"] += 1
        return True

    def call_stats(self) -> dict[str, int]:
        return {**self.stats, "pending": len(self.pending)}

    def replies(self, batch: Batch) -> None:
        if self.fail_replies:
            self.fail_replies -= 1
            raise RuntimeError("DataCloneError: cannot post")
        self.replied.append(batch.text())

    # -- what the worker does ----------------------------------------------------
    def ready(self, names: list[str]) -> None:
        self._state = "running"
        self.exports = names
        self.events.state(self.id)

    def answer(self, items: list[list[Any]], bufs: list[list[bytes]] | None = None) -> None:
        """A ``returns`` batch, ended in the core as the glue does (late ids listed)."""
        late = set()
        for item in items:
            if item[0] in self.pending:
                self.pending.discard(item[0])
                self.stats["ended"] += 1
            else:
                self.stats["late"] += 1
                late.add(item[0])
        self.events.returns(self.id, json.dumps(items), bufs or [], late)


class StubGlue:
    def __init__(self, events: HostEvents) -> None:
        self.events = events
        self.ports: list[StubPort] = []

    def create(self, kind: int) -> StubPort:
        port = StubPort(self.events)
        self.ports.append(port)
        return port


class StubRuntime:
    def __init__(self) -> None:
        self.glue: StubGlue | None = None

    def host(self, events: HostEvents) -> StubGlue:
        if self.glue is None:
            self.glue = StubGlue(events)
        return self.glue

    def set_timeout(self, fn: Callable[[], None], seconds: float) -> Callable[[], None]:
        return asyncio.get_running_loop().call_later(seconds, fn).cancel


@pytest.fixture(autouse=True)
def stub_runtime() -> Iterator[StubRuntime]:
    rt = StubRuntime()
    old = _js.install(rt)  # type: ignore[arg-type]
    try:
        yield rt
    finally:
        _js.install(old)


def port_of(w: JsWorker) -> StubPort:
    port = w._port
    assert isinstance(port, StubPort)
    return port


async def from_event(fn: Callable[[], None]) -> None:
    """Run ``fn`` as a JS event would: a loop callback with no task running."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def event() -> None:
        try:
            fn()
        finally:
            done.set_result(None)

    loop.call_soon(event)
    await done


async def ready_worker(*names: str) -> tuple[JsWorker, StubPort]:
    w = JsWorker("stub").start()
    port = port_of(w)
    await from_event(lambda: port.ready(list(names)))
    return w, port


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- the client ----------------------------------------------------------------------
def test_a_call_before_ready_is_begun_then_sent() -> None:
    async def main() -> None:
        w = JsWorker("stub").start()
        port = port_of(w)
        task = w.call("add", 1, 2)
        await asyncio.sleep(0)
        assert port.call_stats()["pending"] == 1 and port.posted == []  # begun, not sent
        await from_event(lambda: port.ready(["add"]))
        for _ in range(3):
            await asyncio.sleep(0)
        assert port.posted == [(1, "add", [1, 2])]
        await from_event(lambda: port.answer([[1, 1, 3, -1]]))
        assert await task == 3
        assert port.call_stats() == {"pending": 0, "begun": 1, "ended": 1, "cancelled": 0, "late": 0}

    run(main())


def test_a_call_before_ready_to_a_name_not_exported_is_cancelled() -> None:
    async def main() -> None:
        w = JsWorker("stub").start()
        port = port_of(w)
        task = w.call("nope")
        await asyncio.sleep(0)
        await from_event(lambda: port.ready(["add", "mul"]))
        with pytest.raises(NotExportedError, match="exported: add, mul") as info:
            await task
        assert info.value.exported == ["add", "mul"]
        assert port.call_stats()["cancelled"] == 1 and port.posted == []

    run(main())


def test_not_exported_is_raised_by_the_await_and_names_the_exports() -> None:
    async def main() -> None:
        w, port = await ready_worker("add")
        with pytest.raises(NotExportedError, match="'sub' is not exported by the worker; exported: add"):
            await w.call("sub", 1)
        with pytest.raises(AttributeError):
            w.exports.sub  # noqa: B018
        assert dir(w.exports) == ["add"] and port.posted == []

    run(main())


def test_timeout_cancels_in_the_core_and_a_late_reply_is_dropped() -> None:
    async def main() -> None:
        w, port = await ready_worker("slow")
        with pytest.raises(TimeoutError, match="slow\\(\\) timed out"):
            await w.call("slow", timeout=0.01)
        assert port.call_stats()["cancelled"] == 1 and port.pending == set()
        await from_event(lambda: port.answer([[1, 1, 5, -1]]))  # late: counted, dropped
        assert port.call_stats()["late"] == 1

    run(main())


def test_a_cancelled_await_cancels_the_call() -> None:
    async def main() -> None:
        w, port = await ready_worker("f")
        fut = w.call("f")
        assert port.pending == {1}
        fut.cancel()
        await asyncio.sleep(0)
        assert port.pending == set() and port.call_stats()["cancelled"] == 1

    run(main())


def test_kill_rejects_every_pending_call() -> None:
    async def main() -> None:
        w, port = await ready_worker("f")
        futs = [w.call("f", i) for i in range(3)]
        w.kill()
        for fut in futs:
            with pytest.raises(WorkerKilledError):
                await fut
        assert port.call_stats()["cancelled"] == 3
        with pytest.raises(WorkerKilledError):
            await w.call("f")

    run(main())


def test_late_ids_are_dropped() -> None:
    async def main() -> None:
        w, port = await ready_worker("f")
        fut = w.call("f")
        # The glue says id 1 is late (the core had given it up): its reply is dropped.
        await from_event(lambda: w.settle_batch("[[1,1,2,-1]]", [], {1}))
        assert not fut.done()
        await from_event(lambda: w.settle_batch("[[1,1,2,-1]]", [], set()))
        assert fut.result() == 2

    run(main())


def test_1000_replies_settle_in_one_batch_before_it_returns() -> None:
    async def main() -> None:
        w, port = await ready_worker("sq")
        futs = [w.call("sq", i) for i in range(1000)]
        assert len(port.posted) == 1000
        items: list[list[Any]] = [[call_id, 1, args[0] ** 2, -1] for call_id, _, args in port.posted]
        items[500] = [items[500][0], 0, {"name": "ValueError", "message": "no", "stack": "tb"}, -1]
        await from_event(lambda: port.answer(items))
        assert all(fut.done() for fut in futs)  # no loop turn needed
        assert futs[0].result() == 0 and futs[999].result() == 999**2
        err = futs[500].exception()
        assert isinstance(err, RemoteError) and (err.remote_type, err.remote_message) == ("ValueError", "no")
        assert port.call_stats()["pending"] == 0

    run(main())


def test_replies_with_bytes_and_one_that_does_not_decode() -> None:
    async def main() -> None:
        w, port = await ready_worker("f")
        a, b = w.call("f", b"in"), w.call("f")
        assert port.posted[0] == (1, "f", [b"in"])
        text = '[[1,1,"[{\\"\\\\u0000b\\":0}]",0],[2,1,' + "9" * 5000 + ",-1]]"
        await from_event(lambda: w.settle_batch(text, [[b"out"]], set()))
        assert a.result() == [b"out"]
        assert isinstance(b.exception(), ValueError)  # this call fails, and only it

    run(main())


# -- the server ----------------------------------------------------------------------
def items_of(text: str) -> dict[int, list[Any]]:
    return {item[0]: item for item in read_batch(text, lambda i, e: None)}


def test_sync_exports_share_one_returns_and_async_ones_answer_alone() -> None:
    async def main() -> None:
        w, port = await ready_worker()

        @w.expose
        def add(a: int, b: int) -> int:
            return a + b

        @w.expose(name="later")
        async def later_one(x: str) -> str:
            await asyncio.sleep(0)
            return x * 2

        calls = '[[1,"add",[1,2],-1],[2,"later",["ab"],-1],[3,"add",[3,4],-1]]'
        await from_event(lambda: w.on_calls(calls, []))
        assert len(port.replied) == 1
        assert items_of(port.replied[0]) == {1: [1, 1, 3, -1], 3: [3, 1, 7, -1]}
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(port.replied) == 2 and items_of(port.replied[1]) == {2: [2, 1, "abab", -1]}

    run(main())


def test_system_exit_and_unknown_names_become_error_items() -> None:
    async def main() -> None:
        w, port = await ready_worker()

        @w.expose
        def leave() -> None:
            raise SystemExit(3)

        @w.expose
        def echo(x: Any) -> Any:
            return x

        calls = '[[1,"leave",[],-1],[2,"nope",[],-1],[3,"echo","[{\\"\\\\u0000b\\":0}]",0]]'
        await from_event(lambda: w.on_calls(calls, [[b"raw"]]))
        got = items_of(port.replied[0])
        assert got[1][1] == 0 and got[1][2]["name"] == "SystemExit"
        assert got[2][1] == 0 and got[2][2]["name"] == "NotExportedError"
        assert got[2][2]["message"] == "'nope' is not exposed by the host; exposed: echo, leave"
        assert got[3][1] == 1 and got[3][3] == 0
        assert w.state == "running"

    run(main())


def test_a_result_that_cannot_be_sent_fails_only_its_call() -> None:
    async def main() -> None:
        w, port = await ready_worker()
        w.expose(lambda: 2**60, name="big")  # a JsWorker cannot hold it exactly
        w.expose(lambda: "ok", name="fine")
        await from_event(lambda: w.on_calls('[[1,"big",[],-1],[2,"fine",[],-1]]', []))
        got = items_of(port.replied[0])
        assert got[1][2]["name"] == "PayloadError" and "the result of big()" in got[1][2]["message"]
        assert got[2] == [2, 1, "ok", -1]

    run(main())


def test_replies_that_cannot_be_posted_answer_each_call_with_the_error() -> None:
    async def main() -> None:
        w, port = await ready_worker()
        w.expose(lambda: b"x", name="f")
        port.fail_replies = 1
        await from_event(lambda: w.on_calls('[[1,"f",[],-1],[2,"f",[],-1]]', []))
        got = items_of(port.replied[0])
        assert sorted(got) == [1, 2]
        assert all(item[1] == 0 and "cannot post" in item[2]["message"] for item in got.values())

    run(main())


def test_events_for_unknown_workers_are_ignored() -> None:
    _worker._events.returns(10**9, "[]", [], set())
    _worker._events.calls(10**9, "[]", [])
    _worker._events.state(10**9)


def test_import_touches_no_javascript() -> None:
    import subprocess
    import sys

    code = "import sys, pywebworker, pywebworker._boot; assert not {'js', 'pyodide', 'pyodide_js'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
