"""Issue 13, a hostile user of the synchronous host calls (js/sync.js, parent.sync):
reentrancy (the host calls the worker back while it blocks), a sync call from an
on_message handler, host functions that raise SystemExit/KeyboardInterrupt or return
what cannot be sent, odd names and timeouts, a long run of calls. Each either arrives
exactly or is refused where the user looks, and nothing waits for ever. (Forged `sync`
messages at the host: tests/js/test_sync_hostile.mjs.)"""

from pytest_pyodide import run_in_pyodide

HOSTILE_PY = '''
import math, time
from pywebworker import RemoteError, parent

def ping():
    return "pong"

def outcome(f):
    try:
        return ["ok", f()]
    except RemoteError as e:
        return [e.remote_type, e.remote_message[:80]]
    except Exception as e:
        return [type(e).__name__, str(e)[:80]]

def on_message(message):  # a sync call from a message handler
    parent.send_message(["handled", parent.sync.add(message.read(), 1)])

parent.on_message = on_message

def run_all():
    out = {}
    # The host's function awaits a call to this worker, which is blocked in the sync
    # call: it times out (no hang for ever), and the late answer stands for nothing.
    t = time.monotonic()
    out["reenter"] = outcome(lambda: parent.sync.reenter(timeout=0.5))
    out["reenter_s"] = time.monotonic() - t
    out["after_reenter"] = parent.sync.add(1, 1)
    for name in ("exit", "interrupt", "huge", "deep"):
        out[name] = outcome(getattr(parent.sync, name))
    out["never"] = outcome(lambda: parent.sync.never(timeout=0.3))  # a future never done
    for name in ("constructor", "toString", "__proto__", "a\\x00b", "hasOwnProperty"):
        out["name " + name] = outcome(lambda: getattr(parent.sync, name)())
    for t in (math.nan, -1, "1", None):
        out[f"timeout {t!r}"] = outcome(lambda: parent.sync.add(1, 2, timeout=t))
    out["timeout inf"] = outcome(lambda: parent.sync.add(1, 2, timeout=math.inf))
    out["timeout 10**400"] = outcome(lambda: parent.sync.add(1, 2, timeout=10**400))
    out["timeout 0"] = outcome(lambda: parent.sync.later("zero", 0.05, timeout=0))
    out["after 0"] = parent.sync.add(2, 2)
    # A long run: every answer its own, speed steady.
    n, times, bad = 3000, [], 0
    for i in range(n):
        if i % 500 == 0:
            times.append(time.monotonic())
        if parent.sync.add(i, 1) != i + 1:
            bad += 1
    times.append(time.monotonic())
    out["run"] = [bad, [round(b - a, 3) for a, b in zip(times, times[1:])]]
    return out

__export__ = ["run_all", "ping"]
'''


def pytest_generate_tests(metafunc):
    if "hostile_py" in metafunc.fixturenames:
        metafunc.parametrize("hostile_py", [HOSTILE_PY], ids=["py"])
    if "mpy_none" in metafunc.fixturenames:
        metafunc.parametrize("mpy_none", [MPY_NONE], ids=["mpy"])


@run_in_pyodide
async def test_pyworker_hostile_sync_calls(selenium_isolated, hostile_py):
    import asyncio

    from pywebworker import PyWorker

    w = PyWorker(hostile_py)
    reentered = []

    async def reenter():
        reentered.append(await w.exports.ping(timeout=30))
        return "late"

    async def later(x, seconds):
        await asyncio.sleep(seconds)
        return x

    def deep():
        v = []
        for _ in range(600):
            v = [v]
        return v

    def raise_(exc):
        raise exc

    w.expose(reenter)
    w.expose(later)
    w.expose(lambda a, b: a + b, name="add")
    w.expose(lambda: raise_(SystemExit(3)), name="exit")
    w.expose(lambda: raise_(KeyboardInterrupt()), name="interrupt")
    w.expose(lambda: 2**1000, name="huge")
    w.expose(deep)
    w.expose(lambda: asyncio.get_event_loop().create_future(), name="never")
    w.start()
    await w.ready(timeout=60)
    out = await w.exports.run_all(timeout=120)
    print(out)
    assert out["reenter"][0] == "TimeoutError" and 0.45 < out["reenter_s"] < 5
    assert out["after_reenter"] == 2
    for _ in range(200):  # the worker answers ping() once run_all() is done
        if reentered:
            break
        await asyncio.sleep(0.05)
    assert reentered == ["pong"]
    assert out["exit"][0] == "SystemExit" and out["interrupt"][0] == "KeyboardInterrupt"
    assert out["huge"] == ["ok", 2**1000]
    assert out["deep"][0] == "PayloadError" and out["never"][0] == "TimeoutError"
    for name in ("constructor", "toString", "a\x00b", "hasOwnProperty"):
        assert out["name " + name][0] == "NotExportedError", (name, out["name " + name])
    assert out["name __proto__"][0] == "AttributeError"
    assert out["timeout nan"][0] == "ValueError" and out["timeout -1"][0] == "ValueError"
    assert out["timeout '1'"][0] == "TypeError"
    assert out["timeout None"] == ["ok", 3]  # None: the worker's sync_timeout
    assert out["timeout inf"] == ["ok", 3] and out["timeout 10**400"] == ["ok", 3]
    assert out["timeout 0"][0] == "TimeoutError" and out["after 0"] == 4
    bad, laps = out["run"]
    assert bad == 0
    print("3000 sync calls, seconds per 500:", laps)

    # Sync calls from an on_message handler, several in a row: each answered, in order.
    for i in range(5):
        w.send_message(i)
    got = [(await w.receive(timeout=30)).read() for _ in range(5)]
    assert got == [["handled", i + 1] for i in range(5)]
    w.kill()


MPY_NONE = '''
from pywebworker import parent

def run_all():
    parent.sync_timeout = None  # no limit, as in a Pyodide PyWorker
    return [parent.sync.add(1, 2), parent.sync.add(3, 4, timeout=float("inf"))]

__export__ = ["run_all"]
'''


@run_in_pyodide
async def test_micropython_sync_timeout_none(selenium_isolated, mpy_none):
    from pywebworker import PyWorker

    w = PyWorker(mpy_none, interpreter="micropython")
    w.expose(lambda a, b: a + b, name="add")
    with w.start():
        assert await w.exports.run_all(timeout=60) == [3, 7]
