"""Messages visible mid-cell through a worker's shared ring (js/ring.js),
``wait_for_messages`` and ``interrupt()``: in Node (always shared memory) all of it in
one synchronous block each, as in one notebook cell; in Chromium without cross-origin
isolation (the main page, and Pyodide inside a worker) the one clear error each, and the
asynchronous API unchanged; in Chromium on an isolated page, mid-cell and interrupt() on
the page and in Pyodide inside a worker, wait_for_messages() only in the worker."""

import pytest
from pytest_pyodide import run_in_pyodide
from scripts import ECHO_JS

# A PyWorker that echoes, spins until interrupted, floods every kind (some too large
# for the ring: they are posted, and what follows waits for them), or sends n texts.
RING_PY = """
from pywebworker import parent

def on(m):
    cmd = m.read()
    if cmd == "spin":
        # "spinning" inside the try: the host interrupts as soon as it reads it, which
        # can be while send_message is still on its way back here.
        try:
            parent.send_message("spinning")
            while True:
                pass
        except KeyboardInterrupt:
            parent.send_message("interrupted")
    elif cmd == "flood":
        for i in range(1500):
            if i % 50 == 7:
                parent.send_message(bytes([i % 256]) * 200_000)
            elif i % 3 == 0:
                parent.send_message(bytes([i % 256]) * 3)
            elif i % 3 == 1:
                parent.send_message({"i": i, "pad": "x" * 1000})
            else:
                parent.send_message(f"t{i}" + "\\u00e9" * 500)
    elif isinstance(cmd, str) and cmd.startswith("many "):
        for i in range(int(cmd[5:])):
            parent.send_message(str(i))
    else:
        parent.send_message(cmd)

parent.on_message = on
"""


def flood_expected():
    out = []
    for i in range(1500):
        if i % 50 == 7:
            out.append(bytes([i % 256]) * 200_000)
        elif i % 3 == 0:
            out.append(bytes([i % 256]) * 3)
        elif i % 3 == 1:
            out.append({"i": i, "pad": "x" * 1000})
        else:
            out.append(f"t{i}" + "\u00e9" * 500)
    return out


# Exports to interrupt: async ones that spin through the event loop (which spends most
# of its time in its own code, between their steps), one that catches the interrupt, one
# that waits for an hour, a sync one that spins, a background task, and plain work.
INTERRUPT_PY = """
import asyncio
from pywebworker import parent

async def aspin():
    parent.send_message("aspin")
    while True:
        await asyncio.sleep(0)

async def acatch():
    try:  # the host interrupts as soon as it reads the message: maybe in send_message
        parent.send_message("acatch")
        while True:
            await asyncio.sleep(0)
    except KeyboardInterrupt:
        return "caught"

async def await_long():
    parent.send_message("await_long")
    await asyncio.sleep(3600)

def spin():
    parent.send_message("spin")
    while True:
        pass

def work(n):
    return sum(i for i in range(n))

bg = []

def start_bg():
    async def spinner():
        while True:
            await asyncio.sleep(0)
    bg.append(asyncio.ensure_future(spinner()))

def bg_done():
    return bg[0].done()

__export__ = ["aspin", "acatch", "await_long", "spin", "work", "start_bg", "bg_done"]
"""


def pytest_generate_tests(metafunc):
    if "ring_py" in metafunc.fixturenames:
        metafunc.parametrize(("ring_py", "echo_js"), [(RING_PY, ECHO_JS)], ids=["scripts"])
    if "interrupt_py" in metafunc.fixturenames:
        metafunc.parametrize("interrupt_py", [INTERRUPT_PY], ids=["script"])


@run_in_pyodide
async def _ring_page(selenium, ring_py, echo_js, expected_flood):
    import time

    import pytest
    from pyodide_waits import wait_until

    import js
    from pywebworker import JsWorker, PyWebWorkerError, PyWorker, WorkerKilledError

    def sync_collect(w, n, seconds=20.0):
        """Up to n messages read in one synchronous block (no await), oldest first."""
        got, end = [], time.monotonic() + seconds
        while len(got) < n and w.wait_for_messages(timeout=max(0.0, end - time.monotonic())):
            got += [m.read() for m in w.get_unread_messages()]
        return got

    node = hasattr(js, "process")
    w = PyWorker(ring_py).start()
    j = JsWorker(echo_js).start()
    await w.ready(timeout=60)
    await j.ready(timeout=20)
    assert w._port.has_ring() is node and j._port.has_ring() is node  # shared memory: Node only here
    with pytest.raises(PyWebWorkerError, match="JavaScript has no interrupt"):
        j.interrupt()

    if not node:
        # Not cross-origin isolated: one clear error each, nothing hangs, async unchanged.
        for call in (lambda: w.wait_for_messages(1), w.interrupt, lambda: j.wait_for_messages()):
            with pytest.raises(PyWebWorkerError, match="crossOriginIsolated is false") as info:
                call()
            assert "Cross-Origin-Opener-Policy: same-origin" in str(info.value)
            assert "Cross-Origin-Embedder-Policy: require-corp" in str(info.value)
        w.send_message("async")
        j.send_message(b"\x00js")
        assert (await w.receive(timeout=20)).read() == "async"
        assert (await j.receive(timeout=20)).read() == b"\x00js"
        w.kill()
        j.kill()
        return

    # Mid-cell: the reply is visible to the polling calls while this block runs on.
    w.send_message("ping")
    end = time.monotonic() + 20
    while not w.has_unread_messages():
        assert time.monotonic() < end, "no reply mid-cell"
        time.sleep(0.005)
    assert [m.read() for m in w.get_unread_messages()] == ["ping"]
    j.send_message("js ping")
    j.send_message(b"\x00\x01")
    j.send_message({"a": [1, 2.5]})
    assert sync_collect(j, 3) == ["js ping", b"\x00\x01", {"a": [1, 2.5]}]

    # wait_for_messages: without a timeout, and one that passes.
    w.send_message(b"\xff" * 5)
    assert w.wait_for_messages() is True
    assert [m.read() for m in w.get_unread_messages()] == [b"\xff" * 5]
    t0 = time.monotonic()
    assert w.wait_for_messages(timeout=0.3) is False
    assert 0.25 <= time.monotonic() - t0 < 10

    # Interrupt a busy loop; the worker answers afterwards.
    w.send_message("spin")
    assert sync_collect(w, 1) == ["spinning"]
    w.interrupt()
    assert sync_collect(w, 1) == ["interrupted"]
    w.send_message("after")
    assert sync_collect(w, 1) == ["after"]

    # A flood larger than the ring, every kind, some too large for it: what comes before
    # the first of those is read mid-cell; then wait_for_messages says the next needs
    # the event loop; all arrive, in order, nothing lost.
    w.clear_read()
    w.send_message("flood")
    got = sync_collect(w, len(expected_flood))
    assert got == expected_flood[:7]
    assert w.wait_for_messages(timeout=5) is False  # behind a post: needs the event loop

    def more():
        got.extend(m.read() for m in w.get_unread_messages())
        return len(got) >= len(expected_flood)

    await wait_until(more, timeout=60, what="the flood")
    assert got == expected_flood
    assert w.dropped_messages == 0

    # Limits and drops exact through the ring: 80 sent, 50 kept, 30 dropped and reported.
    w.clear_read()
    w.set_queue_limits(50, 0, queue="inbound")
    w.send_message("many 80")
    end = time.monotonic() + 20
    while w.dropped_messages < 30:
        assert time.monotonic() < end, f"dropped {w.dropped_messages}"
        time.sleep(0.005)
    assert [m.read() for m in w.get_unread_messages()] == [str(i) for i in range(50)]
    assert w.dropped_messages == 30
    w.clear_read()
    (report,) = w.get_unread_messages()
    assert report.kind == "error" and "30 message(s) from the worker were dropped" in str(report.read())
    w.set_queue_limits()

    w.kill()
    j.kill()
    with pytest.raises(WorkerKilledError):
        w.wait_for_messages(timeout=1)


def test_ring_page(selenium_pyww, ring_py, echo_js):
    _ring_page(selenium_pyww, ring_py, echo_js, flood_expected())


@run_in_pyodide
async def test_ring_from_a_worker_host(selenium_pyww_worker, ring_py, echo_js):
    # Pyodide inside a worker (a JupyterLite kernel), here not cross-origin isolated:
    # the clear errors, and the asynchronous API unchanged.
    import pytest

    from pywebworker import JsWorker, PyWebWorkerError

    async with JsWorker(echo_js) as j:
        assert not j._port.has_ring()
        with pytest.raises(PyWebWorkerError, match="crossOriginIsolated is false"):
            j.wait_for_messages(timeout=1)
        j.send_message("nested")
        assert (await j.receive(timeout=20)).read() == "nested"


@run_in_pyodide
async def _ring_isolated(selenium, ring_py, main_thread):
    # Chromium with shared memory (a cross-origin isolated page): messages are visible
    # mid-cell and interrupt() works, on the page and in Pyodide inside a worker; only a
    # worker may block in wait_for_messages (Atomics.wait is not allowed on a page).
    import time

    import pytest

    from pywebworker import JsWorker, PyWorker, SharedMemoryError, shared_memory_available

    def polled(w, n, seconds=20.0):
        """n messages read in one synchronous block (no await), without blocking."""
        got, end = [], time.monotonic() + seconds
        while len(got) < n:
            assert time.monotonic() < end, f"mid-cell: {got}"
            got += [m.read() for m in w.get_unread_messages()]
        return got

    assert shared_memory_available()
    w = PyWorker(ring_py).start()
    await w.ready(timeout=60)
    assert w._port.has_ring()
    w.send_message("ping")
    assert polled(w, 1) == ["ping"]
    w.send_message("spin")
    assert polled(w, 1) == ["spinning"]
    w.interrupt()
    assert polled(w, 1) == ["interrupted"]
    j = JsWorker("onmessage = (e) => postMessage(e.data + ' back')").start()
    await j.ready(timeout=60)
    j.send_message("js")
    assert polled(j, 1) == ["js back"]
    j.kill()
    if main_thread:
        with pytest.raises(SharedMemoryError, match="cannot block a browser page's main thread"):
            w.wait_for_messages(timeout=1)
        w.send_message("async")
        assert (await w.receive(timeout=20)).read() == "async"  # unchanged
    else:
        w.send_message(b"\xff" * 5)
        assert w.wait_for_messages() is True
        assert [m.read() for m in w.get_unread_messages()] == [b"\xff" * 5]
        t0 = time.monotonic()
        assert w.wait_for_messages(timeout=0.3) is False
        assert 0.25 <= time.monotonic() - t0 < 10
        w.send_message("many 3")
        got = []
        while len(got) < 3 and w.wait_for_messages(timeout=20):
            got += [m.read() for m in w.get_unread_messages()]
        assert got == ["0", "1", "2"]
    w.kill()


def test_ring_isolated_page(selenium_isolated, ring_py, echo_js):
    if selenium_isolated.browser == "node":
        pytest.skip("Node: test_ring_page")
    _ring_isolated(selenium_isolated, ring_py, True)


def test_ring_isolated_worker(selenium_isolated_worker, ring_py, echo_js):
    if selenium_isolated_worker.browser == "node":
        pytest.skip("Node: test_ring_page")
    _ring_isolated(selenium_isolated_worker, ring_py, False)


@run_in_pyodide
async def _interrupt_calls(selenium, interrupt_py):
    import asyncio

    from pywebworker import PyWorker, RemoteError

    w = PyWorker(interrupt_py).start()
    await w.ready(timeout=60)
    work = sum(range(3000))

    async def interrupted(name, *, then=None):
        """Call `name`, interrupt it once it runs: the call rejects with the
        KeyboardInterrupt (or returns what the export made of it), the worker serves on."""
        job = asyncio.ensure_future(w.call(name, timeout=20))
        assert (await w.receive(timeout=20)).read() == name
        w.interrupt()
        if then is not None:
            await then()
        got = (await asyncio.gather(job, return_exceptions=True))[0]
        assert w.state == "running", (name, got)
        assert await w.exports.work(3000, timeout=20) == work
        return got

    def keyboard_interrupt(got):
        return isinstance(got, RemoteError) and got.remote_type == "KeyboardInterrupt"

    # An async export: the interrupt lands in its coroutine or, more often, in the
    # event loop's code between its steps; before, that failed the worker.
    for _ in range(12):
        got = await interrupted("aspin")
        assert keyboard_interrupt(got), got
    # Either way the coroutine sees a KeyboardInterrupt, where it runs or waits.
    for _ in range(4):
        assert await interrupted("acatch") == "caught"
    # A sync export.
    for _ in range(3):
        got = await interrupted("spin")
        assert keyboard_interrupt(got), got

    # One waiting for an hour runs no Python: the interrupt reaches it when the worker
    # next does (here the next call), and does not hit that call.
    async def call_work():
        assert await w.exports.work(3000, timeout=20) == work

    got = await interrupted("await_long", then=call_work)
    assert keyboard_interrupt(got), got

    # Idle: the next call (a few thousand bytecodes, where Pyodide would see it) is not hit.
    for _ in range(5):
        w.interrupt()
        assert await w.exports.work(3000, timeout=20) == work
        assert w.state == "running"

    # A task of the script's own: hit or not, the worker serves on.
    await w.exports.start_bg()
    for _ in range(40):
        w.interrupt()
        await asyncio.sleep(0.02)
        assert w.state == "running"
        if await w.exports.bg_done(timeout=20):
            break
    assert await w.exports.bg_done()
    assert await w.exports.work(10, timeout=20) == 45
    w.kill()


def test_interrupt_calls(selenium_isolated, interrupt_py):
    # worker.interrupt() during an async export, a sync one, an idle worker and the
    # worker's own loop code fails only the running call (issue 23): Node, and Chromium
    # on a cross-origin isolated page.
    _interrupt_calls(selenium_isolated, interrupt_py)
