"""WorkerPool's scheduling against the fake glue: the test plays the workers, running
each task for real (cloudpickle, as ``_task.run_task`` does) when it chooses to."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Awaitable, Callable
from typing import Any

import cloudpickle
import pytest
from fakejs import FakeRuntime, FakeWorkerPort

from pywebworker import (
    PayloadError,
    QueueFullError,
    RemoteError,
    WorkerFailedError,
    WorkerKilledError,
    WorkerPool,
    WorkerStartError,
    WorkerStateError,
)
from pywebworker import _pool as pool_mod
from pywebworker._blocking import BlockingError
from pywebworker._constants import STATE_KILLED
from pywebworker._errors import RemoteTraceback
from pywebworker._task import as_wire, from_wire

Run = Callable[[Awaitable[Any]], Any]
Turn = Callable[[], None]
TASK = "__pww_task__"


class Workers:
    """Plays a pool's workers: boots them, and answers their task calls on demand."""

    def __init__(self, rt: FakeRuntime, pool: WorkerPool) -> None:
        self.rt, self.pool = rt, pool
        self.answered: set[tuple[int, int]] = set()  # (worker id, call id)

    def ports(self) -> list[FakeWorkerPort]:
        return [self.rt.port(w) for w in self.pool.workers]

    def boot(self) -> None:
        for port in self.ports():
            if port.spawned and not port.ready:
                port.say("started")
                port.say("ready", exports=[TASK, "add"])

    def calls(self, port: FakeWorkerPort) -> list[tuple[int, str, Any]]:
        """Calls posted to ``port`` and not answered yet: (id, name, blob or args)."""
        out = []
        for post in port.posted:
            if post.type != "calls":
                continue
            for item in json.loads(post.data):
                if (port.id, item[0]) in self.answered:
                    continue
                if item[1] == TASK:  # a small pickle as base64 text, a large one as bytes
                    out.append((item[0], item[1], from_wire(item[2][0] if item[3] < 0 else post.bufs[item[3]][0])))
                else:
                    out.append((item[0], item[1], item[2]))
        return out

    def finish(self, port: FakeWorkerPort) -> None:
        """Run the oldest unanswered call of ``port`` and answer it."""
        call_id, name, payload = self.calls(port)[0]
        self.answered.add((port.id, call_id))
        if name != TASK:
            port.answer([[call_id, 1, sum(payload), -1]])
            return
        fn, args, kwargs = cloudpickle.loads(payload)
        try:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result):  # run_chunk: finishes at once for plain functions
                try:
                    result.send(None)
                except StopIteration as stop:
                    result = stop.value
                else:
                    raise AssertionError("the fake workers run only tasks that finish at once")
        except Exception as exc:
            port.answer([[call_id, 0, {"name": type(exc).__name__, "message": str(exc), "stack": "tb"}, -1]])
            return
        wire = as_wire(cloudpickle.dumps(result))
        if isinstance(wire, str):
            port.answer([[call_id, 1, wire, -1]])
        else:
            port.answer([[call_id, 1, '{"\\u0000b":0}', 0]], bufs=[[wire]])

    def busy(self) -> list[int]:
        return [len(self.calls(p)) for p in self.ports()]

    async def serve(self, until: asyncio.Future[Any]) -> Any:
        """Boot and answer everything until ``until`` is done; return its result."""
        while not until.done():
            self.boot()
            for port in self.ports():
                if self.calls(port):
                    self.finish(port)
            await asyncio.sleep(0)
        return until.result()


def make(rt: FakeRuntime, size: int = 2, **kwargs: Any) -> tuple[WorkerPool, Workers]:
    pool = WorkerPool(size, **kwargs)
    return pool, Workers(rt, pool)


def test_one_task_per_worker_the_rest_wait_in_order(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt)
    futs = [pool.submit(lambda x: x * 10, i) for i in range(5)]
    turn()
    assert workers.busy() == [0, 0] and pool.queued == 5  # nothing goes before ready
    workers.boot()
    turn()
    assert workers.busy() == [1, 1] and pool.queued == 3 and pool.busy == 2
    first = workers.ports()[0]
    workers.finish(first)
    turn()
    assert run(futs[0]) == 0
    assert workers.busy() == [1, 1] and pool.queued == 2  # the freed worker took the next
    assert run(workers.serve(asyncio.ensure_future(asyncio.gather(*futs)))) == [0, 10, 20, 30, 40]
    assert pool.done == 5 and pool.failed == 0
    assert all(p.started_with.tasks for p in workers.ports())  # type: ignore[union-attr]


def test_map_chunks_in_order_and_defaults(rt: FakeRuntime, run: Run) -> None:
    pool, workers = make(rt)
    fut = asyncio.ensure_future(pool.map(lambda x: -x, range(10)))
    assert run(workers.serve(fut)) == [-x for x in range(10)]
    assert pool.done == 5  # ceil(10 / (4 * 2)) = 2 items a chunk
    fut = asyncio.ensure_future(pool.map(str, [1, 2, 3], chunksize=10))
    assert run(workers.serve(fut)) == ["1", "2", "3"]
    assert run(pool.map(str, [])) == []
    assert WorkerPool().size == 2  # the fake host has 3 cores: one is left to the host


def test_exceptions_refusals_and_the_executor(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    import threading

    pool, workers = make(rt, 1)
    with pytest.raises(PayloadError, match="cannot send"):
        pool.submit(len, threading.Lock())
    with pytest.raises(TypeError, match="callable"):
        pool.submit(42)
    assert pool.queued == 0
    bad = pool.submit(lambda: 1 / 0)
    with pytest.raises(RemoteError, match="ZeroDivisionError"):
        run(workers.serve(bad))
    assert pool.failed == 1 and pool.replaced == 0
    ex = pool.executor
    cf = ex.submit(pow, 2, 5)
    assert isinstance(cf, concurrent.futures.Future)
    with pytest.raises(BlockingError, match=r"cannot block.*await asyncio.wrap_future\(future\)"):
        cf.result()  # plain CPython: no JSPI (RuntimeError too, as before)
    assert run(workers.serve(asyncio.wrap_future(cf))) == 32
    with pytest.raises(RuntimeError, match=r"await pool.map\(fn, items\)"):
        ex.map(abs, [1])
    assert pool.queued == 0  # nothing submitted
    err = ex.submit(divmod, 1, 0)  # the task's own exception, with the worker's traceback as cause
    with pytest.raises(ZeroDivisionError) as info:
        run(workers.serve(asyncio.wrap_future(err)))
    assert isinstance(info.value.__cause__, RemoteTraceback) and "ZeroDivisionError" in str(info.value.__cause__)


def test_the_executor_keeps_the_concurrent_futures_contract(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    """CPython's test_concurrent_futures cases that need no blocking: a future is
    running once a worker has it and cannot be cancelled then; a pending one can, and
    leaves the pool's queue; shutdown(cancel_futures=True) cancels the pending ones
    (test_cancel_futures) and lets the running one finish; submit after shutdown raises
    RuntimeError (test_run_after_shutdown); a cancelled submit before shutdown does not
    hang it (test_hang_gh94440)."""
    pool, workers = make(rt, 1)
    workers.boot()
    turn()
    ex = pool.executor
    first = ex.submit(pow, 2, 5)
    assert first.running() and not first.cancel()  # a worker has it
    pending = [ex.submit(pow, 2, i) for i in range(5)]
    assert not any(f.running() or f.done() for f in pending) and pool.queued == 5
    assert pending[0].cancel() and pending[0].cancelled()
    turn()
    assert pool.queued == 4  # its pool task went with it
    ex.shutdown(wait=False, cancel_futures=True)
    assert all(f.cancelled() for f in pending) and pool.queued == 0
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        ex.submit(pow, 2, 2)
    assert run(workers.serve(asyncio.wrap_future(first))) == 32 and not first.cancelled()
    assert pool.state in ("closing", "closed")
    with pytest.raises(RuntimeError):  # the pool itself, closed: WorkerStateError is a RuntimeError
        pool.submit(abs, 1)

    pool, workers = make(rt, 1)
    workers.boot()
    turn()
    ex = pool.executor
    assert run(workers.serve(asyncio.wrap_future(ex.submit(int)))) == 0
    ex.submit(int).cancel()
    ex.shutdown(wait=True)
    run(workers.serve(asyncio.ensure_future(pool.close())))
    assert pool.state == "closed"

    pool, workers = make(rt, 1)  # killed: the pending future fails, as a pool task does
    queued = pool.executor.submit(abs, -1)
    pool.kill()
    turn()
    assert isinstance(queued.exception(timeout=0), WorkerKilledError)


def test_cancel_backpressure_and_imap_unordered(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt, 1, max_pending=2)
    workers.boot()
    turn()
    running = pool.submit(abs, -1)
    queued = [pool.submit(abs, -2), pool.submit(abs, -3)]
    with pytest.raises(QueueFullError, match="max_pending=2"):
        pool.submit(abs, -4)
    queued[0].cancel()
    later = pool.submit(abs, -5)  # a cancelled task leaves room
    assert run(workers.serve(asyncio.ensure_future(asyncio.gather(running, queued[1], later)))) == [1, 3, 5]
    posted = [c for post in workers.ports()[0].posted if post.type == "calls" for c in json.loads(post.data)]
    assert len(posted) == 3  # the cancelled task never went to the worker

    async def first_two() -> list[int]:
        got = []
        async for r in pool.imap_unordered(lambda x: x, range(100)):
            got.append(r)
            if len(got) == 2:
                break
        return got

    served = asyncio.ensure_future(first_two())
    assert len(run(workers.serve(served))) == 2
    turn()
    assert pool.queued == 0  # leaving the loop cancelled the rest


def test_close_finishes_queued_work_kill_does_not(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt, 1)
    workers.boot()
    futs = [pool.submit(abs, -i) for i in range(3)]
    closed = pool.close()
    assert pool.state == "closing"
    with pytest.raises(WorkerStateError, match="closing"):
        pool.submit(abs, 1)
    assert run(workers.serve(asyncio.ensure_future(asyncio.gather(*futs)))) == [0, 1, 2]
    run(closed)
    assert pool.state == "closed" and all(w.state == "killed" for w in pool.workers)

    pool, workers = make(rt, 1)
    workers.boot()
    futs = [pool.submit(abs, -i) for i in range(3)]
    turn()
    pool.kill()
    for f in futs:
        with pytest.raises(WorkerKilledError):
            run(f)
    assert pool.state == "killed" and rt.glue.live_workers() == 0
    pool.kill()  # again: nothing changes
    run(pool.close())


def test_a_crash_fails_the_task_or_retries_and_the_worker_is_replaced(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt, 1)
    workers.boot()
    task = pool.submit(abs, -1)
    turn()
    first = workers.ports()[0]
    first.say("failed", error={"name": "RuntimeError", "message": "gone", "stack": ""})
    with pytest.raises(WorkerFailedError, match="gone"):
        run(task)
    assert pool.replaced == 1 and workers.ports()[0] is not first
    retried = pool.apply(abs, (-2,), retries=1)
    workers.boot()
    turn()
    pool.workers[0].kill()  # killed under the task: it runs again in the replacement
    turn()
    assert run(workers.serve(retried)) == 2
    assert pool.replaced == 2


def test_abandon_drops_a_queued_task_and_replaces_a_running_ones_worker(
    rt: FakeRuntime, run: Run, turn: Turn
) -> None:
    # The joblib backend's abort (WorkerPool._abandon), through the executor's futures.
    pool, workers = make(rt, 2)
    workers.boot()
    ex = pool.executor
    running, other, queued = ex.submit(abs, -1), ex.submit(abs, -2), ex.submit(abs, -3)
    turn()
    assert running.running() and other.running() and not queued.running() and pool.queued == 1
    first = pool.workers[0]
    pool._abandon(queued._task)  # noqa: SLF001
    turn()
    assert queued.cancelled() and pool.queued == 0 and pool.replaced == 0
    pool._abandon(running._task)  # noqa: SLF001
    assert first.state == "killed" and pool.workers[0] is not first and pool.replaced == 1
    with pytest.raises(WorkerFailedError):
        run(asyncio.wrap_future(running))
    pool._abandon(running._task)  # noqa: SLF001 - done: nothing more
    assert pool.replaced == 1
    assert run(workers.serve(asyncio.wrap_future(other))) == 2  # the other worker went on
    assert run(workers.serve(asyncio.wrap_future(ex.submit(abs, -4)))) == 4


def test_a_timeout_replaces_the_worker(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt, 1)
    workers.boot()
    first = pool.workers[0]
    with pytest.raises(TimeoutError, match="killed and replaced"):
        run(pool.apply(abs, (-1,), timeout=0.01))
    assert first.state == "killed" and pool.replaced == 1
    assert run(workers.serve(pool.submit(abs, -3))) == 3


def test_a_worker_that_cannot_start_breaks_the_pool(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt, 2)
    queued = pool.submit(abs, -1)
    workers.ports()[1].say("failed", error={"name": "ValueError", "message": "bad script", "stack": ""})
    turn()
    with pytest.raises(WorkerStartError, match="bad script"):
        run(pool.ready())
    with pytest.raises(WorkerStartError, match="bad script"):
        run(queued)
    assert pool.state == "closed" and all(w.state in ("killed", "failed") for w in pool.workers)
    with pytest.raises(WorkerStateError):
        pool.submit(abs, 1)


def test_a_replacement_killed_while_it_starts_is_replaced_again(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    """Issue 23: a replacement killed (or crashing) before it was ready no longer stops
    the pool for good; MAX_LOST_STARTS lost starts in a row in one slot still do."""
    pool, workers = make(rt, 1)
    workers.boot()
    turn()
    task = pool.submit(abs, -1)
    turn()
    workers.ports()[0].say("failed", error={"name": "RuntimeError", "message": "gone", "stack": ""})
    with pytest.raises(WorkerFailedError):
        run(task)
    assert pool.replaced == 1
    pool.workers[0].kill()  # the replacement, while it starts
    turn()
    workers.ports()[0].say("failed", error={"name": "RuntimeError", "message": "crashed", "stack": ""})
    turn()  # the next one crashes while it starts: a start failure, but the pool's script is known good
    assert pool.replaced == 3 and pool.state == "running"
    assert run(workers.serve(pool.submit(abs, -7))) == 7
    assert run(pool.ready()) is pool

    pool.workers[0].kill()  # idle: replaced when the next task comes
    waiting = pool.submit(abs, -8)
    turn()
    assert pool.replaced == 4
    for _ in range(pool_mod.MAX_LOST_STARTS):  # lost in a row, never ready: the pool gives up
        pool.workers[0].kill()
        turn()
    with pytest.raises(WorkerKilledError, match="before it was ready"):
        run(waiting)
    with pytest.raises(WorkerStateError, match="could not start its workers"):
        pool.submit(abs, 1)

    pool, workers = make(rt, 2)  # killed before the pool was ever ready: replaced too
    pool.workers[1].kill()
    turn()
    assert pool.replaced == 1
    assert run(workers.serve(asyncio.ensure_future(pool.ready()))) is pool


def test_call_an_export_and_the_html_view(rt: FakeRuntime, run: Run) -> None:
    pool, workers = make(rt, 1, name="<b>pool</b>")
    assert run(workers.serve(pool.call("add", 2, 3))) == 5
    html = pool._repr_html_()
    assert "&lt;b&gt;pool&lt;/b&gt;" in html and "<b>pool</b>" not in html
    assert "done 1" in html
    assert repr(pool) == "<WorkerPool '<b>pool</b>' running size=1 busy=0 queued=0 done=1 failed=0>"


def test_with_shared_memory_a_timeout_interrupts_first(
    rt: FakeRuntime, run: Run, turn: Turn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pywebworker import _pool

    monkeypatch.setattr(_pool, "INTERRUPT_GRACE", 0.05)
    pool, workers = make(rt, 1)
    workers.boot()
    port = workers.ports()[0]
    port.shared = True
    # The task answers the interrupt (KeyboardInterrupt): a timeout, the worker kept, and
    # the interrupt flag cleared so that it cannot hit the next task.
    task = pool.apply(abs, (-1,), timeout=0.01)
    turn()
    run(asyncio.sleep(0.03))
    assert port.signals == [2]
    (call_id, _, _), = workers.calls(port)
    workers.answered.add((port.id, call_id))
    port.answer([[call_id, 0, {"name": "KeyboardInterrupt", "message": "", "stack": ""}, -1]])
    with pytest.raises(TimeoutError, match="interrupted"):
        run(task)
    assert port.signals == [2, 0] and pool.workers[0].id == port.id and pool.replaced == 0
    # No answer within the grace period: killed and replaced.
    task = pool.apply(abs, (-1,), timeout=0.01)
    with pytest.raises(TimeoutError, match="killed and replaced"):
        run(task)
    assert pool.replaced == 1 and port.core_worker.state == STATE_KILLED


def test_small_pickles_travel_as_text_large_ones_as_bytes(rt: FakeRuntime, run: Run, turn: Turn) -> None:
    pool, workers = make(rt, 1)
    workers.boot()
    turn()
    small, large = pool.submit(len, b"x" * 10), pool.submit(bytes, 100_000)
    turn()
    (post,) = [p for p in workers.ports()[0].posted if p.type == "calls"]
    assert post.bufs == []  # the small one went as text
    assert run(workers.serve(small)) == 10
    assert run(workers.serve(large)) == bytes(100_000)  # its result came back as bytes
    big_arg = pool.submit(len, b"y" * 100_000)
    turn()
    last = [p for p in workers.ports()[0].posted if p.type == "calls"][-1]
    assert len(last.bufs) == 1  # transferred as bytes
    assert run(workers.serve(big_arg)) == 100_000
