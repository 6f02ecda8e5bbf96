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


@run_in_pyodide
async def test_fuzz_reads_of_every_kind(selenium_pyww):
    """Every way of reading, at random, while numbered messages arrive one by one (a
    wake-up each, the message with it) or in bursts: each is opened once, receive()
    gives the oldest unread one, and none is left waiting."""
    import asyncio
    import random

    from pywebworker import JsWorker

    worker = """
    let next = 0;
    const text = (i) => [String(i), "\\ufeff" + i, i + "\\u00e9\\ud83d\\ude00", String(i).padEnd(4096, "x"),
      String(i).padEnd(4097, "x")][i % 5];
    const post = () => { const i = next++; postMessage(i % 7 === 6 ? { i } : text(i)); };
    onmessage = (e) => {
      const [n, spaced] = e.data;
      if (!spaced) { for (let i = 0; i < n; i++) post(); return; }
      let left = n;
      const one = () => { post(); if (--left > 0) setTimeout(one, 0); };
      if (left > 0) one();
    };
    """

    async def fuzz(w, seed, rounds=400):
        """Random reads of every kind against a worker sending numbered messages; each
        message must be opened once, receive() always the oldest unread, nothing hangs."""
        rng = random.Random(seed)
        opened = set()
        sent = 0

        def text(i):
            if i % 7 == 6:
                return {"i": i}
            return [str(i), "\ufeff" + str(i), str(i) + "\u00e9\U0001f600", str(i).ljust(4096, "x"),
                    str(i).ljust(4097, "x")][i % 5]

        def took(m, via):
            assert m.read() == text(m.index), (via, m.index, m.read())
            assert m.index not in opened, (via, "twice", m.index)
            missing = set(range(m.index)) - opened
            assert not missing, (via, "skipped", sorted(missing)[:5], m.index)
            opened.add(m.index)

        def mark(m):
            if m.index not in opened:
                assert m.read() == text(m.index), (m.index, m.read())
                opened.add(m.index)

        def handler(m):
            if rng.random() < 0.5:
                mark(m)

        for _ in range(rounds):
            op = rng.randrange(12)
            if op <= 2:
                n = rng.choice((1, 1, 2, 5, 40))
                w.send_message([n, rng.random() < 0.5])
                sent += n
            elif op <= 5:
                waiting = w.has_unread_messages()
                try:
                    took(await w.receive(timeout=rng.choice((0, 0.001, 0.01, 0.05))), "receive")
                except TimeoutError:
                    assert not waiting, "receive() timed out with a message unread"
            elif op == 6:
                unread = w.get_unread_messages()
                assert all(m.index not in opened for m in unread), "unread listed an opened one"
                for m in rng.sample(unread, min(len(unread), rng.randrange(3))):
                    mark(m)
            elif op == 7:
                held = [m for m in w.get_messages()]
                if held:
                    mark(rng.choice(held))
            elif op == 8:
                w.clear_read()
            elif op == 9:
                m = w.get_next_unread_message()
                if m is not None:
                    assert m.index not in opened and set(range(m.index)) <= opened, m.index
                    if rng.random() < 0.5:
                        mark(m)
            elif op == 10:
                w.on_message = handler if w.on_message is None else None
            else:
                async def two():
                    return await asyncio.gather(
                        w.receive(timeout=0.02), w.receive(timeout=0.02), return_exceptions=True
                    )
                got = [m for m in await two() if not isinstance(m, BaseException)]
                for m in sorted(got, key=lambda m: m.index):
                    took(m, "gather")
            if rng.random() < 0.3:
                await asyncio.sleep(rng.choice((0, 0.001)))
        w.on_message = None
        while len(opened) < sent:
            took(await w.receive(timeout=10), "final")
        assert not w.has_unread_messages()

    for seed in range(20):
        w = JsWorker(worker).start()
        await w.ready(timeout=20)
        await fuzz(w, seed)
        assert w.kill() == 0


@run_in_pyodide
async def test_fuzz_parent_side_in_a_pyworker(selenium_pyww):
    """The same against ``parent`` inside a PyWorker: the host's messages come as text,
    as JSON text offered with the wake-up, and in batches."""
    import asyncio

    from pywebworker import PyWorker

    script = '''
import asyncio, random, traceback
from pywebworker import parent

def text(i):
    if i % 7 == 6:
        return {"i": i, "big": 2**70}
    return [str(i), "\\ufeff" + str(i), str(i) + "\\u00e9\\U0001f600", str(i).ljust(4096, "x"),
            str(i).ljust(4097, "x")][i % 5]

async def fuzz(w, seed, rounds=300):
    rng = random.Random(seed)
    opened = set()
    sent = 0
    def took(m, via):
        assert m.read() == text(m.index), (via, m.index, m.read())
        assert m.index not in opened, (via, "twice", m.index)
        missing = set(range(m.index)) - opened
        assert not missing, (via, "skipped", sorted(missing)[:5], m.index)
        opened.add(m.index)
    def mark(m):
        if m.index not in opened:
            assert m.read() == text(m.index), (m.index, m.read())
            opened.add(m.index)
    def handler(m):
        if rng.random() < 0.5:
            mark(m)
    for _ in range(rounds):
        op = rng.randrange(12)
        if op <= 2:
            n = rng.choice((1, 1, 2, 5, 40))
            w.send_message([n, rng.random() < 0.5])
            sent += n
        elif op <= 5:
            waiting = w.has_unread_messages()
            try:
                took(await w.receive(timeout=rng.choice((0, 0.001, 0.01, 0.05))), "receive")
            except TimeoutError:
                assert not waiting, "receive() timed out with a message unread"
        elif op == 6:
            unread = w.get_unread_messages()
            assert all(m.index not in opened for m in unread), "unread listed an opened one"
            for m in rng.sample(unread, min(len(unread), rng.randrange(3))):
                mark(m)
        elif op == 7:
            held = w.get_messages()
            if held:
                mark(rng.choice(held))
        elif op == 8:
            w.clear_read()
        elif op == 9:
            m = w.get_next_unread_message()
            if m is not None:
                assert m.index not in opened and set(range(m.index)) <= opened, m.index
                if rng.random() < 0.5:
                    mark(m)
        elif op == 10:
            w.on_message = handler if w.on_message is None else None
        else:
            got = await asyncio.gather(w.receive(timeout=0.02), w.receive(timeout=0.02), return_exceptions=True)
            for m in sorted((m for m in got if not isinstance(m, BaseException)), key=lambda m: m.index):
                took(m, "gather")
        if rng.random() < 0.3:
            await asyncio.sleep(rng.choice((0, 0.001)))
    w.on_message = None
    while len(opened) < sent:
        took(await w.receive(timeout=10), "final")
    assert not w.has_unread_messages()

try:
    await fuzz(parent, 1)
    parent.send_message(["done", None])
except BaseException:
    parent.send_message(["done", traceback.format_exc()])
'''

    def text(i):
        if i % 7 == 6:
            return {"i": i, "big": 2**70}
        return [str(i), "\ufeff" + str(i), str(i) + "\u00e9\U0001f600", str(i).ljust(4096, "x"),
                str(i).ljust(4097, "x")][i % 5]

    w = PyWorker(script)
    count = 0
    done = asyncio.get_running_loop().create_future()

    def send():
        nonlocal count
        w.send_message(text(count))
        count += 1

    async def spaced(n):
        for _ in range(n):
            send()
            await asyncio.sleep(0.001)

    def on_message(m):
        v = m.read()
        if v[0] == "done":
            done.set_result(v[1])
        elif v[1]:
            asyncio.ensure_future(spaced(v[0]))
        else:
            for _ in range(v[0]):
                send()

    w.on_message = on_message
    w.start()
    assert await asyncio.wait_for(done, 120) is None, done.result()
    assert w.kill() == 0


@run_in_pyodide
async def test_fuzz_with_drops(selenium_pyww):
    """The fuzz with a small inbound queue: messages are dropped and drop reports come
    (some queued untold, when clear_read() makes room). Each message is opened once, in
    order; every message is either read or counted in a report; nothing hangs."""
    import asyncio
    import random
    import re

    from pywebworker import JsWorker, RemoteError

    worker = """
    let next = 0;
    const post = () => { const i = next++; postMessage(i % 3 ? "m" + i : { i }); };
    onmessage = (e) => {
      const [n, spaced] = e.data;
      if (!spaced) { for (let i = 0; i < n; i++) post(); return; }
      let left = n;
      const one = () => { post(); if (--left > 0) setTimeout(one, 0); };
      if (left > 0) one();
    };
    """

    def seq(m):
        v = m.read()
        if isinstance(v, RemoteError):
            return None
        return int(v[1:]) if isinstance(v, str) else v["i"]

    async def fuzz(w, seed, rounds=300):
        rng = random.Random(seed)
        seen = set()  # sequence numbers read
        by_index = {}  # index -> what was read there
        reported = 0
        sent = 0
        last = -1  # the last sequence number receive() gave

        def count(err):
            nonlocal reported
            assert err.remote_type == "QueueFullError", err
            reported += int(re.match(r"(\d+) message", err.remote_message).group(1))

        def older_unread(index):
            return [m.index for m in w.get_messages() if m.index < index and not m.is_opened()]

        def took(m, via):
            nonlocal last
            assert m.index not in by_index, (via, "twice", m.index)
            s = seq(m)
            by_index[m.index] = s
            assert not older_unread(m.index), (via, "skipped", older_unread(m.index), m.index)
            if s is None:
                count(m.read())
            else:
                assert s not in seen and s > last, (via, s, last)
                seen.add(s)
                last = s

        def mark(m):
            if m.index not in by_index:
                s = by_index[m.index] = seq(m)
                if s is None:
                    count(m.read())
                else:
                    assert s not in seen
                    seen.add(s)

        for _ in range(rounds):
            op = rng.randrange(10)
            if op <= 2:
                n = rng.choice((1, 2, 5, 12))
                w.send_message([n, rng.random() < 0.5])
                sent += n
            elif op <= 5:
                waiting = w.has_unread_messages()
                try:
                    took(await w.receive(timeout=rng.choice((0, 0.001, 0.01))), "receive")
                except TimeoutError:
                    assert not waiting, "receive() timed out with a message unread"
                except RemoteError as e:
                    count(e)
            elif op == 6:
                for m in w.get_unread_messages()[: rng.randrange(3)]:
                    mark(m)
            elif op <= 8:
                w.clear_read()
            else:
                w.on_message = (lambda m: None) if w.on_message is None else None
            if rng.random() < 0.3:
                await asyncio.sleep(rng.choice((0, 0.001)))
        w.on_message = None
        while len(seen) + reported < sent:
            w.clear_read()
            try:
                took(await w.receive(timeout=10), "final")
            except RemoteError as e:
                count(e)
        assert w.dropped_messages == reported == sent - len(seen)

    for seed in range(12):
        w = JsWorker(worker).start()
        await w.ready(timeout=20)
        w.set_queue_limits(max_messages=6, queue="inbound")
        await fuzz(w, seed)
        assert w.kill() == 0


@run_in_pyodide
async def test_kill_and_failure_leave_the_read_ahead_readable(selenium_pyww):
    """Messages read ahead when the worker is killed, or fails, are still received, in
    order, before WorkerKilledError / the failure; ``async for`` ends after them."""
    import asyncio

    from pywebworker import JsWorker, RemoteError, WorkerFailedError, WorkerKilledError

    src = """
    onmessage = (e) => {
      for (let i = 0; i < 4; i++) postMessage("m" + i);
      if (e.data === "fail") setTimeout(() => { throw new Error("boom"); }, 0);
    };
    """
    w = JsWorker(src).start()
    await w.ready(timeout=20)
    w.send_message("go")
    assert (await w.receive(timeout=20)).read() == "m0"  # m1..m3 read ahead (one batch)
    other = asyncio.ensure_future(w.receive(timeout=20))
    assert (await other).read() == "m1"
    # The script's messages after the first leave as one batch unless more than 1 ms
    # passes between two of them (js/worker_calls.js), and through the shared ring
    # (js/ring.js, Node) each arrives on its own: m2 and m3 may still be on their way, and
    # a kill rightly drops what has not arrived. Once here, read ahead or not, they
    # outlive the kill.
    from pyodide_waits import wait_until

    await wait_until(lambda: len(w.get_messages()) == 4, what="m2 and m3")
    w.kill()
    assert [m.read() async for m in w] == ["m2", "m3"]
    try:
        await w.receive(timeout=1)
        raise AssertionError("no WorkerKilledError")
    except WorkerKilledError:
        pass

    w = JsWorker(src).start()
    await w.ready(timeout=20)
    w.send_message("fail")
    got = []
    try:
        while True:
            got.append((await w.receive(timeout=20)).read())
    except WorkerFailedError as e:
        failed = e
    except RemoteError as e:  # the failure as an error message first
        failed = e
    assert got == ["m0", "m1", "m2", "m3"] and "boom" in str(failed), (got, failed)
    w.kill()
