"""Issue 8, Python side: nothing raised while handling a worker's event reaches the JS
glue, values arrive exactly or are refused at the send, timeouts of any length, integer
arguments. Each test failed before its fix (a dead Node process, a silent change, a
timer firing after 1 ms, a wrong type accepted)."""

from pytest_pyodide import run_in_pyodide

# A JsWorker that calls host functions and reports what each call gave, and echoes.
CALLER_JS = """
pywebworker.expose({
  echo: (...a) => a,
  never: () => new Promise(() => {}),
});
self.onmessage = async (e) => {
  if (e.data !== "go") return self.postMessage(e.data);
  const out = [];
  for (const name of ["big", "abig", "aset", "huge", "exit", "aexit", "ok"]) {
    try { out.push([name, "ok", await pywebworker.call(name)]); }
    catch (err) { out.push([name, err.name, err.message]); }
  }
  self.postMessage(out);
};
"""

# A PyWorker whose exports fail in every way a result can; "ok" keeps working.
HOSTILE_PY = """
import asyncio
from pywebworker import parent

def ok(x):
    return x

def big():
    return 10**5000

async def aset():
    await asyncio.sleep(0)
    return {1, 2}

async def abig():
    return 10**5000

def leave():
    raise SystemExit(3)

async def aleave():
    raise KeyboardInterrupt

def echo(*args):
    return list(args)

async def ask_host(name):
    try:
        return ["ok", await parent.call(name)]
    except Exception as e:
        return [type(e).__name__, getattr(e, "remote_type", ""), str(e)]

def on_message(m):
    v = m.read()
    if v == "exit":
        raise SystemExit(7)
    if v == "aexit":
        return aexit()
    parent.send_message(["got", v])

async def aexit():
    raise KeyboardInterrupt("from a coroutine handler")

parent.on_message = on_message
__export__ = ["ok", "big", "aset", "abig", "leave", "aleave", "echo", "ask_host"]
"""


def pytest_generate_tests(metafunc):
    for name, value in (("caller_js", CALLER_JS), ("hostile_py", HOSTILE_PY)):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, [value], ids=[name])


@run_in_pyodide
async def test_host_functions_whose_result_cannot_be_sent_reject_in_a_jsworker(selenium_pyww, caller_js):
    # Before: 10**5000 raised a bare ValueError out of the event handler (Node died).
    import asyncio

    from pywebworker import JsWorker

    w = JsWorker(caller_js)

    async def abig():
        return 10**5000

    async def aset():
        return {1}

    async def aexit():
        raise SystemExit(2)

    def leave():
        raise SystemExit(1)

    for name, fn in (("big", lambda: 10**5000), ("abig", abig), ("aset", aset), ("huge", lambda: 2**64 + 1),
                     ("exit", leave), ("aexit", aexit), ("ok", lambda: 5)):
        w.expose(fn, name=name)
    w.start()
    await w.ready(timeout=20)
    w.send_message("go")
    got = {name: (kind, text) for name, kind, text in (await w.receive(timeout=20)).read()}
    assert got["ok"] == ("ok", 5)
    for name in ("big", "abig", "huge"):
        kind, text = got[name]
        assert kind == "PayloadError" and f"the result of {name}()" in text and "2**53" in text, got[name]
    assert got["aset"][0] == "PayloadError" and "set" in got["aset"][1]
    assert got["exit"][0] == got["aexit"][0] == "SystemExit"
    # The host goes on: its worker still answers, and calls to it still work.
    assert await asyncio.wait_for(w.exports.echo(1), 20) == [1]
    w.kill()


@run_in_pyodide
async def test_handler_base_exceptions_are_reported_and_delivery_goes_on(selenium_pyww, caller_js):
    # Before: SystemExit from on_message went back into the JS glue (Node died).
    import contextlib
    import io

    from pyodide_waits import wait_until

    from pywebworker import JsWorker

    seen = []

    def handler(m):
        v = m.read()
        if v in ("exit", "interrupt"):
            raise SystemExit(v) if v == "exit" else KeyboardInterrupt(v)
        seen.append(v)

    async def ahandler(m):
        v = m.read()
        if v == "aexit":
            raise SystemExit(v)
        seen.append(v)

    err = io.StringIO()
    with JsWorker(caller_js) as w, contextlib.redirect_stderr(err):
        w.on_message = handler
        for v in ("exit", "a", "interrupt", "b"):
            w.send_message(v)
        await wait_until(lambda: seen == ["a", "b"], what="the messages after the failing ones")
        w.on_message = ahandler
        for v in ("aexit", "c"):
            w.send_message(v)
        await wait_until(lambda: "c" in seen and err.getvalue().count("SystemExit") >= 2, what="the async handler")
    text = err.getvalue()
    assert text.count("on_message handler raised") == 3 and "KeyboardInterrupt" in text, text


@run_in_pyodide
async def test_a_call_whose_result_cannot_be_sent_fails_alone(selenium_pyww, hostile_py):
    # Before: big() failed the whole PyWorker and every call of its batch; abig() and
    # aset() were never answered.
    import asyncio
    import math

    from pyodide_waits import wait_until

    from pywebworker import PyWorker, RemoteError

    w = PyWorker(hostile_py)
    w.expose(lambda: 10**5000, name="hbig")
    w.expose(lambda: 2**64 + 1, name="hhuge")

    async def haset():
        return {1}

    w.expose(haset)
    w.start()
    await w.ready(timeout=60)
    calls = [w.exports.ok(1), w.exports.big(), w.exports.ok(2), w.exports.aset(), w.exports.abig(),
             w.exports.leave(), w.exports.aleave(), w.exports.ok(3)]
    got = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 30)
    assert got[0] == 1 and got[2] == 2 and got[7] == 3, got
    for i, name in ((1, "big"), (3, "aset"), (4, "abig")):
        assert isinstance(got[i], RemoteError) and got[i].remote_type == "PayloadError", got[i]
        assert f"the result of {name}()" in got[i].remote_message
    assert "digits" in got[1].remote_message and "set" in got[3].remote_message
    assert [got[5].remote_type, got[6].remote_type] == ["SystemExit", "KeyboardInterrupt"]
    assert w.state == "running" and await w.exports.ok(4) == 4

    # Host functions the worker calls: unsendable results reject that call there.
    assert (await w.exports.ask_host("hbig"))[:2] == ["RemoteError", "PayloadError"]
    assert (await w.exports.ask_host("haset"))[:2] == ["RemoteError", "PayloadError"]
    # Between two Pythons values travel exactly: big ints, floats that look like ints.
    assert await w.exports.ask_host("hhuge") == ["ok", 2**64 + 1]
    sent = [2**64 + 1, -(10**400), 1.0, -0.0, [2.0], {"s": "\ud800", "t": "a\udfffb"}, 10**4299]
    back = await w.exports.echo(*sent)
    assert back == sent and [type(v) for v in back[:4]] == [int, int, float, float]
    assert math.copysign(1.0, back[3]) == -1.0 and type(back[4][0]) is float

    # on_message in a PyWorker: SystemExit and a coroutine's KeyboardInterrupt are
    # reported to the host as error messages, and delivery goes on.
    for v in ("exit", "aexit", "after"):
        w.send_message(v)
    await wait_until(lambda: len(w.get_unread_messages()) >= 3, what="three messages")
    values = [m.read() for m in w.get_unread_messages()]
    assert ["got", "after"] in values
    errors = sorted(v.remote_type for v in values if isinstance(v, RemoteError))
    assert errors == ["KeyboardInterrupt", "SystemExit"], values
    assert w.state == "running"
    w.kill()


@run_in_pyodide
async def test_numbers_and_text_arrive_exactly_or_are_refused(selenium_pyww, caller_js):
    # Before: 2**64 + 1 came back rounded, 10**5000 raised a bare ValueError, "\ud800"
    # became U+FFFD, and a surrogate in JSON data could not cross.
    import pytest

    from pywebworker import JsWorker, PayloadError

    async with JsWorker(caller_js) as w:
        for bad, words in ((2**64 + 1, "18446744073709551617"), (2**53, "2**53"), ([1, {"x": -(2**53)}], "['x']"),
                           (10**5000, "digits"), ("a\ud800", "position 1")):
            with pytest.raises(PayloadError, match=words.replace("*", r"\*").replace("[", r"\[")):
                w.send_message(bad)
        with pytest.raises(PayloadError, match="2\\*\\*53"):
            await w.call("echo", 2**64)
        assert await w.call("echo", ["\ud800", {"k\udc00": "x"}], 2**53 - 1) == [["\ud800", {"k\udc00": "x"}],
                                                                                 2**53 - 1]
        safe = [2**53 - 1, -(2**53 - 1), ["\ud800"], {"k": "a\udfffb"}]
        for v in safe:
            w.send_message(v)
        assert [(await w.receive(timeout=20)).read() for _ in safe] == safe
        with pytest.raises(PayloadError, match="surrogate pair"):
            w.send_message(["\ud83d\ude00"])


@run_in_pyodide
async def test_timeouts_of_any_length(selenium_pyww, caller_js):
    # Before: 3e6 s and inf fired after 1 ms (setTimeout overflow); NaN was accepted.
    import asyncio
    import math

    import pytest
    from pyodide_waits import stays

    from pywebworker import JsWorker

    async with JsWorker(caller_js) as w:
        waits = [asyncio.ensure_future(w.receive(timeout=t)) for t in (3e6, math.inf, 2**40)]
        calls = [asyncio.ensure_future(w.call("never", timeout=t)) for t in (3e6, math.inf)]
        await stays(lambda: not any(f.done() for f in waits + calls), 0.3, what="long timeouts pending")
        for f in waits + calls:
            f.cancel()
        for bad, exc in ((math.nan, ValueError), (-1, ValueError), (-math.inf, ValueError), ("1", TypeError)):
            with pytest.raises(exc):
                await w.receive(timeout=bad)
            with pytest.raises(exc):
                await w.call("echo", 1, timeout=bad)
            with pytest.raises(exc):
                await w.ready(timeout=bad)
        assert await w.call("echo", 1, timeout=True) == [1]  # bool is an int, as in time.sleep
        with pytest.raises(TimeoutError):
            await w.call("never", timeout=0.05)


@run_in_pyodide
async def test_integer_arguments_and_released_handles(selenium_pyww, caller_js):
    # Before: get_message(1.5) and set_queue_limits(1.5) were accepted, and a handle from
    # get_unread_messages() raised MessageReleasedError after clear_read().
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, MessageReleasedError

    class Index:
        def __index__(self):
            return 1

    async with JsWorker(caller_js) as w:
        for v in ("a", "b"):
            w.send_message(v)
        await wait_until(lambda: len(w.get_unread_messages()) == 2, what="two echoes")
        for bad in (1.5, "1", None):
            with pytest.raises(TypeError):
                w.get_message(bad)
        assert w.get_message(True).index == w.get_message(Index()).index == 1
        for kwargs in ({"max_messages": 1.5}, {"max_bytes": "1"}, {"max_messages": 10.0}):
            with pytest.raises(TypeError):
                w.set_queue_limits(**kwargs)
        w.set_queue_limits(Index(), Index())
        w.set_queue_limits()

        held = w.get_unread_messages()
        assert (await w.receive()).read() == "a"  # opened through another handle
        assert w.clear_read() == 1
        assert held[0].read() == "a" and held[0].read() == "a"
        assert held[0].is_opened() and held[0].kind == "text"
        with pytest.raises(MessageReleasedError):
            assert held[0].received
        with pytest.raises(MessageReleasedError):
            w.get_message(0)
        assert held[1].read() == "b"


@run_in_pyodide
def test_a_batch_that_does_not_decode_fails_item_by_item(selenium_pyww):
    # The host's and the worker's batch readers: one item that json cannot decode (an
    # int over the digits limit) fails only its own call.
    from pywebworker._wire import read_batch

    text = '[[1,1,[1,"]"],-1],[2,1,' + "9" * 5000 + ',-1],[3,0,{"name":"E","message":"m]\\"","stack":""},-1]]'
    rejected = []
    items = read_batch(text, lambda i, e: rejected.append((i, type(e).__name__)))
    assert [item[0] for item in items] == [1, 3] and items[1][2]["message"] == 'm]"'
    assert rejected == [(2, "ValueError")]
