"""Rich display (``pywebworker/_display.py``) over the fake facade: the HTML of workers,
messages, message tables and pools, escaped and bounded whatever the worker sends; the
progress line of ``ready()`` through a fake IPython (``display``, ``handle.update``)."""

from __future__ import annotations

import asyncio
import re
import sys
import types
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fakejs import FakeRuntime

import pywebworker
from pywebworker import (
    JsWorker,
    PyWorker,
    WorkerPool,
    WorkerStartError,
    _display,
    _worker,
    messages_table,
    set_progress,
)
from pywebworker._display import PREVIEW_CHARS, TABLE_ROWS, Progress

Run = Callable[[Awaitable[Any]], Any]
HOSTILE = "<script>alert('x')</script>\"&"


@pytest.fixture(autouse=True)
def _kill_all(rt: FakeRuntime) -> Iterator[None]:
    """Every worker a test made is killed after it (named ones leave pywebworker.workers)."""
    yield
    for w in list(_worker._live.values()):
        w.kill()


def assert_safe(html: str) -> None:
    """No markup but ours: every tag is one _display.py writes."""
    tags = set(re.findall(r"</?([a-zA-Z]+)", html))
    assert tags <= {"div", "b", "table", "tr", "th", "td", "code"}, tags
    assert "<script" not in html and "alert('x')" not in html


def test_a_worker_shows_its_counts_state_and_error(rt: FakeRuntime) -> None:
    w = JsWorker("x", name=HOSTILE)
    html = w._repr_html_()
    assert_safe(html)
    assert "JavaScript worker" in html and "created" in html and "running for" not in html
    w.send_message("queued")  # before start: waits in the outbound queue
    w.start()
    port = rt.port(w)
    port.post("a")
    port.post("b")
    w.get_message(0).read()
    html = w._repr_html_()
    assert "received / unread</th><td style='text-align:left'>2 / 1<" in html
    assert "sent / undelivered</th><td style='text-align:left'>1 / 1<" in html
    assert "pending calls</th><td style='text-align:left'>0<" in html and "running for" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp;" in html  # the name, escaped
    port.say("failed", error={"name": "Error<b>", "message": "m" * 10_000 + "<i>", "stack": ""})
    html = w._repr_html_()
    assert_safe(html)
    assert "ran for" in html and "Error&lt;b&gt;: mmm" in html and len(html) < 3000  # bounded
    assert repr(w).count("\n") == 0  # plain repr stays one line


def test_a_pyworker_and_a_micropython_worker_say_their_kind_and_stage(rt: FakeRuntime) -> None:
    w = PyWorker("x", packages=["numpy"]).start()
    port = rt.port(w)
    port.say("started")
    port.say("stage", stage="loading")
    port.say("stage", stage="installing")
    assert "Python worker" in w._repr_html_() and "starting: installing packages" in w._repr_html_()
    assert [s for s, _ in w.stages] == ["loading", "installing"]
    assert all(t >= 0 for _, t in w.stages) and w.stages[0][1] <= w.stages[1][1]
    port.say("ready", exports=[])
    assert "<td style='text-align:left'>running</td>" in w._repr_html_()
    m = PyWorker("x", interpreter="micropython")
    assert "MicroPython worker" in m._repr_html_()


def test_a_message_shows_kind_size_and_a_bounded_escaped_preview_without_opening_it(rt: FakeRuntime) -> None:
    w = JsWorker("x").start()
    port = rt.port(w)
    port.say("ready")
    port.post(HOSTILE + "z" * 50_000)  # long text
    port.post(b"\x00<b>" * 10_000)  # bytes
    port.post({"k": [HOSTILE] * 1000, "deep": [[[[["x"]]]]]})
    port.say("json", text='"\\ud800 lone"')  # JSON text: a lone surrogate survives in a str
    port.say("error", error={"name": "ValueError", "message": HOSTILE, "stack": ""})
    port.post("z" * 1_000_000)  # beyond 64 KiB: its size only, the payload is not read
    msgs = w.get_unread_messages()
    for m in msgs:
        html = m._repr_html_()
        assert_safe(html)
        preview = re.search(r"preview</th><td style='text-align:left'><code>(.*?)</code>", html, re.S)
        assert preview is not None and len(preview.group(1)) < 6 * PREVIEW_CHARS, html
        assert not m.is_opened()
        html.encode("utf-8")  # no lone surrogate left: a notebook could not send it
    assert "&lt;script&gt;" in msgs[0]._repr_html_() and "text" in msgs[0]._repr_html_()
    assert "bytes" in msgs[1]._repr_html_() and "\\x00&lt;b&gt;" in msgs[1]._repr_html_()
    assert "\\ud800" in msgs[3]._repr_html_()
    assert "ValueError: &lt;script&gt;" in msgs[4]._repr_html_()
    assert "(1000000 bytes)" in msgs[5]._repr_html_()
    assert w._inbound.unread_count() == 6  # nothing was marked
    # A handle without its payload (get_messages) peeks through the core, still unmarked.
    held = w.get_messages()
    assert held[0]._raw is None and "&lt;script&gt;" in held[0]._repr_html_()
    assert w._inbound.unread_count() == 6
    # Opened, then released: still displayable.
    msgs[0].read()
    w.clear_read()
    assert "released" in held[0]._repr_html_()
    assert "&lt;script&gt;" in msgs[0]._repr_html_()


def test_messages_table_is_bounded_and_marks_nothing(rt: FakeRuntime) -> None:
    w = JsWorker("x").start()
    port = rt.port(w)
    port.say("ready")
    for i in range(TABLE_ROWS + 20):
        port.post(f"<m{i}>")
    table = messages_table(w.get_messages())
    html = table._repr_html_()
    assert_safe(html)
    assert html.count("<tr>") == TABLE_ROWS + 2 and "… 20 more" in html  # head, rows, the rest
    assert "&lt;m0&gt;" in html and "&lt;m99&gt;" in html and "m100" not in html
    assert w._inbound.unread_count() == TABLE_ROWS + 20
    assert repr(table) == f"<messages_table of {TABLE_ROWS + 20} messages>"
    assert isinstance(w.get_messages(), list) and type(w.get_messages()) is list  # lists stay lists


def test_a_pool_shows_its_workers_and_tasks_escaped(rt: FakeRuntime) -> None:
    pool = WorkerPool(2, name="<p>")
    html = pool._repr_html_()
    assert_safe(html)
    assert "WorkerPool &lt;p&gt;" in html and html.count("<tr>") == 3  # head and two workers
    rt.port(pool.workers[0]).say("stage", stage="installing")
    assert "installing packages" in pool._repr_html_()
    pool.kill()


# -- progress --------------------------------------------------------------------------
class FakeHandle:
    def __init__(self, shown: list[str], obj: Any) -> None:
        self.shown = shown
        shown.append(repr(obj))
        obj._repr_html_()  # renders

    def update(self, obj: Any) -> None:
        self.shown.append(repr(obj))
        obj._repr_html_()


@pytest.fixture
def ipython(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A fake IPython with a running shell: ``display(obj, display_id=True)`` records
    each line shown (by repr), in order; updates too. Lines refresh every 10 ms."""
    monkeypatch.setattr(_display, "REFRESH", 0.01)
    shown: list[str] = []
    mod = types.ModuleType("IPython")
    disp = types.ModuleType("IPython.display")
    mod.get_ipython = lambda: object()  # type: ignore[attr-defined]

    def display(obj: Any, display_id: bool = False) -> FakeHandle:
        assert display_id is True
        return FakeHandle(shown, obj)

    disp.display = display  # type: ignore[attr-defined]
    mod.display = disp  # type: ignore[attr-defined]
    saved = {k: sys.modules.get(k) for k in ("IPython", "IPython.display")}
    sys.modules.update({"IPython": mod, "IPython.display": disp})
    try:
        yield shown
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def test_ready_shows_each_stage_then_a_summary(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop,
                                                ipython: list[str]) -> None:
    w = PyWorker("x", packages=["numpy"], name="w<1>").start()
    port = rt.port(w)

    async def boot() -> None:
        for stage in ("loading", "installing", "script"):
            await asyncio.sleep(0.05)  # the worker takes its time (5 refreshes); the line follows
            port.say("stage", stage=stage)
        await asyncio.sleep(0.05)
        port.say("started")
        port.say("ready", exports=[])

    loop.create_task(boot())
    assert run(w.ready()) is w
    said = [line.split(",")[0] for line in ipython]
    steps = [s for s in dict.fromkeys(said) if "step" in s]
    assert steps == [
        "⏳ w<1>: loading Pyodide (step 1 of 3)", "⏳ w<1>: installing packages (step 2 of 3)",
        "⏳ w<1>: running the script (step 3 of 3)"], ipython
    assert re.fullmatch(r"✓ w<1> ready in [\d.]+ s \(loading Pyodide [\d.]+ s, installing packages [\d.]+ s, "
                        r"running the script [\d.]+ s\)", ipython[-1]), ipython[-1]
    n = len(ipython)
    run(w.ready())  # ready already: nothing shown
    assert len(ipython) == n


def test_a_failed_start_leaves_the_error_on_the_line(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop,
                                                     ipython: list[str]) -> None:
    w = PyWorker("x", packages=["nope"]).start()
    port = rt.port(w)
    port.say("stage", stage="installing")
    loop.call_later(0.05, lambda: port.say("failed", error={"name": "ValueError", "message": "no nope", "stack": ""}))
    with pytest.raises(WorkerStartError):
        run(w.ready())
    assert ipython[-1].startswith(f"✗ {w.name} failed to start after ")
    assert ipython[-1].endswith(" while installing packages: ValueError: no nope")
    v = PyWorker("x").start()
    with pytest.raises(TimeoutError):
        run(v.ready(timeout=0.05))
    assert "still starting" in ipython[-1] and "timed out" in ipython[-1]


def test_progress_off_by_argument_by_default_or_without_ipython(rt: FakeRuntime, run: Run,
                                                                 loop: asyncio.AbstractEventLoop) -> None:
    assert "IPython" not in sys.modules or Progress.open(True) is not None or True
    saved = sys.modules.pop("IPython", None)
    try:
        assert Progress.open(True) is None  # no IPython imported: nothing, and no import
        assert "IPython" not in sys.modules
    finally:
        if saved is not None:
            sys.modules["IPython"] = saved
    w = PyWorker("x").start()
    loop.call_later(0.01, lambda: rt.port(w).say("ready", exports=[]))
    assert run(w.ready(progress=False)) is w
    assert set_progress(False) is True
    try:
        assert Progress.open(None) is None
        with pytest.raises(TypeError):
            set_progress(1)  # type: ignore[arg-type]
    finally:
        set_progress(True)
    assert pywebworker.set_progress is set_progress


def test_progress_off_and_on_with_ipython(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop,
                                         ipython: list[str]) -> None:
    w = PyWorker("x").start()
    loop.call_later(0.01, lambda: rt.port(w).say("ready", exports=[]))
    run(w.ready(progress=False))
    assert ipython == []
    j = JsWorker("x").start()  # a JsWorker starts in milliseconds: no line
    loop.call_later(0.01, rt.port(j).say, "ready")
    run(j.ready())
    assert ipython == []


def test_a_display_that_raises_does_not_reach_ready(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop,
                                                    ipython: list[str]) -> None:
    def broken(obj: Any, display_id: bool = False) -> Any:
        raise RuntimeError("no display")

    sys.modules["IPython.display"].display = broken  # type: ignore[attr-defined]
    w = PyWorker("x").start()
    loop.call_later(0.01, lambda: rt.port(w).say("ready", exports=[]))
    assert run(w.ready()) is w


def test_a_cancelled_ready_cancels_its_wait_and_says_so(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop,
                                                        ipython: list[str]) -> None:
    w = PyWorker("x").start()

    async def main() -> None:
        task = asyncio.ensure_future(w.ready())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert "stopped waiting" in ipython[-1]
    assert w._waiters == []  # the inner wait was cancelled too


def test_a_pool_shows_its_workers_starting_then_a_summary(rt: FakeRuntime, run: Run,
                                                          loop: asyncio.AbstractEventLoop, ipython: list[str]) -> None:
    pool = WorkerPool(2, name="p")
    ports = [rt.port(w) for w in pool.workers]

    async def boot() -> None:
        await asyncio.sleep(0.05)
        ports[0].say("stage", stage="loading")
        ports[0].say("started")
        ports[0].say("ready", exports=["__pww_task__"])
        await asyncio.sleep(0.05)
        ports[1].say("stage", stage="installing")
        await asyncio.sleep(0.05)
        ports[1].say("started")
        ports[1].say("ready", exports=["__pww_task__"])

    loop.create_task(boot())
    assert run(pool.ready()) is pool
    lines = [line.rsplit(",", 1)[0] for line in ipython]
    assert "⏳ p: 0 of 2 workers ready; p-1 starting, p-2 starting" in lines, ipython
    assert "⏳ p: 1 of 2 workers ready; p-2 installing packages" in lines, ipython
    assert re.fullmatch(r"✓ p ready in [\d.]+ s: 2 workers", ipython[-1]), ipython
    assert all(line.startswith(("⏳ p:", "✓ p ")) for line in ipython)  # no line of the workers' own
    pool.kill()


def test_with_ipythons_own_display_machinery(rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The real IPython (tools/requirements-test.txt): one display with a display_id,
    then updates of it (``update_display_data``), text/plain and text/html each time."""
    ipython = pytest.importorskip("IPython", reason="IPython is pinned in tools/requirements-test.txt; not installed")
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    published: list[tuple[dict[str, str], bool, str]] = []

    class Capture(DisplayPublisher):  # type: ignore[misc]
        def publish(self, data: dict[str, str], metadata: Any = None, source: Any = None, *,
                    transient: dict[str, str] | None = None, update: bool = False, **kw: Any) -> None:
            published.append((data, update, (transient or {}).get("display_id", "")))

    monkeypatch.setattr(_display, "REFRESH", 0.01)
    shell = InteractiveShell.instance(display_pub_class=Capture)
    try:
        assert ipython.get_ipython() is shell
        w = PyWorker("x", name="<w>").start()
        port = rt.port(w)

        async def boot() -> None:
            await asyncio.sleep(0.05)
            port.say("stage", stage="loading")
            await asyncio.sleep(0.05)
            port.say("started")
            port.say("ready", exports=[])

        loop.create_task(boot())
        run(w.ready())
    finally:
        InteractiveShell.clear_instance()
    assert len(published) >= 3 and not published[0][1] and all(u for _, u, _ in published[1:])  # shown, then updated
    assert len({d for _, _, d in published}) == 1 and published[0][2]  # one display, one id
    assert published[-1][0]["text/plain"].startswith("✓ <w> ready in ")
    assert "&lt;w&gt;" in published[-1][0]["text/html"]
    assert any("loading Pyodide" in data["text/plain"] for data, _, _ in published)
