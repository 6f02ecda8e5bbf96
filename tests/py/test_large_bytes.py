"""Large received bytes (64 KiB and more) stay in JavaScript beside the C queue, as
the ArrayBuffer they came in (js/core.js pushKept), and a released one's buffer carries
the next send of its size (copyOut): nothing read changes, limits and ``nbytes`` are
exact, released messages stay released, and nothing is kept once released."""

from pytest_pyodide import run_in_pyodide

# Posts `n` messages of `size` bytes, message i filled with the byte i.
SENDER_JS = """
onmessage = (e) => {
  const [n, size] = e.data;
  for (let i = 0; i < n; i++) { const b = new Uint8Array(size).fill(i & 255); postMessage(b.buffer, [b.buffer]); }
};
"""


@run_in_pyodide
async def _large_message_kept_in_js_read_twice_then_released(selenium_pyww, script):
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, MessageReleasedError

    async with JsWorker(script) as w:
        js = w._port.js
        memory = js.memoryBytes()
        w.send_message([8, 1 << 20])
        await wait_until(lambda: len(w.get_messages()) == 8, what="8 messages")
        assert js.keptCount() == 8
        assert js.memoryBytes() == memory  # none copied into wasm memory
        got = w.get_unread_messages()
        assert [m.nbytes for m in got] == [1 << 20] * 8
        first = got[0].read()
        assert first == bytes(1 << 20)
        assert got[0].read() == first  # read twice
        assert got[5].read() == bytes([5]) * (1 << 20)
        assert w.clear_read() == 2
        assert js.keptCount() == 6
        with pytest.raises(MessageReleasedError):
            got[5].read()
        assert [m.read() for m in got[1:5]] == [bytes([i]) * (1 << 20) for i in range(1, 5)]
        w.clear_read()
        assert [m.read() for m in w.get_unread_messages()] == [bytes([i]) * (1 << 20) for i in (6, 7)]
        w.clear_read()
        assert js.keptCount() == 0


@run_in_pyodide
async def _large_messages_count_against_the_byte_limit(selenium_pyww, script):
    import pytest
    from pyodide_waits import wait_until

    from pywebworker import JsWorker, RemoteError

    async with JsWorker(script) as w:
        w.set_queue_limits(max_bytes=3 << 20, queue="inbound")
        w.send_message([5, 1 << 20])
        await wait_until(lambda: w.dropped_messages == 2, what="2 dropped")
        got = [await w.receive(timeout=20) for _ in range(3)]
        assert [m.read()[0] for m in got] == [0, 1, 2]
        assert not w.has_unread_messages()  # the report waits for room
        w.clear_read()
        with pytest.raises(RemoteError, match=r"2 message\(s\) from the worker were dropped"):
            await w.receive(timeout=20)
        w.clear_read()
        # Larger than the limit: refused with a message saying why, nothing kept.
        w.send_message([1, (3 << 20) + 1])
        with pytest.raises(RemoteError, match=r"3145729 bytes from the worker was refused.*byte limit"):
            await w.receive(timeout=20)
        w.clear_read()
        assert w._port.js.keptCount() == 0


@run_in_pyodide
async def _kept_messages_outlive_a_kill_until_the_worker_is_gone(selenium_pyww, script):
    import gc

    from pyodide_waits import wait_until

    from pywebworker import JsWorker

    w = JsWorker(script).start()
    await w.ready(timeout=20)
    js = w._port.js
    before = js.keptCount()
    w.send_message([4, 100_000])
    await wait_until(lambda: len(w.get_messages()) == 4, what="4 messages")
    w.kill()
    assert [m.read() for m in w.get_unread_messages()] == [bytes([i]) * 100_000 for i in range(4)]
    assert js.keptCount() == before + 4
    w = None  # its finalizer destroys it in the core, and what it kept
    gc.collect()
    assert js.keptCount() == before


@run_in_pyodide
async def test_large_bytes_both_ways_through_a_pyworker_exact(selenium_pyww):
    from pywebworker import PyWorker

    # Echoes what it reads; a message of an odd size stays held (not released) until
    # the next of an even size: buffers are reused while others are still held.
    script = """
from pywebworker import parent
import _pywebworker_parent as api
def echo(message):
    data = message.read()
    if data == b"kept?":
        parent.clear_read()
        parent.send_message(api.keptCount())
        return
    parent.send_message(data)
    if len(data) % 2 == 0:  # odd sizes stay held until the next even one
        parent.clear_read()
parent.on_message = echo
"""
    async with PyWorker(script) as w:
        sizes = [1 << 16, 1 << 20, (1 << 16) + 1, 1 << 20, 3 << 20, 1 << 20, 65535, 200_001, 200_001]
        payloads = [bytes([(i * 31 + k) & 255 for k in range(256)]) * (n // 256) + bytes(n % 256)
                    for i, n in enumerate(sizes)]
        for rnd in range(3):  # sends at once, then one at a time (buffers reused)
            if rnd == 0:
                for p in payloads:
                    w.send_message(p)
                got = [(await w.receive(timeout=60)).read() for _ in payloads]
            else:
                got = []
                for p in payloads:
                    w.send_message(p)
                    got.append((await w.receive(timeout=60)).read())
                    w.clear_read()
            assert got == payloads, f"round {rnd}"
            w.clear_read()
        w.send_message(b"kept?")
        assert (await w.receive(timeout=20)).read() == 0  # nothing kept once released
        w.clear_read()
        assert w._port.js.keptCount() == 0


def test_large_message_kept_in_js_read_twice_then_released(selenium_pyww):
    _large_message_kept_in_js_read_twice_then_released(selenium_pyww, SENDER_JS)


def test_large_messages_count_against_the_byte_limit(selenium_pyww):
    _large_messages_count_against_the_byte_limit(selenium_pyww, SENDER_JS)


def test_kept_messages_outlive_a_kill_until_the_worker_is_gone(selenium_pyww):
    _kept_messages_outlive_a_kill_until_the_worker_is_gone(selenium_pyww, SENDER_JS)
