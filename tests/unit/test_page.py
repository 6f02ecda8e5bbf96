"""pywebworker.page against the fake runtime: the page (fakejs.FakePage) calls names,
bindings run here, tasks in a pool whose workers the test plays (test_pool.Workers).
The JS object itself (ready, unknown names, argument checks) is tests/js/test_page.mjs;
the whole path in real Pyodide and Chromium is tests/py/test_page.py."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fakejs import FakePage, FakeRuntime
from test_pool import Workers

from pywebworker import PayloadError, WorkerPool, page
from pywebworker.page import Backend

Run = Callable[[Awaitable[Any]], Any]
Turn = Callable[[], None]


@pytest.fixture
def backend(rt: FakeRuntime) -> Any:
    b = Backend()  # the module's default object (one per name): fresh for each test
    b.close()
    yield b
    b.close()


def the_page(rt: FakeRuntime, name: str = "backend") -> FakePage:
    return rt.pages[name]


def test_bindings_json_bytes_and_names(rt: FakeRuntime, backend: Backend, turn: Turn) -> None:
    def hello() -> str:
        return "Hello from Python!"

    def echo(*args: Any) -> Any:
        return {"args": list(args), "types": [type(a).__name__ for a in args]}

    backend.register_binding(hello)
    backend.register_bindings([echo])
    p = the_page(rt)
    assert p.names == {"hello", "echo"} and backend.names == {"hello": "binding", "echo": "binding"}
    i = p.call("hello")
    assert p.answers[i] == (True, "Hello from Python!")  # a plain function answers at once
    i = p.call("echo", 1, 1.5, "é\U0001f600", None, True, [1, {"a": b"\x00\xff"}], b"raw")
    ok, value = p.answers[i]
    assert ok and value["args"] == [1, 1.5, "é\U0001f600", None, True, [1, {"a": b"\x00\xff"}], b"raw"]
    assert value["types"] == ["int", "float", "str", "NoneType", "bool", "list", "bytes"]


def test_decorators_rename_replace_unregister(rt: FakeRuntime, backend: Backend) -> None:
    @backend.register_binding
    def one() -> int:
        return 1

    @backend.register_binding(name="two")
    def second() -> int:
        return 2

    p = the_page(rt)
    assert one() == 1 and p.names == {"one", "two"}
    backend.register_binding(lambda: 22, name="two")  # replaces
    assert p.answers[p.call("two")] == (True, 22)
    backend.unregister("two")
    assert p.names == {"one"} and "two" not in backend.names
    with pytest.raises(KeyError, match="backend.two is not registered"):
        backend.unregister("two")


@pytest.mark.parametrize(("args", "error"), [
    ((42,), (TypeError, "callable")),
    ((lambda: 1,), (ValueError, "give name=")),
    ((print, 5), (TypeError, "name must be str")),
    ((print, "ready"), (ValueError, "the object's own names")),
    ((print, "then"), (ValueError, "the object's own names")),
    ((print, ""), (ValueError, "the object's own names")),
])
def test_bad_registrations(rt: FakeRuntime, backend: Backend, args: tuple[Any, ...],
                           error: tuple[type[Exception], str]) -> None:
    with pytest.raises(error[0], match=error[1]):
        backend.register_binding(*args)
    assert backend.names == {}


def test_errors_reach_the_page_and_nothing_escapes(rt: FakeRuntime, backend: Backend) -> None:
    def boom(x: int) -> float:
        return x / 0

    def leave() -> None:
        sys.exit(3)

    class HostileError(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def hostile() -> None:
        raise HostileError

    backend.register_bindings([boom, leave, hostile])
    backend.register_binding(lambda: {1, 2}, name="a_set")
    backend.register_binding(lambda: 2**60, name="huge")
    backend.register_binding(lambda: float("nan"), name="nan")
    p = the_page(rt)
    ok, err = p.answers[p.call("boom", 1)]
    assert not ok and err["type"] == "ZeroDivisionError" and err["message"] == "division by zero"
    assert "in boom" in err["traceback"] and "x / 0" in err["traceback"] and err["js"] == ""
    assert "pywebworker" not in err["traceback"]  # trimmed to the user's frames
    ok, err = p.answers[p.call("leave")]  # SystemExit does not leave the handler
    assert not ok and err["type"] == "SystemExit" and err["message"] == "3"
    ok, err = p.answers[p.call("hostile")]
    assert not ok and err["type"] == "HostileError" and "str() failed" in err["message"]
    for name, what in [("a_set", "set"), ("huge", "int"), ("nan", "nan")]:
        ok, err = p.answers[p.call(name)]
        assert not ok and err["js"] == "TypeError", name
        assert f"the result of backend.{name}()" in err["message"] and what in err["message"].lower()


def test_async_binding_and_close_cancels(rt: FakeRuntime, backend: Backend, run: Run, turn: Turn) -> None:
    gate: asyncio.Future[int] = asyncio.get_event_loop().create_future()

    async def slow(x: int) -> int:
        return x + await gate

    started: list[int] = []

    async def never() -> None:
        started.append(1)
        await asyncio.Event().wait()

    backend.register_bindings([slow, never])
    p = the_page(rt)
    i = p.call("slow", 1)
    turn()
    assert i not in p.answers
    gate.set_result(41)
    turn()
    assert p.answers[i] == (True, 42)
    j = p.call("never")
    turn()
    assert started == [1] and backend._running
    backend.close()
    turn()
    assert p.closed and not backend._running and j not in p.answers  # the page rejected it itself
    backend.close()  # twice: nothing
    backend.register_binding(print)  # the object is made anew
    again = the_page(rt)
    assert again is not p and again.names == {"print"} and backend.names == {"print": "binding"}


def test_one_object_per_name(rt: FakeRuntime, backend: Backend) -> None:
    backend.register_binding(print)
    assert Backend("backend") is backend is page.backend  # as logging.getLogger: a cell run again finds it
    assert backend.names == {"print": "binding"}
    api = Backend("api")
    assert api is not backend and Backend("api") is api
    api.register_binding(len)
    assert the_page(rt, "api").names == {"len"} and the_page(rt).names == {"print"}
    api.close()
    with pytest.raises(TypeError):
        Backend(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Backend("")


def test_tasks_run_in_the_given_pool(rt: FakeRuntime, backend: Backend, run: Run, turn: Turn) -> None:
    pool = WorkerPool(2)
    workers = Workers(rt, pool)

    def square(x: int) -> int:
        return x * x

    def fails() -> None:
        raise KeyError("missing")

    backend.register_task(square, pool=pool)
    backend.register_tasks([fails], pool=pool)
    assert backend.names == {"square": "task", "fails": "task"} and backend.pool is None
    p = the_page(rt)
    ids = [p.call("square", n) for n in range(6)]
    bad = p.call("fails")
    turn()
    assert not p.answers  # nothing runs before the workers are ready
    run(workers.serve(asyncio.ensure_future(asyncio.sleep(0.05))))
    assert [p.answers[i] for i in ids] == [(True, n * n) for n in range(6)]
    ok, err = p.answers[bad]  # the worker's exception, not a RemoteError
    assert not ok and err["type"] == "KeyError" and err["message"] == "'missing'"
    # Tasks still queued when the pool is closed with its queue cancelled: answered too
    # (the two running ones finish first: these fake workers never answer them).
    queued = [p.call("square", n) for n in range(6)]
    turn()
    pool.close(cancel_queued=True)
    turn()
    answered = [p.answers[i] for i in queued if i in p.answers]
    assert len(answered) == 4
    for ok, err in answered:
        assert not ok and err["type"] == "WorkerKilledError" and "was closed before" in err["message"]
    pool.kill()


def test_default_pool_made_once_and_closed(rt: FakeRuntime, backend: Backend) -> None:
    backend.register_task(abs)
    backend.register_task(round, timeout=5)
    pool = backend.pool
    assert isinstance(pool, WorkerPool) and pool.name == "backend-tasks"
    with pytest.raises(ValueError, match="timeout"):
        backend.register_task(abs, timeout=0)
    with pytest.raises(TypeError, match="WorkerPool"):
        backend.register_task(abs, pool="pool")  # type: ignore[arg-type]
    import threading

    lock = threading.Lock()

    def holds_a_lock() -> bool:
        return lock.locked()

    with pytest.raises(PayloadError, match="cannot send .*holds_a_lock.*cannot pickle"):
        backend.register_task(holds_a_lock)  # refused here, not at each call of the page
    assert "holds_a_lock" not in backend.names
    backend.close()
    assert pool.state == "killed"


def test_module_functions_use_the_default_object(rt: FakeRuntime, turn: Turn) -> None:
    assert page.backend.name == "backend"

    def ping() -> str:
        return "pong"

    page.register_binding(ping)
    try:
        p = the_page(rt)
        assert p.answers[p.call("ping")] == (True, "pong")
    finally:
        page.unregister("ping")
    assert the_page(rt).names == set()
    page.backend.close()


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit, BaseException])
def test_async_binding_base_exception_stays_inside(rt: FakeRuntime, backend: Backend, turn: Turn,
                                                   exc_type: type[BaseException]) -> None:
    # asyncio lets KeyboardInterrupt and SystemExit out of a task's step, through the
    # loop: in Pyodide out of a JS timer callback, which ends a Node process.
    async def leave() -> None:
        await asyncio.sleep(0)
        raise exc_type("bye")

    backend.register_binding(leave)
    p = the_page(rt)
    i = p.call("leave")
    turn()  # raises here if it escapes the loop
    ok, err = p.answers[i]
    assert not ok and err["type"] == exc_type.__name__ and err["message"] == "bye" and "in leave" in err["traceback"]
    assert "pywebworker" not in err["traceback"]
    assert not backend._running


def test_a_task_result_that_cannot_cross_is_a_type_error() -> None:
    # The worker refuses to pickle the result (a lock, a generator): a value that cannot
    # cross, as a result refused here, so the page sees a TypeError too.
    import json

    from pywebworker._errors import RemoteError
    from pywebworker.page import _error_data

    refused = RemoteError("PayloadError", "the task's result (lock) cannot be pickled", "Traceback...")
    err = json.loads(_error_data(refused, False))
    assert err == {"type": "PayloadError", "message": "the task's result (lock) cannot be pickled",
                   "traceback": "Traceback...", "js": "TypeError"}
    other = json.loads(_error_data(RemoteError("KeyError", "'k'", ""), False))
    assert other["js"] == "" and other["type"] == "KeyError"


def test_the_default_object_works_again_after_close(rt: FakeRuntime, turn: Turn) -> None:
    # A notebook closes page.backend in one cell and registers again in the next: the
    # module's functions are bound to that one object, so a closed object that could
    # never register again would leave page.register_binding dead until a restart.
    page.backend.close()  # an earlier test's object, of another fake runtime
    page.register_binding(lambda: 1, name="one")
    first = the_page(rt)
    page.backend.close()
    assert first.closed and page.backend.names == {}
    page.register_binding(lambda: 2, name="two")
    try:
        second = the_page(rt)
        assert second is not first and second.names == {"two"}
        assert second.answers[second.call("two")] == (True, 2)
    finally:
        page.backend.close()


def test_answers_go_to_the_object_the_call_came_from(rt: FakeRuntime, backend: Backend, turn: Turn) -> None:
    # Closed and registered again in one go: the old calls' cancellations, delivered
    # later, must not settle the new object's calls (ids start again at 1 there).
    async def never() -> None:
        await asyncio.Event().wait()

    gate: asyncio.Future[str] = asyncio.get_event_loop().create_future()

    async def later() -> str:
        return await gate

    backend.register_binding(never)
    old = the_page(rt)
    old.call("never")
    turn()
    backend.close()
    backend.register_binding(later)
    new = the_page(rt)
    new._ids = iter(range(1, 100))  # as a fresh JS object numbers its calls
    i = new.call("later")
    turn()
    assert i not in new.answers  # not the old call's cancellation
    gate.set_result("late")
    turn()
    assert new.answers[i] == (True, "late")


def test_close_stops_a_task_running_forever_in_its_own_pool(rt: FakeRuntime, backend: Backend, turn: Turn) -> None:
    # Its call was rejected at close(): no one can receive its result, so the worker of
    # the pool this object made is stopped rather than left running (a notebook's loop).
    def forever() -> None:
        while True:
            pass

    backend.register_task(forever)
    pool = backend.pool
    assert pool is not None
    workers = Workers(rt, pool)
    workers.boot()
    turn()
    p = the_page(rt)
    p.call("forever")
    turn()
    running = [port for port in workers.ports() if workers.calls(port)]
    assert len(running) == 1
    backend.close()
    turn()
    assert not running[0].spawned  # terminated: the never-ending task is gone
    assert pool.state == "killed"
