"""Synchronous calls to the host over shared memory (js/sync.js): `parent.sync` in a
PyWorker and `pywebworker.sync` in a JsWorker, on Node and on a cross-origin isolated
Chromium page (selenium_isolated); the clear error on a page that is not isolated."""

import pytest
from pytest_pyodide import run_in_pyodide

SYNC_PY = '''
import time
from pywebworker import RemoteError, parent, shared_memory_available

def run_all():
    out = {"shared": shared_memory_available()}
    out["add"] = parent.sync.add(2, 3)
    out["big_int"] = parent.sync.add(2**70, 1)  # the host is Python: exact
    out["bytes"] = parent.sync.echo(b"\\x00\\xff", {"k": [b"ab", "\\u00e9\\U0001f40d"]})
    big = parent.sync.big(20 * 1024 * 1024)
    out["big"] = [type(big).__name__, len(big), big[:2], big[-2:], big == bytes(range(256)) * (len(big) // 256)]
    out["async"] = parent.sync.later("x", 0.01)
    parent.send_message("sent before")
    out["seen"] = parent.sync.seen()  # the message went before the call
    for name in ("boom", "nope", "unsendable"):
        try:
            getattr(parent.sync, name)()
        except RemoteError as e:
            out[name] = [e.remote_type, e.remote_message, e.remote_traceback]
    t = time.monotonic()
    try:
        parent.sync.later("late", 0.5, timeout=0.1)
    except TimeoutError as e:
        out["timeout"] = [time.monotonic() - t, str(e)]
    out["after"] = parent.sync.add(1, 1)  # the late answer of later() is dropped
    out["then"] = parent.sync.later("y", 0.6)  # and later still: it does not stand for this one
    return out

def block():
    parent.sync.never()

__export__ = ["run_all", "block"]
'''

SYNC_JS = '''
pywebworker.expose({
  runAll() {
    const out = { shared: pywebworker.sharedMemoryAvailable() };
    out.add = pywebworker.sync.add(2, 3);
    const echoed = pywebworker.sync.echo(new Uint8Array([0, 255]), { k: "\\u00e9" });
    out.bytes = [echoed[0] instanceof ArrayBuffer, Array.from(new Uint8Array(echoed[0])), echoed[1]];
    const big = pywebworker.sync.big(20 * 1024 * 1024);
    out.big = [big instanceof ArrayBuffer, big.byteLength, new Uint8Array(big)[255], new Uint8Array(big)[256]];
    try { pywebworker.sync.boom(); } catch (e) { out.boom = [e.name, e.message, e.remoteStack]; }
    const t = performance.now();
    try { pywebworker.callSync("later", ["late", 0.5], 0.1); }
    catch (e) { out.timeout = [e.name, performance.now() - t]; }
    out.after = pywebworker.sync.add(1, 1);
    return out;
  },
});
'''


def pytest_generate_tests(metafunc):
    if "sync_py" in metafunc.fixturenames:
        metafunc.parametrize("sync_py", [SYNC_PY], ids=["py"])
    if "sync_js" in metafunc.fixturenames:
        metafunc.parametrize("sync_js", [SYNC_JS], ids=["js"])
    if "sync_mpy" in metafunc.fixturenames:
        metafunc.parametrize("sync_mpy", [SYNC_MPY], ids=["mpy"])


@run_in_pyodide
async def test_pyworker_sync_calls(selenium_isolated, sync_py):
    import asyncio

    import pytest
    from pyodide_waits import stays, wait_until

    import pywebworker
    from pywebworker import PyWorker, WorkerKilledError

    assert pywebworker.shared_memory_available()
    w = PyWorker(sync_py)
    never = asyncio.get_event_loop().create_future()
    w.expose(lambda a, b: a + b, name="add")
    w.expose(lambda *args: list(args), name="echo")
    w.expose(lambda n: bytes(range(256)) * (n // 256), name="big")
    w.expose(lambda: [m.read() for m in w.get_unread_messages()], name="seen")
    w.expose(lambda: {1, 2}, name="unsendable")

    def boom():
        raise ValueError("bad host")

    async def later(x, seconds):
        await asyncio.sleep(seconds)
        return x

    async def wait_never():
        return await never

    w.expose(boom)
    w.expose(later)
    w.expose(wait_never, name="never")
    w.start()
    await w.ready(timeout=60)
    out = await w.exports.run_all(timeout=60)
    assert out["shared"] is True
    assert out["add"] == 5 and out["big_int"] == 2**70 + 1
    assert out["bytes"] == [b"\x00\xff", {"k": [b"ab", "\u00e9\U0001f40d"]}]
    assert out["big"] == ["bytes", 20 * 1024 * 1024, b"\x00\x01", b"\xfe\xff", True]
    assert out["async"] == "x"
    assert out["seen"] == ["sent before"]
    assert out["boom"][:2] == ["ValueError", "bad host"] and "in boom" in out["boom"][2]
    assert out["nope"][0] == "NotExportedError" and "add" in out["nope"][1]
    assert out["unsendable"][0] == "PayloadError" and "set" in out["unsendable"][1]
    assert 0.09 < out["timeout"][0] < 0.45 and "later() within 0.1 s" in out["timeout"][1]
    assert out["after"] == 2 and out["then"] == "y"
    assert not w.has_unread_messages()

    # Killed while blocked in a sync call: the host's call of block() is rejected at once
    # and the host function's late answer goes nowhere.
    blocked = asyncio.ensure_future(w.exports.block())
    await asyncio.sleep(0)
    await wait_until(lambda: w.call_stats["pending"] == 1, what="block() in flight")
    await stays(lambda: not blocked.done(), 0.2, what="block() blocked in the worker")
    w.kill()
    with pytest.raises(WorkerKilledError):
        await asyncio.wait_for(blocked, 2)
    never.set_result("too late")  # its answer is dropped, quietly
    await stays(lambda: w.state == "killed" and not w.has_unread_messages(), 0.1, what="nothing after the kill")


@run_in_pyodide
async def test_jsworker_sync_calls(selenium_isolated, sync_js):
    import asyncio

    from pywebworker import JsWorker

    def boom():
        raise ValueError("bad host")

    async def later(x, seconds):
        await asyncio.sleep(seconds)
        return x

    w = JsWorker(sync_js)
    w.expose(lambda a, b: a + b, name="add")
    w.expose(lambda *args: list(args), name="echo")
    w.expose(lambda n: bytes(range(256)) * (n // 256), name="big")
    w.expose(boom)
    w.expose(later)
    with w.start():
        out = await w.call("runAll", timeout=60)
    assert out["shared"] is True
    assert out["add"] == 5
    assert out["bytes"] == [True, [0, 255], {"k": "\u00e9"}]
    assert out["big"] == [True, 20 * 1024 * 1024, 255, 0]
    assert out["boom"][:2] == ["ValueError", "bad host"] and "bad host" in out["boom"][2]
    assert out["timeout"][0] == "TimeoutError" and 90 < out["timeout"][1] < 450
    assert out["after"] == 2


SYNC_MPY = '''
from pywebworker import RemoteError, TimeoutError, parent, shared_memory_available

def run_all():
    out = [shared_memory_available(), parent.sync.add(2, 3), parent.sync.echo(b"\\x00\\xff", 2**70)]
    try:
        parent.sync.boom()
    except RemoteError as e:
        out.append([e.remote_type, e.remote_message])
    try:
        parent.sync.later("late", 0.5, timeout=0.1)
    except TimeoutError as e:
        out.append(str(e))
    out.append(parent.sync.add(1, 1))
    return out

__export__ = ["run_all"]
'''


@run_in_pyodide
async def test_micropython_sync_calls(selenium_isolated, sync_mpy):
    import asyncio

    from pywebworker import PyWorker

    def boom():
        raise ValueError("bad host")

    async def later(x, seconds):
        await asyncio.sleep(seconds)
        return x

    w = PyWorker(sync_mpy, interpreter="micropython")
    w.expose(lambda a, b: a + b, name="add")
    w.expose(lambda *args: list(args), name="echo")
    w.expose(boom)
    w.expose(later)
    with w.start():
        shared, five, echoed, error, timeout, two = await w.exports.run_all(timeout=60)
    assert shared is True and five == 5 and two == 2
    assert echoed == [b"\x00\xff", 2**70]
    assert error == ["ValueError", "bad host"]
    assert "later() within 0.1 s" in timeout


@run_in_pyodide
async def test_sync_calls_from_a_worker_hosted_pyodide(selenium_isolated_worker):
    # The host is itself a worker (a JupyterLite kernel): its workers share memory too.
    from pywebworker import JsWorker, shared_memory_available

    assert shared_memory_available()
    w = JsWorker("pywebworker.expose({ run: () => [pywebworker.sync.add(2, 3), pywebworker.sync.add('a', 'b')] });")
    w.expose(lambda a, b: a + b, name="add")
    with w.start():
        assert await w.call("run", timeout=60) == [5, "ab"]


NO_SHM_PY = '''
from pywebworker import SharedMemoryError, parent, shared_memory_available

async def check():
    try:
        error = parent.sync.add(1, 2)  # a Pyodide worker with JSPI blocks with it instead: 3
    except SharedMemoryError as e:
        error = str(e)
    return [shared_memory_available(), error, await parent.host.add(1, 2)]

__export__ = ["check"]
'''

NO_SHM_JS = '''
pywebworker.expose({
  async check() {
    let error = null;
    try { pywebworker.sync.add(1, 2); } catch (e) { error = [e.name, e.message]; }
    return [pywebworker.sharedMemoryAvailable(), error, await pywebworker.host.add(1, 2)];
  },
});
'''


@run_in_pyodide
async def test_without_shared_memory(selenium_pyww, no_shm):
    # A page without COOP/COEP: one clear error, and the asynchronous calls work. A
    # Pyodide worker whose engine has JSPI (Chromium 137+) blocks with it instead
    # (tests/py/test_sync_jspi.py); a JsWorker and a MicroPython worker cannot.
    from pywebworker import JsWorker, PyWorker, shared_memory_available
    from pywebworker._blocking import jspi_supported

    assert not shared_memory_available()
    py_src, js_src = no_shm
    pyodide = PyWorker(py_src)
    for w in (pyodide, JsWorker(js_src), PyWorker(py_src, interpreter="micropython")):
        w.expose(lambda a, b: a + b, name="add")
        with w.start():
            shared, error, three = await w.call("check", timeout=60)
        assert shared is False and three == 3
        if w is pyodide and jspi_supported():
            assert error == 3
            continue
        text = error if isinstance(error, str) else error[1]
        assert isinstance(error, str) or error[0] == "SharedMemoryError"
        assert "crossOriginIsolated is false" in text
        assert "Cross-Origin-Opener-Policy: same-origin" in text
        assert "Cross-Origin-Embedder-Policy: require-corp" in text


@pytest.fixture
def no_shm(runtime):
    if runtime == "node":
        pytest.skip("Node always has shared memory")
    return NO_SHM_PY, NO_SHM_JS
