"""The synchronous Python people already have, on workers (issue 24): pywebworker.futures'
ProcessPoolExecutor and pywebworker.multiprocessing's Pool, blocking through JSPI
(`pyodide.ffi.run_sync`). Where Python can block (Chromium; Node 26: `make test-py` runs
this file there too) each test checks the blocking API for real; where it cannot (Node 20)
it checks the clear error, which names the `await` spelling, and that the async spelling
works. Which branch ran is printed."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
async def test_process_pool_executor(selenium_pyww):
    import asyncio
    import concurrent.futures
    import time

    import pytest

    from pywebworker import RemoteError
    from pywebworker._blocking import BlockingError, can_block
    from pywebworker._errors import RemoteTraceback
    from pywebworker.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait

    print("blocking:", can_block())
    if not can_block():
        ex = ProcessPoolExecutor(1)
        f = ex.submit(pow, 2, 5)
        with pytest.raises(BlockingError, match=r"cannot block.*JSPI.*await asyncio.wrap_future\(future\)"):
            f.result()
        with pytest.raises(RuntimeError, match=r"await pool.map\(fn, items\)"):
            ex.map(abs, [1])
        with pytest.raises(BlockingError, match="await asyncio.wait"):
            wait([f])
        assert await asyncio.wait_for(asyncio.wrap_future(f), 60) == 32  # the async spelling works
        ex.shutdown()  # returns without waiting
        assert ex.pool.state in ("closing", "closed")
        return

    def mul(x, y):
        return x * y

    def setup(k):  # (functions travel by value, each with its own globals: builtins is shared)
        import builtins

        builtins.pww_factor = k

    def scaled(x):
        import builtins

        return x * builtins.pww_factor  # set by the initializer in this worker

    class UnpicklableError(Exception):
        def __init__(self):
            super().__init__("holds a generator")
            self.gen = (i for i in range(3))

    def raise_unpicklable():
        raise UnpicklableError

    def leave(kind):
        raise kind("bye")

    with ProcessPoolExecutor(2, initializer=setup, initargs=(10,)) as ex:
        # CPython's test_concurrent_futures ExecutorTest cases, here blocking for real.
        assert ex.submit(pow, 2, 8).result() == 256  # test_submit
        assert ex.submit(mul, 2, y=8).result() == 16  # test_submit_keyword
        assert list(ex.map(pow, range(10), range(10))) == list(map(pow, range(10), range(10)))  # test_map
        assert list(ex.map(pow, range(10), range(10), chunksize=3)) == list(map(pow, range(10), range(10)))
        it = ex.map(divmod, [1, 1, 1, 1], [2, 3, 0, 5])  # test_map_exception
        assert next(it) == (0, 1) and next(it) == (0, 1)
        with pytest.raises(ZeroDivisionError) as info:
            next(it)
        assert isinstance(info.value.__cause__, RemoteTraceback)
        assert "ZeroDivisionError" in str(info.value.__cause__)
        results = []  # test_map_timeout (seconds shortened)
        with pytest.raises(concurrent.futures.TimeoutError):
            for r in ex.map(time.sleep, [0, 0, 3], timeout=1.5):
                results.append(r)
        assert results == [None, None]
        assert ex.submit(scaled, 4).result() == 40  # the initializer ran in the worker
        # The standard library's wait() and as_completed() block on these futures too.
        fs = [ex.submit(time.sleep, 0.05 * i) for i in range(4)]
        done, _ = wait(fs, return_when=FIRST_COMPLETED)
        assert len(done) >= 1
        assert len(list(as_completed(fs, timeout=30))) == 4
        done, not_done = concurrent.futures.wait(fs, timeout=30)
        assert len(done) == 4 and not not_done
        with pytest.raises(concurrent.futures.TimeoutError):
            ex.submit(time.sleep, 2).result(timeout=0.2)
        # Exceptions: their own type; RemoteError where it cannot travel, or must not end us.
        with pytest.raises(RemoteError, match="UnpicklableError") as info:
            ex.submit(raise_unpicklable).result()
        for kind in (SystemExit, KeyboardInterrupt):
            with pytest.raises(RemoteError) as info:
                ex.submit(leave, kind).result()
            assert info.value.remote_type == kind.__name__
        with pytest.raises(RemoteError, match="PayloadError"):  # a result that cannot be pickled
            ex.submit(lambda: (i for i in range(3))).result()
        # Resumed by a worker's reply (pywebworker settles an awaited call in the reply's own
        # JavaScript event), Python may not block until it passes through the event loop:
        # the error says how.
        assert await ex.pool.submit(abs, -1) == 1
        try:
            print("resumed by a reply:", ex.submit(abs, -2).result())
        except BlockingError as exc:
            assert "await asyncio.sleep(0)" in str(exc), str(exc)
            print("resumed by a reply: BlockingError")
            await asyncio.sleep(0)
            assert ex.submit(abs, -2).result() == 2
        # 10 000 tiny tasks, in chunks.
        assert sum(ex.map(abs, range(-10_000, 0), chunksize=500)) == sum(range(1, 10_001))
        pool = ex.pool
    assert pool.state == "closed"  # leaving `with` waited for the shutdown
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        ex.submit(abs, 1)
    with pytest.raises(ValueError, match="max_workers must be greater than 0"):
        ProcessPoolExecutor(0)


@run_in_pyodide
async def test_multiprocessing_pool(selenium_pyww):
    import asyncio
    import time

    import pytest

    from pywebworker import RemoteError, WorkerKilledError
    from pywebworker import multiprocessing as mp
    from pywebworker._blocking import BlockingError, can_block

    assert mp.cpu_count() >= 1
    with pytest.raises(NotImplementedError, match="Process.*shares no Python"):
        mp.Process  # noqa: B018
    with pytest.raises(ValueError, match="Number of processes must be at least 1"):
        mp.Pool(0)

    print("blocking:", can_block())
    if not can_block():
        pool = mp.Pool(1)
        for call in (lambda: pool.map(abs, [1]), lambda: pool.imap(abs, [1]), lambda: pool.apply(abs, (1,))):
            with pytest.raises(BlockingError, match="cannot block.*JSPI"):
                call()
        got = []
        r = pool.map_async(abs, [-1, -2], callback=got.append)  # the async calls work
        from pyodide_waits import wait_until

        await wait_until(r.ready, timeout=60, what="map_async")
        assert r.successful() and got == [[1, 2]]
        pool.terminate()
        return

    def square(x):
        return x * x

    def slow(x):
        time.sleep(x)
        return x

    def pid(_):
        import builtins
        import random

        if not hasattr(builtins, "pww_test_id"):  # one value per worker's life
            builtins.pww_test_id = random.random()
        return builtins.pww_test_id

    def fail_on(x):
        if x == 3:
            raise ValueError(f"bad {x}")
        return x

    with mp.Pool(2) as pool:
        assert pool.map(square, range(10)) == [x * x for x in range(10)]
        assert pool.starmap(pow, [(2, 3), (3, 2)]) == [8, 9]
        assert list(pool.imap(square, range(5))) == [0, 1, 4, 9, 16]
        assert sorted(pool.imap_unordered(square, range(5))) == [0, 1, 4, 9, 16]
        assert pool.apply(divmod, (7, 2)) == (3, 1)
        got, errors = [], []
        r = pool.apply_async(pow, (2, 10), callback=got.append)
        assert r.get(timeout=60) == 1024 and r.successful() and got == [1024]
        bad = pool.map_async(fail_on, range(6), chunksize=1, error_callback=errors.append)
        with pytest.raises(ValueError, match="bad 3"):
            bad.get()
        assert not bad.successful() and isinstance(errors[0], ValueError)
        late = pool.apply_async(slow, (2,))
        with pytest.raises(mp.TimeoutError):
            late.get(timeout=0.1)
        with pytest.raises(ValueError, match="not ready"):
            late.successful()
        late.wait()
        assert late.ready() and late.get() == 2

        def halfway():
            yield 1
            yield 2
            raise RuntimeError("the generator broke")

        with pytest.raises(RuntimeError, match="the generator broke"):
            pool.map(square, halfway())
        assert pool.map(square, [3]) == [9]  # still serving
        assert sum(pool.map(abs, range(-10_000, 0))) == sum(range(1, 10_001))  # 10 000 tiny tasks
        # A blocking map inside a task: the worker blocks for its own nested pool where it
        # can, else the task raises BlockingError (as its own type) - never a hang.

        def nested(n):
            from pywebworker.multiprocessing import Pool

            with Pool(1) as inner:
                return inner.map(abs, range(-n, 0))

        try:
            assert pool.apply(nested, (3,)) == [3, 2, 1]
            print("nested: blocked in the worker")
        except BlockingError as exc:
            assert "cannot block" in str(exc)
            print("nested: BlockingError in the worker")
        for kind in (SystemExit, KeyboardInterrupt):
            def leave(kind=kind):
                raise kind("bye")

            with pytest.raises(RemoteError) as info:
                pool.apply(leave)
            assert info.value.remote_type == kind.__name__

    # maxtasksperchild: a fresh worker after each task.
    with mp.Pool(1, maxtasksperchild=1) as pool:
        first, second = pool.map(pid, [0, 1], chunksize=1)
        assert first != second and pool._pool.retired >= 1

    # terminate() mid-map: the pending result fails at once, nothing hangs.
    pool = mp.Pool(2)
    r = pool.map_async(slow, [5] * 4, chunksize=1)
    await asyncio.sleep(0.2)
    pool.terminate()
    with pytest.raises(WorkerKilledError):
        r.get(timeout=30)
    pool.join()
    with pytest.raises(ValueError, match="Pool not running"):
        pool.map(abs, [1])

    # close() + join(): the queued work finishes, then the workers stop.
    pool = mp.Pool(1)
    r = pool.map_async(square, range(4))
    pool.close()
    with pytest.raises(ValueError, match="Pool not running"):
        pool.apply_async(abs, (1,))
    pool.join()
    assert r.get() == [0, 1, 4, 9] and pool._pool.state == "closed"
