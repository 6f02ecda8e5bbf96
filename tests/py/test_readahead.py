"""Issue 11, a hostile user against the read-ahead (_inbox.py) and the wake-up that
carries the message just queued (js/core.js pwwWakeArgs).

What receive() hands out must be exactly what the core holds: the same message, the
same kind, the same payload, in order, once, whether it came with the wake-up, from a
fetch, or through get_message(i).read().
"""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
async def test_refused_text_is_the_error_not_the_text(selenium_pyww):
    """A short text over the inbound byte limit is refused: an error message is queued
    in its place. A receive() waiting when it comes raises that error (as a fetch and
    get_message(i).read() give it), it is not handed the refused text."""
    from pywebworker import JsWorker, RemoteError

    w = JsWorker("onmessage = (e) => postMessage(e.data === 'big' ? 'b'.repeat(1000) : e.data);").start()
    await w.ready(timeout=20)
    w.set_queue_limits(max_bytes=500, queue="inbound")
    w.send_message("a")
    assert (await w.receive(timeout=20)).read() == "a"  # watching now, read-ahead drained
    w.send_message("big")
    try:
        got = (await w.receive(timeout=20)).read()
    except RemoteError as e:
        got = e
    stored = w.get_message(1).read()
    assert isinstance(stored, RemoteError) and "refused" in str(stored), stored
    assert isinstance(got, RemoteError), got
    assert w.kill() == 0


@run_in_pyodide
async def test_fetch_cut_short_by_its_byte_budget_is_not_drained(selenium_pyww):
    """A fetch copies at most about 4 MiB of payloads (js/core.js takeMany PACK_BYTES).
    get_unread_messages() still lists every unread message (the rest read by read()),
    and a receive() loop that watches gets every message after such a fetch (it waited
    for an arrival that never came: the fetch was taken as complete)."""
    from pyodide_waits import wait_until

    from pywebworker import JsWorker

    w = JsWorker("""
    onmessage = () => {
      for (let i = 0; i < 100; i++) postMessage(String(i).padStart(3, "0") + "x".repeat(60000));
    };
    """).start()
    await w.ready(timeout=20)
    w.send_message("go")
    await wait_until(lambda: len(w.get_messages()) == 100, what="the first 100 messages")
    unread = w.get_unread_messages()
    assert [m.index for m in unread] == list(range(100))
    assert [m.read()[:3] for m in unread[::33]] == ["000", "033", "066", "099"]
    w.send_message("go")  # 100 more, while receive() waits
    expect = [f"{i:03d}" for i in range(100) if i % 33] + [f"{i:03d}" for i in range(100)]
    got = [(await w.receive(timeout=20)).read()[:3] for _ in expect]
    assert got == expect
    assert w.kill() == 0
