"""``snapshot=`` of ``WorkerPool`` and ``prestart`` (issue 16): what reaches the glue
(``PyStart.snapshot``) for every worker a pool starts or replaces and for every spare,
and that a PyWorker takes only a spare of its own setting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import PyWorker, WorkerFailedError, WorkerPool, prestart, set_snapshots
from pywebworker._ports import PyStart
from pywebworker._spares import _live, _Spare, _wanted, key

Run = Callable[[Awaitable[Any]], Any]
Turn = Callable[[], None]


def started(rt: FakeRuntime, worker: PyWorker) -> PyStart:
    options = rt.port(worker).started_with
    assert isinstance(options, PyStart)
    return options


def spares(snapshot: bool) -> list[_Spare]:
    return _live(key(PyWorker("", snapshot=snapshot)._options()))  # noqa: SLF001


def warm(rt: FakeRuntime, snapshot: bool) -> None:
    """Play the spares of that setting: Pyodide loaded, waiting for a script."""
    for spare in spares(snapshot):
        rt.port(spare).say("started")
        rt.port(spare).say("warm")


@pytest.fixture
def no_spares(rt: FakeRuntime, run: Run) -> Iterator[None]:
    """The spare registry is the module's: each test leaves none kept."""
    yield
    for snapshot in (True, False):
        run(prestart(0, snapshot=snapshot))
    assert not any(_wanted.values())


def test_a_pool_starts_and_replaces_its_workers_with_its_snapshot_setting(
    rt: FakeRuntime, run: Run, turn: Turn
) -> None:
    plain = WorkerPool(2, snapshot=False)
    assert plain.snapshot is False
    assert [started(rt, w).snapshot for w in plain.workers] == [False, False]
    for w in plain.workers:
        rt.port(w).say("started")
        rt.port(w).say("ready", exports=["__pww_task__"])
    task = plain.submit(abs, -1)
    turn()
    crashed = next(w for w in plain.workers if rt.port(w).posted)
    rt.port(crashed).say("failed", error={"name": "RuntimeError", "message": "gone", "stack": ""})
    with pytest.raises(WorkerFailedError, match="gone"):
        run(task)
    assert plain.replaced == 1 and crashed not in plain.workers
    assert [started(rt, w).snapshot for w in plain.workers] == [False, False]  # the replacement too
    plain.kill()

    default = WorkerPool(1)
    assert default.snapshot is True and started(rt, default.workers[0]).snapshot is True
    default.kill()
    assert set_snapshots(False) is True  # the global switch wins over the pool's True
    try:
        off = WorkerPool(1)
        assert started(rt, off.workers[0]).snapshot is False
        off.kill()
    finally:
        set_snapshots(True)


def test_a_worker_takes_only_a_spare_of_its_snapshot_setting(
    rt: FakeRuntime, run: Run, turn: Turn, no_spares: None
) -> None:
    up = [prestart(1, snapshot=False), prestart(1)]
    [plain_spare], [snap_spare] = spares(False), spares(True)
    assert started(rt, plain_spare).snapshot is False and started(rt, snap_spare).snapshot is True
    warm(rt, False)
    warm(rt, True)
    assert [run(u) for u in up] == [1, 1]

    plain = PyWorker("pass", snapshot=False).start()
    assert plain.warm_start and rt.port(plain).adopted_from == plain_spare.id
    assert spares(True) == [snap_spare]  # the snapshot spare is left alone
    snap = PyWorker("pass").start()
    assert snap.warm_start and rt.port(snap).adopted_from == snap_spare.id
    # Each is replaced, once its taker is ready, by a spare of the same setting.
    for w in (plain, snap):
        rt.port(w).say("ready")
    turn()  # refill_after: awaits the taker's ready(), then starts the new spare
    [plain_next], [snap_next] = spares(False), spares(True)
    assert started(rt, plain_next).snapshot is False and started(rt, snap_next).snapshot is True
    # A pool's workers take spares of the pool's setting.
    pool = WorkerPool(1, snapshot=False)
    assert rt.port(pool.workers[0]).adopted_from == plain_next.id and spares(True) == [snap_next]
    pool.kill()
    for w in (plain, snap):
        w.kill()


@pytest.mark.parametrize("snapshot", [True, False])
def test_no_spare_of_the_other_setting_is_taken(rt: FakeRuntime, run: Run, no_spares: None, snapshot: bool) -> None:
    up = prestart(1, snapshot=snapshot)
    warm(rt, snapshot)
    assert run(up) == 1
    [spare] = spares(snapshot)
    other = PyWorker("pass", snapshot=not snapshot).start()
    assert not other.warm_start and rt.port(other).adopted_from is None
    assert started(rt, other).snapshot is (not snapshot)  # a cold start of its own setting
    assert spares(snapshot) == [spare] and spare.state == "running"
    pool = WorkerPool(1, snapshot=not snapshot)
    assert rt.port(pool.workers[0]).adopted_from is None and spares(snapshot) == [spare]
    pool.kill()
    other.kill()


def test_a_snapshot_that_is_not_a_bool_is_refused_before_anything_starts(rt: FakeRuntime) -> None:
    before = rt.host(None).count_workers()  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^snapshot must be a bool, not str$"):
        WorkerPool(2, snapshot="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^snapshot must be a bool, not int$"):
        prestart(1, snapshot=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^snapshot must be a bool, not NoneType$"):
        prestart(1, snapshot=None)  # type: ignore[arg-type]
    assert rt.host(None).count_workers() == before  # type: ignore[arg-type]
    assert not any(_wanted.values())
