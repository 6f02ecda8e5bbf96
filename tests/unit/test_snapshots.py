"""The memory-snapshot switches, warnings and ``clear_*`` (pywebworker/_snapshots.py) and
what a PyWorker's start carries of them, with the JS facade faked. The snapshots
themselves, and their cache across page loads, are tested in real Pyodide and Chromium
(tests/py/test_snapshot.py, test_snapshot_cache.py)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import PyWorker, _snapshots, clear_snapshot_cache, clear_snapshots, set_snapshot_cache, set_snapshots
from pywebworker._ports import PyStart

Run = Callable[[Awaitable[Any]], Any]


@pytest.fixture(autouse=True)
def switches() -> Iterator[None]:
    try:
        yield
    finally:
        set_snapshots(True)
        set_snapshot_cache(True)


def started(rt: FakeRuntime, **kw: Any) -> PyStart:
    options = rt.port(PyWorker("pass", **kw).start()).started_with
    assert isinstance(options, PyStart)
    return options


def test_the_switches_reach_each_start_and_return_the_previous_setting(rt: FakeRuntime) -> None:
    assert (started(rt).snapshot, started(rt).snapshot_cache) == (True, True)
    assert started(rt, snapshot=False).snapshot is False
    assert set_snapshot_cache(False) is True
    assert set_snapshot_cache(False) is False
    assert (started(rt).snapshot, started(rt).snapshot_cache) == (True, False)
    assert set_snapshots(False) is True
    assert started(rt).snapshot is False
    for switch in (set_snapshots, set_snapshot_cache):
        with pytest.raises(TypeError, match="on must be a bool, not int"):
            switch(1)  # type: ignore[arg-type]


@pytest.mark.parametrize(("booted", "expected"), [("loaded", True), ("cached", True), ("made", False),
                                                  ("failed", False), ("", False)])
def test_from_snapshot_once_ready_from_the_host_s_or_the_cached_snapshot(rt: FakeRuntime, booted: str,
                                                                         expected: bool) -> None:
    w = PyWorker("pass").start()
    port = rt.port(w)
    port.booted = booted
    port.say("started")
    assert w.from_snapshot is False  # not ready yet
    port.say("ready", exports=[])
    assert w.from_snapshot is expected


def test_the_two_warnings_say_what_happens_next(rt: FakeRuntime, turn: Callable[[], None]) -> None:
    w = PyWorker("pass").start()
    error = json.dumps({"name": "Error", "message": "Snapshot has invalid magic number", "stack": ""})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rt.glue.dispatch("snapshot_failed", w.id, error)
        rt.glue.dispatch("snapshot_failed", w.id, error, True)
        turn()
    texts = [str(c.message) for c in caught]
    assert [c.category for c in caught] == [RuntimeWarning, RuntimeWarning]
    assert texts == [
        "pywebworker: PyWorkers boot without a memory snapshot from now on (Error: Snapshot has invalid magic number)",
        "pywebworker: the memory snapshot cached by an earlier page load was not used, and is replaced "
        "(Error: Snapshot has invalid magic number)",
    ]
    with pytest.warns(RuntimeWarning, match=r"from now on \(not json\)"):
        _snapshots.warn_failed("not json")


def test_clear_snapshots_and_the_cache(rt: FakeRuntime, run: Run) -> None:
    PyWorker("pass").start()  # the host glue exists once a worker started
    assert rt.glue is not None
    rt.glue.snapshot_bytes, rt.glue.snapshot_cache = 30 * 2**20, True
    assert clear_snapshots() == 30 * 2**20
    assert clear_snapshots() == 0
    assert run(clear_snapshot_cache()) is True
    assert run(clear_snapshot_cache()) is False
