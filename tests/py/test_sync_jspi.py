"""A PyWorker without shared memory blocks with JSPI (issue 24, item 6): `parent.sync`,
`parent.window` / `parent.document`, `wait_for_messages()` (on a worker of the worker's
own), the worker's `input()` and `time.sleep()` go through `pyodide.ffi.run_sync` over a
posted answer (pywebworker/_sync.py, js/sync.js requestPosted), from every place a
worker's Python runs: sync and async exports, an on_message handler, the script's top
level, code resumed after an await. Same answers and errors as with shared memory.

Where the tests run (which path ran is printed):
- Chromium, a page that is not cross-origin isolated (`selenium_pyww`): no
  SharedArrayBuffer, JSPI: the JSPI path.
- Node 26 (`make test-py` runs this file there too), shared memory turned off for the
  worker with the tests' switch (PYWW_TEST_NO_SHARED_MEMORY=1 in process.env: js/sync.js
  pwwSharedMemory): the JSPI path, compared with a worker that has shared memory, whose
  answers must be the same.
- Node 20 (no JSPI), shared memory off: SharedMemoryError, naming both ways out.
"""

from pytest_pyodide import run_in_pyodide

JSPI_PY = '''
import asyncio
import time

import js
from pywebworker import JsWorker, RemoteError, parent, shared_memory_available
from pywebworker._blocking import can_block


def path():
    return {"shared": shared_memory_available(), "blocks": can_block()}


def outcome(fn):
    """["ok", result], or [type name, message] of what fn() raised."""
    try:
        return ["ok", fn()]
    except BaseException as e:
        return [type(e).__name__, str(e)]


def calls():
    out = {"path": path()}
    out["add"] = parent.sync.add(2, 3)
    out["big_int"] = parent.sync.add(2**70, 1)  # the host is Python: exact
    out["bytes"] = parent.sync.echo(b"\\x00\\xff", {"k": [b"ab", "\\u00e9\\U0001f40d"]})
    big = parent.sync.big(2 * 1024 * 1024)
    out["big"] = [type(big).__name__, len(big), big == bytes(range(256)) * (len(big) // 256)]
    out["async"] = parent.sync.later("x", 0.01)
    parent.send_message("sent before")
    out["seen"] = parent.sync.seen()  # the message went before the call
    for name in ("boom", "nope", "unsendable"):
        try:
            getattr(parent.sync, name)()
        except RemoteError as e:
            out[name] = [type(e).__name__, e.remote_type, e.remote_message, "in boom" in e.remote_traceback]
    t = time.monotonic()
    try:
        parent.sync.later("late", 0.5, timeout=0.1)
    except TimeoutError as e:
        out["timeout"] = [time.monotonic() - t >= 0.09, str(e)]
    out["after"] = parent.sync.add(1, 1)  # the late answer of later() is dropped
    out["then"] = parent.sync.later("y", 0.6)  # and later still: it does not stand for this one
    return out


def dom():
    w = parent.window
    s = w.Set.new(["a", "b"])
    out = {"array": w.Array.of(1, "a", None), "set": ["a" in s, "z" in s, len(s)],
           "date": w.Date.new(0).toISOString(), "js_error": outcome(lambda: w.JSON.parse("{")),
           "missing": outcome(lambda: w.pww_not_there)}
    try:
        doc = parent.document
        title = doc.title
        doc.title = "set by the worker"
        out["document"] = ["page", title, doc.title]
    except AttributeError as e:
        out["document"] = ["none", str(e)]
    return out


async def messages():
    """wait_for_messages() on a JsWorker of this worker's own (ready first: with shared
    memory, a reply behind the worker's "ready", still on its way, would need the event
    loop, and wait_for_messages() would return False at once)."""
    j = JsWorker("onmessage = (e) => postMessage(e.data + ' back')").start()
    await j.ready(timeout=30)
    j.send_message("ping")
    out = {"ring": j._port.has_ring(), "waited": j.wait_for_messages(timeout=30)}
    out["got"] = [m.read() for m in j.get_unread_messages()]
    t = time.monotonic()
    out["timeout"] = [j.wait_for_messages(timeout=0.3), time.monotonic() - t >= 0.25]
    j.kill()
    out["killed"] = outcome(lambda: j.wait_for_messages(timeout=1))
    return out


def ask():
    print("asking", end="")
    return [input("name? "), input(), outcome(input)]


def nap(seconds):
    """time.sleep: how long, and whether the event loop ran meanwhile (JSPI: it does;
    a spinning sleep: it cannot); what it refuses."""
    ticks = []
    handle = asyncio.get_event_loop().call_later(seconds / 4, ticks.append, "tick")
    t = time.monotonic()
    result = time.sleep(seconds)
    took = time.monotonic() - t
    handle.cancel()
    refused = [outcome(lambda v=v: time.sleep(v)) for v in (-1, float("nan"), "1", 10**30)]
    return {"result": result, "took": took, "loop_ran": ticks == ["tick"], "refused": refused}


async def after_await():
    # Resumed by the host's reply (a JS event), then blocking.
    three = await parent.host.add(1, 2)
    return [three, outcome(lambda: parent.sync.add(3, 4)), path()]


handled = []


def on(m):
    if isinstance(m.read(), int):  # (setting the handler hands it "first" too)
        handled.append(outcome(lambda: parent.sync.add(m.read(), 1)))


def handled_so_far():
    return handled


def not_here():
    """parent.sync from a plain JS callback (no stack switching): it cannot block."""
    from pyodide.ffi import create_once_callable

    from pywebworker import SharedMemoryError
    from pywebworker._blocking import BlockingError

    fut = asyncio.get_event_loop().create_future()

    def callback():
        try:
            parent.sync.add(1, 2)
            fut.set_result(["ok"])
        except Exception as e:
            fut.set_result([type(e).__name__, isinstance(e, SharedMemoryError), isinstance(e, BlockingError), str(e)])

    js.setTimeout(create_once_callable(callback), 0)
    return fut


def top_level():
    return top


def double(x):
    return 2 * x


def call_back():
    """A host function that calls this worker back while it waits: over JSPI the worker
    answers meanwhile; frozen on shared memory, the sync call times out."""
    return outcome(lambda: parent.sync.via_worker(21, timeout=2))


__export__ = ["calls", "dom", "messages", "ask", "nap", "after_await", "handled_so_far", "not_here", "top_level",
              "double", "call_back"]
first = await parent.receive()  # ready from here: the host sends it
top = [first.read(), outcome(lambda: parent.sync.add(10, 1)), path()]
parent.on_message = on
'''


def pytest_generate_tests(metafunc):
    if "jspi_py" in metafunc.fixturenames:
        metafunc.parametrize("jspi_py", [JSPI_PY], ids=["py"])


@run_in_pyodide
async def _run(selenium, jspi_py):
    import asyncio
    import time

    import js
    from pywebworker import PyWorker, shared_memory_available
    from pywebworker._blocking import jspi_supported

    node = hasattr(js, "process")
    jspi = jspi_supported()
    prompts = []

    def make(no_shared_memory):
        answers = iter(["alice\n", "bob"])

        def host_input(prompt):
            prompts.append(prompt)
            for line in answers:
                return line
            raise EOFError("no more lines")

        def boom():
            raise ValueError("bad host")

        async def later(x, seconds):
            await asyncio.sleep(seconds)
            return x

        w = PyWorker(jspi_py)
        w.expose(lambda a, b: a + b, name="add")
        w.expose(lambda *args: list(args), name="echo")
        w.expose(lambda n: bytes(range(256)) * (n // 256), name="big")
        w.expose(lambda: [m.read() for m in w.get_unread_messages()], name="seen")
        w.expose(lambda: {1, 2}, name="unsendable")
        w.expose(boom)
        w.expose(later)
        w.expose(host_input, name="input")

        async def via_worker(x):
            return await w.exports.double(x, timeout=10)

        w.expose(via_worker)
        if no_shared_memory and node:  # the tests' switch: this worker (and its own workers) have none
            js.process.env.PYWW_TEST_NO_SHARED_MEMORY = "1"
        try:
            w.start()
        finally:
            if node:
                js.process.env.PYWW_TEST_NO_SHARED_MEMORY = "0"
        return w

    async def everything(w):
        w.send_message("first")
        await w.ready(timeout=60)
        out = {"top": await w.exports.top_level(timeout=60)}
        for name in ("calls", "dom", "messages", "ask", "after_await", "not_here", "call_back"):
            try:
                out[name] = await w.call(name, timeout=60)
            except Exception as e:  # noqa: BLE001 - where the worker cannot block: its error
                out[name] = [type(e).__name__, getattr(e, "remote_type", None), getattr(e, "remote_message", str(e))]
        out["nap"] = await w.exports.nap(0.4, timeout=60)
        for i in (1, 2):
            w.send_message(i)
        out["handled"] = await handled(w, 2)
        return out

    async def handled(w, n):
        """What the worker's on_message handler did with the first n messages."""
        got = []

        async def poll():
            got[:] = await w.exports.handled_so_far()
            return len(got) >= n

        end = time.monotonic() + 30
        while not await poll():
            assert time.monotonic() < end, f"the handler: {got}"
            await asyncio.sleep(0.01)
        return got

    w = make(no_shared_memory=True)
    out = await everything(w)
    w.kill()
    host_shared = shared_memory_available()
    print(f"\nruntime: {'node' if node else 'chrome'}; JSPI: {jspi}; worker: {out['top'][2]}; host shared memory "
          f"{host_shared}; nested worker: {out['messages']}")
    assert out["top"][2]["shared"] is False  # the switch (Node) or the page (Chromium): no shared memory

    # CPython's answers to what time.sleep refuses, from the original under Pyodide's.
    original = time.sleep
    while hasattr(original, "__wrapped__"):
        original = original.__wrapped__
    refused = []
    for v in (-1, float("nan"), "1", 10**30):
        try:
            original(v)
        except Exception as e:  # noqa: BLE001
            refused.append([type(e).__name__, str(e)])
    nap = out["nap"]
    assert nap["result"] is None and nap["took"] >= 0.38 and nap["refused"] == refused
    assert out["not_here"][:3] == (["CannotBlockHereError", True, True] if jspi else ["SharedMemoryError", True, False])

    if not jspi:
        # Node 20: neither way. One error each, naming both ways out; nothing hangs.
        print("path: SharedMemoryError (no shared memory, no JSPI)")
        assert nap["loop_ran"] is False  # Pyodide's own time.sleep: it spins
        errors = [out[k] for k in ("calls", "dom", "messages", "ask")] + [out["top"][1], out["after_await"][1]]
        errors.append(out["call_back"])
        errors += out["handled"] + [out["not_here"][::3]]
        for error in errors:
            text = error[-1]
            assert "SharedMemoryError" in error, error
            assert "Cross-Origin-Opener-Policy: same-origin" in text
            assert "Cross-Origin-Embedder-Policy: require-corp" in text
            assert "JSPI" in text and "Node 26" in text, text
        return

    print("path: JSPI (pyodide.ffi.run_sync over a posted answer)")
    assert nap["loop_ran"] is True  # a real sleep: the event loop ran while it waited
    calls = out["calls"]
    assert calls["path"] == {"shared": False, "blocks": True}
    assert calls["add"] == 5 and calls["big_int"] == 2**70 + 1
    assert calls["bytes"] == [b"\x00\xff", {"k": [b"ab", "\u00e9\U0001f40d"]}]
    assert calls["big"] == ["bytes", 2 * 1024 * 1024, True]
    assert calls["async"] == "x" and calls["seen"] == ["sent before"]
    assert calls["boom"] == ["RemoteError", "ValueError", "bad host", True]
    assert calls["nope"][:2] == ["RemoteError", "NotExportedError"] and "add" in calls["nope"][2]
    assert calls["unsendable"][1] == "PayloadError" and "set" in calls["unsendable"][2]
    assert calls["timeout"][0] is True and "later() within 0.1 s" in calls["timeout"][1]
    assert calls["after"] == 2 and calls["then"] == "y"
    dom = out["dom"]
    assert dom["array"] == [1, "a", None] and dom["set"] == [True, False, 2]
    assert dom["date"] == "1970-01-01T00:00:00.000Z"
    assert dom["js_error"][0] == "RemoteError" and "SyntaxError" in dom["js_error"][1]
    assert dom["missing"][0] == "AttributeError"
    if node:
        assert dom["document"][0] == "none" and "Node" in dom["document"][1]
    else:
        assert dom["document"][0] == "page" and dom["document"][2] == "set by the worker"
        assert js.document.title == "set by the worker"  # checked on the page
    messages = out["messages"]
    assert messages["ring"] is False  # the worker's own worker has no shared memory either
    assert messages["waited"] is True and messages["got"] == ["ping back"]
    assert messages["timeout"] == [False, True]
    assert messages["killed"][0] == "WorkerKilledError"
    assert out["ask"] == ["alice", "bob", ["EOFError", "no more lines"]] and prompts[:3] == ["name? ", "", ""]
    assert out["after_await"] == [3, ["ok", 7], {"shared": False, "blocks": True}]
    assert out["top"] == ["first", ["ok", 11], {"shared": False, "blocks": True}]
    assert out["handled"] == [["ok", 2], ["ok", 3]]
    assert "has JSPI, but this Python cannot block here" in out["not_here"][3]
    assert out["call_back"] == ["ok", 42]  # the worker served double() while it waited

    if node:
        # The same worker with shared memory answers the same (the shared-memory path).
        del prompts[:]
        w2 = make(no_shared_memory=False)
        out2 = await everything(w2)
        w2.kill()
        print(f"shared-memory worker: {out2['top'][2]}; nested worker ring: {out2['messages']['ring']}")
        assert out2["top"][2]["shared"] is True and out2["messages"]["ring"] is True
        out2["calls"]["path"] = out["calls"]["path"]
        out2["messages"]["ring"] = out["messages"]["ring"]
        for key in ("calls", "dom", "messages", "ask"):
            assert out2[key] == out[key], key
        assert out2["ask"] == out["ask"] and out2["handled"] == out["handled"]
        assert out2["top"][:2] == out["top"][:2] and out2["after_await"][:2] == out["after_await"][:2]
        assert out2["nap"]["refused"] == refused
        assert out2["call_back"][0] == "TimeoutError"  # frozen: double() waits for the sync call to end


def test_sync_without_shared_memory(selenium_pyww, jspi_py):
    _run(selenium_pyww, jspi_py)


ORDER_PY = '''
from pywebworker import parent

seen = []

def on_message(m):
    v = m.read()
    seen.append("bytes" if isinstance(v, bytes) else v)
    parent.send_message(v)

def get_seen():
    return list(seen)

__export__ = ["get_seen"]
parent.on_message = on_message
'''


@run_in_pyodide
async def _order(selenium, order_py):
    # As test_batching's: messages and calls keep their order, also where this worker's
    # events enter Python with stack switching (js/protocol.js pwwGate: a handler must not
    # see a message that came after a call not served yet).
    import js
    from pywebworker import PyWorker

    node = hasattr(js, "process")
    w = PyWorker(order_py)
    if node:
        js.process.env.PYWW_TEST_NO_SHARED_MEMORY = "1"
    try:
        w.start()
    finally:
        if node:
            js.process.env.PYWW_TEST_NO_SHARED_MEMORY = "0"
    await w.ready(timeout=60)
    sent = ["a", {"b": [1]}, b"\x00" * 3, "c", "d", [2], b"\x01" * 70000, "e"]
    first = w.call("get_seen")
    for v in sent[:4]:
        w.send_message(v)
    middle = w.call("get_seen")
    for v in sent[4:]:
        w.send_message(v)
    last = w.call("get_seen")
    expect = ["bytes" if isinstance(v, bytes) else v for v in sent]
    assert await first == []
    assert await middle == expect[:4]
    assert await last == expect
    assert [(await w.receive(timeout=20)).read() for _ in sent] == sent
    w.kill()


def test_order_of_messages_and_calls(selenium_pyww):
    _order(selenium_pyww, ORDER_PY)


BENCH_PY = '''
import time
from pywebworker import parent

async def bench(n, rounds):
    """Per-call seconds of `await parent.host.add()` and of `parent.sync.add()`, in
    alternating rounds of n calls (after a warm-up of each): medians."""
    for i in range(20):
        await parent.host.add(i, 1)
        parent.sync.add(i, 1)
    awaited, blocking = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        for i in range(n):
            await parent.host.add(i, 1)
        awaited.append((time.perf_counter() - t) / n)
        t = time.perf_counter()
        for i in range(n):
            parent.sync.add(i, 1)
        blocking.append((time.perf_counter() - t) / n)
    return [sorted(awaited)[rounds // 2], sorted(blocking)[rounds // 2]]

__export__ = ["bench"]
'''


@run_in_pyodide
async def _latency(selenium, bench_py):
    import js
    from pywebworker import PyWorker
    from pywebworker._blocking import jspi_supported

    if not jspi_supported():
        print("\nno JSPI: nothing to measure")
        return
    node = hasattr(js, "process")
    w = PyWorker(bench_py)
    w.expose(lambda a, b: a + b, name="add")
    if node:
        js.process.env.PYWW_TEST_NO_SHARED_MEMORY = "1"
    try:
        w.start()
    finally:
        if node:
            js.process.env.PYWW_TEST_NO_SHARED_MEMORY = "0"
    awaited, blocking = await w.exports.bench(200, 5, timeout=120)
    w.kill()
    print(f"\nlatency over JSPI ({'node' if node else 'chrome'}): await parent.host.add() {awaited * 1e6:.0f} us, "
          f"parent.sync.add() {blocking * 1e6:.0f} us: {blocking / awaited:.2f}x")
    assert awaited > 0 and blocking > 0  # measured, not judged: no timing assertion


def test_sync_latency_over_jspi(selenium_pyww):
    """A benchmark aim of issue 24 (a blocking call over JSPI within 2x an awaited one):
    printed, never asserted (`pytest -s -k latency` shows it)."""
    _latency(selenium_pyww, BENCH_PY)
