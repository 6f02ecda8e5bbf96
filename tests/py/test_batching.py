"""Issue 11, a hostile user against the message batches (``msgs``, _outbox.py, _inbox.py).

Messages sent in one JS task leave in one batch both ways, receive() reads ahead and
marks lazily. None of this may show: order (messages, calls, errors, close, failure),
read flags, indices and QueueFullError stay exactly what they were with one message
per postMessage; messages keep flowing while a worker computes; a forged batch is an
error message, never an exception out of a handler or out of a read.
"""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
async def test_send_indices_and_limits_as_if_sent_alone(selenium_pyww):
    """In a batch, send_message returns the index and raises QueueFullError exactly as
    for a message posted alone (where the core checks it: ASCII, non-ASCII, astral
    text and JSON against a 10-byte limit)."""
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, QueueFullError

    echo = "onmessage = (e) => postMessage(e.data);"

    payloads = [
        "a" * 10, "a" * 11, "\u00e9" * 10, "\u00e9" * 11, "\U0001f600" * 5, "\U0001f600" * 6,
        "\U0001f600" * 4 + "a", ["abcdef"], ["abcdefg"], {"k": "\u00e9\u00e9"}, "", [], 12345678,
    ]

    def outcomes(w, first):
        out = []
        if first is not None:
            w.send_message(first)
        for p in payloads:
            if first is None:  # each posted at once: the core checks it (no batch)
                w.set_queue_limits(max_bytes=10, queue="outbound")
            try:
                out.append(w.send_message(p))
            except QueueFullError:
                out.append("full")
        return out

    alone = JsWorker(echo).start()
    await alone.ready(timeout=20)
    queued = outcomes(alone, None)
    batched_worker = JsWorker(echo).start()
    await batched_worker.ready(timeout=20)
    batched_worker.set_queue_limits(max_bytes=10, queue="outbound")
    batched = outcomes(batched_worker, "x")  # "x" posted at once, the rest in one batch
    assert [r == "full" for r in batched] == [r == "full" for r in queued], (batched, queued)
    accepted = [p for p, r in zip(payloads, batched, strict=True) if r != "full"]
    assert [r for r in batched if r != "full"] == list(range(1, 1 + len(accepted)))
    await wait_until(lambda: len(batched_worker.get_unread_messages()) == 1 + len(accepted), what="the echoes")
    assert [m.read() for m in batched_worker.get_unread_messages()] == ["x", *accepted]
    assert alone.kill() == 0 and batched_worker.kill() == 0


@run_in_pyodide
async def test_order_messages_bytes_calls_both_ways(selenium_pyww):
    """Text, JSON, bytes and calls made in one task keep their order, host -> JsWorker
    -> host and host -> PyWorker -> host."""
    from pywebworker import JsWorker, PyWorker

    js = """
    const seen = [];
    onmessage = (e) => { seen.push(e.data instanceof ArrayBuffer ? "bytes" : e.data); postMessage(e.data); };
    pywebworker.expose({ seen: () => seen.slice() });
    """
    py = """
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
"""
    for w, name in ((JsWorker(js).start(), "seen"), (PyWorker(py).start(), "get_seen")):
        await w.ready(timeout=60)
        sent = ["a", {"b": [1]}, b"\x00" * 3, "c", "d", [2], b"\x01" * 70000, "e"]
        first = w.call(name)  # a call in the middle of the messages
        for v in sent[:4]:
            w.send_message(v)
        middle = w.call(name)
        for v in sent[4:]:
            w.send_message(v)
        last = w.call(name)
        assert await first == []
        expect = ["bytes" if isinstance(v, bytes) else v for v in sent]
        assert await middle == expect[:4]
        assert await last == expect
        got = [(await w.receive(timeout=20)).read() for _ in sent]
        assert got == sent
        w.kill()


@run_in_pyodide
async def test_read_flags_receive_mixed_with_the_rest(selenium_pyww):
    """receive()'s read-ahead and lazy marks never show through the other readers."""
    from pyodide_waits import wait_until

    from pywebworker import JsWorker

    echo = "onmessage = (e) => postMessage(e.data);"

    w = JsWorker(echo).start()
    for i in range(10):
        w.send_message(i)
    await wait_until(lambda: len(w.get_unread_messages()) == 10, what="ten echoes")
    m0 = await w.receive(timeout=5)
    assert (m0.index, m0.read(), m0.is_opened()) == (0, 0, True)
    assert w.get_message(0).is_opened() and not w.get_message(1).is_opened()
    assert w.has_unread_messages()
    unread = w.get_unread_messages()
    assert [m.index for m in unread] == list(range(1, 10))
    assert unread[4].read() == 5  # marked by another path while receive() has read ahead
    assert w.get_message(5).is_opened()
    assert w.get_next_unread_message().index == 1
    got = []
    while w.has_unread_messages():
        got.append((await w.receive(timeout=5)).index)
    assert got == [1, 2, 3, 4, 6, 7, 8, 9]
    assert all(w.get_message(i).is_opened() for i in range(10))
    assert w.clear_read() == 10 and w.get_messages() == []
    # on_message and receive() together: the handler sees each message first
    handled = []
    w.on_message = lambda m: handled.append(m.index)
    for i in range(3):
        w.send_message(i)
    got = [(await w.receive(timeout=5)).index for _ in range(3)]
    await wait_until(lambda: len(handled) == 13, what="the handler")
    assert got == handled[10:] == [10, 11, 12]
    assert handled[:10] == list(range(10))  # setting on_message hands it those waiting
    assert not w.has_unread_messages()
    w.kill()


@run_in_pyodide
async def test_kill_mid_batch(selenium_pyww):
    """kill() after messages waiting for the end of the task: they were sent (kill
    counts none undelivered), and nothing is posted or sent after the kill."""
    import pytest
    from pyodide_waits import stays

    from pywebworker import JsWorker, WorkerStateError

    echo = "onmessage = (e) => postMessage(e.data);"

    w = JsWorker(echo).start()
    await w.ready(timeout=20)
    for i in range(5):
        w.send_message(str(i))
    assert w.kill() == 0
    with pytest.raises(WorkerStateError):
        w.send_message("after")
    # Where there is a shared ring (Node), echoes the worker wrote in the moment between
    # the batch's post and the kill are read at the kill and kept, as received messages
    # (js/host.js kill); nothing comes after it.
    kept = [m.read() for m in w.get_messages()]
    assert kept == [str(i) for i in range(len(kept))]
    await stays(lambda: len(w.get_messages()) == len(kept), what="nothing arriving after kill()")
    q = JsWorker(echo)
    for i in range(5):
        q.send_message(str(i))
    q.start()
    assert q.kill() == 5  # none delivered yet: all counted


@run_in_pyodide
async def test_jsworker_messages_before_an_uncaught_error_arrive(selenium_pyww):
    """Messages a script posts and then throws: they arrive before the failure, as
    when each was its own postMessage."""
    import pytest

    from pywebworker import JsWorker, RemoteError

    w = JsWorker('onmessage = () => { postMessage("a"); postMessage("b"); postMessage([1]); throw new Error("boom") };')
    w.start()
    await w.ready(timeout=20)
    w.send_message("go")
    got = [(await w.receive(timeout=20)).read() for _ in range(3)]
    assert got == ["a", "b", [1]]
    with pytest.raises(RemoteError, match="boom"):
        await w.receive(timeout=20)
    w.kill()


@run_in_pyodide
async def test_jsworker_throw_in_onmessage_mid_batch(selenium_pyww):
    """A batch from the host, the script's handler throws at its second message: the
    worker fails as before, with the error; what it posted first arrives first."""
    import pytest

    from pywebworker import JsWorker, RemoteError

    w = JsWorker('onmessage = (e) => { if (e.data === "bad") throw new Error("bad one"); postMessage(e.data); };')
    w.start()
    await w.ready(timeout=20)
    for v in ["ok", "bad", "later"]:
        w.send_message(v)
    assert (await w.receive(timeout=20)).read() == "ok"
    got = []
    with pytest.raises(RemoteError, match="bad one"):
        while True:
            got.append((await w.receive(timeout=20)).read())
    assert got in ([], ["later"])  # a browser hands on the rest of the batch first
    w.kill()


@run_in_pyodide
async def test_jsworker_messages_flow_while_it_computes(selenium_pyww):
    """A script that posts and then computes for seconds: the message leaves at once,
    not when the computation ends."""
    from pywebworker import JsWorker

    w = JsWorker("""
    onmessage = () => {
      postMessage("start");
      const t = Date.now(); while (Date.now() - t < 6000) {}
      postMessage("end");
    };
    """).start()
    await w.ready(timeout=20)
    w.send_message("go")
    assert (await w.receive(timeout=4)).read() == "start"
    assert (await w.receive(timeout=20)).read() == "end"
    w.kill()


@run_in_pyodide
async def test_pyworker_messages_flow_while_it_computes(selenium_pyww):
    """A PyWorker that sends, computes, sends, computes: each message leaves when sent."""
    from pywebworker import PyWorker

    w = PyWorker("""
import time
from pywebworker import parent
def busy(s):
    t = time.monotonic() + s
    while time.monotonic() < t:
        pass
def on_message(m):
    parent.send_message("1")
    busy(3)
    parent.send_message("2")
    busy(6)
    parent.send_message("3")
parent.on_message = on_message
""").start()
    await w.ready(timeout=60)
    w.send_message("go")
    assert (await w.receive(timeout=20)).read() == "1"
    assert (await w.receive(timeout=5)).read() == "2"
    assert (await w.receive(timeout=20)).read() == "3"
    w.kill()


@run_in_pyodide
async def test_pyworker_messages_before_close_arrive(selenium_pyww):
    """A PyWorker that sends and then closes itself (js.close()): what it sent
    arrives, then the failure."""
    import pytest

    from pywebworker import PyWorker, RemoteError

    w = PyWorker("""
import js
from pywebworker import parent
def on_message(m):
    for i in range(3):
        parent.send_message(str(i))
    js.close()
parent.on_message = on_message
""").start()
    await w.ready(timeout=60)
    w.send_message("go")
    got = []
    with pytest.raises(RemoteError, match="closed itself"):
        while True:
            got.append((await w.receive(timeout=20)).read())
    assert got == ["0", "1", "2"]


@run_in_pyodide
async def test_pyworker_messages_before_an_uncaught_error_arrive(selenium_pyww):
    """A PyWorker callback (not a message handler) that sends and raises: what it sent
    arrives before the failure."""
    import pytest

    from pywebworker import PyWorker, RemoteError

    w = PyWorker("""
import js
from pyodide.ffi import create_once_callable
from pywebworker import parent
def later():
    for i in range(3):
        parent.send_message(str(i))
    raise ValueError("uncaught")
def on_message(m):
    js.setTimeout(create_once_callable(later), 0)
parent.on_message = on_message
""").start()
    await w.ready(timeout=60)
    w.send_message("go")
    got = []
    with pytest.raises(RemoteError, match="uncaught"):
        while True:
            got.append((await w.receive(timeout=20)).read())
    assert got == ["0", "1", "2"]
    w.kill()


@run_in_pyodide
async def test_forged_msgs_from_a_script(selenium_pyww):
    """A script that forges `msgs` control messages (wrong lengths, kinds, UTF-8, JSON):
    each becomes an error message saying what is wrong, nothing raises out of a read,
    and the host and the worker go on."""
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, RemoteError

    w = JsWorker("""
    // The nonce is the wrapper's secret; a script can still learn it: from what the
    // wrapper posts (Node: parentPort.postMessage is looked up at each post) or from
    // the host's calls (a browser hands a capture listener the event first).
    let nonce = null;
    const sniff = (d) => { if (d && typeof d.__pywebworker__ === "string") nonce = d.__pywebworker__; };
    if (typeof process !== "undefined" && process.getBuiltinModule) {
      const pp = process.getBuiltinModule("node:worker_threads").parentPort, orig = pp.postMessage.bind(pp);
      pp.postMessage = (d, t) => { sniff(d); return orig(d, t); };
    }
    addEventListener("message", (e) => sniff(e.data), { capture: true });
    pywebworker.expose({ ping: () => "pong" });
    onmessage = () => {
      const T = "__pywebworker__", enc = new TextEncoder();
      if (nonce === null) { postMessage("no nonce"); return; }
      const forge = (meta, bytes) => postMessage({ [T]: nonce, type: "msgs", meta: new Int32Array(meta),
        buf: bytes instanceof Uint8Array ? bytes.buffer : enc.encode(bytes).buffer }, []);
      forge([1, 100], "ab");            // lengths past the buffer
      forge([1, 2, 1, -1], "ab");       // a negative length
      forge([99, 2], "ab");             // a kind that is not text or JSON
      forge([1, 2, 1], "ab");           // odd meta
      forge([1, 2], new Uint8Array([0xff, 0xfe]));  // not UTF-8
      forge([3, 3], "{{{");             // not JSON
      forge([1, 2, 3, 3], "ok[1]");     // a good one
      postMessage("still alive");
    };
    """).start()
    await w.ready(timeout=20)
    assert await w.call("ping") == "pong"
    w.send_message("go")
    def done():
        last = w.get_messages()[-1:]
        return w.state != "running" or last and last[0].kind == "text" and last[0].read() in ("still alive", "no nonce")

    await wait_until(done, what="the last message", interval=1)
    values = [m.read() for m in w.get_messages()]
    import js

    if values == ["no nonce"]:  # a browser: the wrapper's listener came first, the nonce stayed secret
        assert not hasattr(js, "process")
        w.kill()
        return
    assert len(values) == 9, values
    assert all(isinstance(v, RemoteError) and "malformed msgs batch" in str(v) for v in values[:4]), values
    assert values[4] == "\ufffd\ufffd"  # not UTF-8: replaced, as a TextDecoder does
    assert isinstance(values[5], RemoteError) and "JSON" in str(values[5]), values
    assert values[6:] == ["ok", [1], "still alive"], values
    assert w.state == "running"
    w.kill()


@run_in_pyodide
async def test_flood_in_one_task_both_ways(selenium_pyww):
    """100 000 messages sent in one task, echoed back in batches: none lost, in order."""
    from pyodide_waits import wait_until

    from pywebworker import JsWorker

    echo = "onmessage = (e) => postMessage(e.data);"

    n = 100_000
    w = JsWorker(echo).start()
    await w.ready(timeout=20)
    indices = [w.send_message(f"m{i}") for i in range(n)]
    assert indices == list(range(n))
    await wait_until(lambda: w.get_messages() and len(w.get_messages()) == n, timeout=60, what="the echoes")
    got = []
    while len(got) < n:
        got.append((await w.receive(timeout=5)).read())
    assert got == [f"m{i}" for i in range(n)]
    assert w.clear_read() == n
    w.kill()


@run_in_pyodide
async def test_bytearray_mutated_and_reused_after_send(selenium_pyww):
    """Bytes are copied at send_message: mutating or reusing the buffer afterwards
    changes nothing sent, small or large, posted at once or queued."""
    from pywebworker import JsWorker

    echo = "onmessage = (e) => postMessage(e.data);"

    for start_first in (True, False):
        w = JsWorker(echo)
        if start_first:
            w.start()
            await w.ready(timeout=20)
        big = bytearray(b"\x01" * (1 << 20))
        small = bytearray(b"\x01" * 10)
        w.send_message("t")
        w.send_message(big)
        w.send_message(small)
        big[:] = b"\x02" * (1 << 20)
        small[:] = b"\x02" * 10
        w.send_message(big)
        w.send_message(small)
        big[0] = 3
        small[0] = 3
        if not start_first:
            w.start()
        got = [(await w.receive(timeout=20)).read() for _ in range(5)]
        assert got[0] == "t"
        assert got[1] == b"\x01" * (1 << 20) and got[2] == b"\x01" * 10
        assert got[3] == b"\x02" * (1 << 20) and got[4] == b"\x02" * 10
        w.kill()
