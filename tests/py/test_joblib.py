"""joblib's backend "pywebworker" (pywebworker.joblib): joblib.Parallel in PyWorkers.

joblib comes from build/wheels/ (tools/setup.sh wheels: pip download of the pin in
tools/requirements-pyodide.txt), installed by micropip from its URL. Each test checks
both sides: where Python can block (JSPI: Chromium, Node 26) the backend runs the calls
in workers; where it cannot (Node 20) a Parallel that would send them raises
BlockingError naming the await spelling, and one job still runs here.
"""

from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ROOT / "build" / "wheels"


@pytest.fixture(scope="session")
def joblib_wheel(serve_wheels) -> str:
    """The URL of joblib's wheel, served from build/wheels/."""
    found = sorted(WHEELS.glob("joblib-*.whl"))
    if not found:
        pytest.fail("no build/wheels/joblib-*.whl: run `tools/setup.sh wheels` (part of `make deps`)")
    return f"{serve_wheels(WHEELS)}/joblib/{found[-1].name}"


@run_in_pyodide
async def test_results_in_order_in_workers(selenium_pyww, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import joblib
    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib
    from pywebworker._blocking import BlockingError

    def where(i):  # defined here: travels by value
        import pywebworker._task

        return i * i, pywebworker._task.serving  # True in a pool's worker

    # One job (joblib's default n_jobs) runs here, sequentially, with or without JSPI.
    with joblib.parallel_config(backend="pywebworker"):
        assert Parallel()(delayed(where)(i) for i in range(3)) == [(0, False), (1, False), (4, False)]

    if not can_run_sync():
        with pytest.raises(BlockingError, match=r"cannot block: that needs JSPI.*await pool\.map\(f, items\)"):
            with joblib.parallel_config(backend="pywebworker", n_jobs=2):
                Parallel()(delayed(where)(i) for i in range(3))
        assert pywebworker.joblib.pools() == []  # nothing was started
        return

    with joblib.parallel_config(backend="pywebworker", n_jobs=2):
        out = Parallel()(delayed(where)(i) for i in range(50))
        assert out == [(i * i, True) for i in range(50)]
        # Another call in the block takes the same pool, warm.
        [pool] = pywebworker.joblib.pools()
        assert pool.size == 2 and pool.state == "running"
        assert Parallel(batch_size=1)(delayed(lambda s: s.upper())(s) for s in "abc") == ["A", "B", "C"]
        assert pywebworker.joblib.pools() == [pool]
    # Parallel(backend=...) with keyword arguments, outside any parallel_config.
    assert Parallel(n_jobs=2, backend="pywebworker")(delayed(divmod)(i, 3) for i in range(7)) == [
        divmod(i, 3) for i in range(7)
    ]
    assert pywebworker.joblib.pools() == [pool] and pool.done >= 3


@run_in_pyodide
async def test_n_jobs_minus_one_is_the_cores(selenium_pyww, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import joblib
    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib
    from pywebworker import _js
    from pywebworker._blocking import BlockingError

    cores = _js.runtime().cpu_count()
    with joblib.parallel_config(backend="pywebworker"):
        assert joblib.effective_n_jobs(-1) == cores
        assert joblib.effective_n_jobs(-2) == max(cores - 1, 1)
        assert joblib.effective_n_jobs(-cores - 5) == 1
        assert joblib.effective_n_jobs(3) == 3
        with pytest.raises(ValueError, match="n_jobs == 0"):
            joblib.effective_n_jobs(0)

    if not can_run_sync():
        if cores > 1:
            with pytest.raises(BlockingError, match=r"await pool\.map"):
                Parallel(n_jobs=-1, backend="pywebworker")(delayed(abs)(-i) for i in range(3))
        return

    assert Parallel(n_jobs=-1, backend="pywebworker")(delayed(abs)(-i) for i in range(20)) == list(range(20))
    if cores > 1:  # one core: n_jobs=-1 is one job, run here
        assert [p.size for p in pywebworker.joblib.pools()] == [cores]


@run_in_pyodide
async def test_generator_streams(selenium_pyww, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import time
    import types

    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib  # noqa: F401 - registers the backend
    from pywebworker._blocking import BlockingError

    def slow(i):  # the last item takes a second and a half
        import time

        if i == 5:
            time.sleep(1.5)
        return i

    if not can_run_sync():
        with pytest.raises(BlockingError, match=r"await pool\.map"):
            Parallel(n_jobs=2, backend="pywebworker", return_as="generator")(delayed(slow)(i) for i in range(6))
        return

    parallel = Parallel(n_jobs=2, backend="pywebworker", return_as="generator", batch_size=1)
    warm = parallel(delayed(abs)(i) for i in range(4))  # the pool boots (once per session)
    assert list(warm) == [0, 1, 2, 3]

    start = time.monotonic()
    gen = parallel(delayed(slow)(i) for i in range(6))
    assert isinstance(gen, types.GeneratorType)
    firsts = [next(gen) for _ in range(5)]
    early = time.monotonic() - start
    assert firsts == [0, 1, 2, 3, 4]
    assert early < 1.2, f"the first results came after {early:.2f} s: they waited for the slow one"
    assert next(gen) == 5
    assert time.monotonic() - start >= 1.5
    with pytest.raises(StopIteration):
        next(gen)

    # generator_unordered: the slow item comes last.
    start = time.monotonic()
    gen = Parallel(n_jobs=2, backend="pywebworker", return_as="generator_unordered", batch_size=1)(
        delayed(slow)(i) for i in (5, 0, 1, 2, 3)
    )
    firsts = sorted(next(gen) for _ in range(4))
    assert firsts == [0, 1, 2, 3] and time.monotonic() - start < 1.2
    assert list(gen) == [5]


@run_in_pyodide
async def test_task_exception_as_its_own_type(selenium_pyww, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import time

    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib
    from pywebworker._blocking import BlockingError
    from pywebworker._errors import RemoteTraceback

    class OddError(Exception):  # defined here: the host gets this very class back
        pass

    def check(i):
        if i == 7:
            raise ValueError(f"no {i}")
        if i == 9:
            raise OddError(i)
        return i

    if not can_run_sync():
        with pytest.raises(BlockingError):
            Parallel(n_jobs=2, backend="pywebworker")(delayed(check)(i) for i in range(10))
        return

    try:
        Parallel(n_jobs=2, backend="pywebworker")(delayed(check)(i) for i in range(10))
    except ValueError as exc:  # its own type
        assert str(exc) == "no 7"
        assert isinstance(exc.__cause__, RemoteTraceback)
        assert ", in check\n" in exc.__cause__.tb and "ValueError: no 7" in exc.__cause__.tb
    else:
        raise AssertionError("no ValueError")
    with pytest.raises(OddError):
        Parallel(n_jobs=2, backend="pywebworker")(delayed(check)(i) for i in range(8, 10))

    # The first error stops the call: batches still queued are dropped, workers running
    # others (a 30 s sleep here) are killed and replaced; the pool serves on.
    [pool] = pywebworker.joblib.pools()
    replaced = pool.replaced
    start = time.monotonic()
    with pytest.raises(TypeError):
        Parallel(n_jobs=2, backend="pywebworker", batch_size=1)(delayed(time.sleep)(d) for d in [30, "a"] + [30] * 20)
    assert time.monotonic() - start < 10
    # The worker that raised took the next queued sleep at once: one or both were replaced.
    assert replaced + 1 <= pool.replaced <= replaced + 2 and pool.state == "running"
    assert Parallel(n_jobs=2, backend="pywebworker")(delayed(check)(i) for i in range(5)) == list(range(5))
    assert pywebworker.joblib.pools() == [pool]
    # Parallel(timeout=...) seconds: the same stop, with joblib's TimeoutError.
    replaced = pool.replaced
    start = time.monotonic()
    with pytest.raises(Exception) as info:  # noqa: PT011 - multiprocessing's TimeoutError
        Parallel(n_jobs=2, backend="pywebworker", timeout=0.5)(delayed(time.sleep)(d) for d in [0, 30])
    assert type(info.value).__name__ == "TimeoutError" and time.monotonic() - start < 10
    assert pool.replaced == replaced + 1


@run_in_pyodide
async def test_input_generator(selenium_pyww, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import time

    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib  # noqa: F401 - registers the backend
    from pywebworker._blocking import BlockingError

    def raising(at):
        for i in range(20):
            if i == at:
                raise KeyError(f"input {i}")
            yield delayed(abs)(-i)

    def sleepy():  # blocks while joblib dispatches from it (its lock held)
        for i in range(12):
            time.sleep(0.02)
            yield delayed(abs)(-i)

    if not can_run_sync():
        with pytest.raises(BlockingError):
            Parallel(n_jobs=2, backend="pywebworker")(raising(10))
        return

    with Parallel(n_jobs=2, backend="pywebworker", batch_size=1) as parallel:
        # at once (pre-dispatch), halfway (dispatched from a finished batch's callback), at the end
        for at in (0, 10, 19):
            with pytest.raises(KeyError, match=f"input {at}"):
                parallel(raising(at))
        assert parallel(raising(99)) == list(range(20))
        assert parallel(sleepy()) == list(range(12))
    # A generator's output: joblib raises the input's error as soon as it meets it.
    gen = Parallel(n_jobs=2, backend="pywebworker", return_as="generator", batch_size=1)(raising(10))
    with pytest.raises(KeyError, match="input 10"):
        list(gen)


@run_in_pyodide
async def test_options_and_registration(selenium_pyww, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import joblib
    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib
    from pywebworker import WorkerStartError
    from pywebworker.joblib import WorkerPoolBackend

    with pytest.raises(TypeError, match=r"takes no option 'size'.*n_jobs is the pool's size"):
        joblib.parallel_config(backend="pywebworker", size=3)
    with pytest.raises(TypeError, match="takes no option 'colour'"):
        pywebworker.joblib.register("pyww-bad", colour="red")
    with pytest.raises(AssertionError, match="does not accept setting the inner_max_num_threads"):
        joblib.parallel_config(backend="pywebworker", inner_max_num_threads=2)  # joblib's own check
    assert "pyww-bad" not in joblib.parallel.BACKENDS

    def tag(_):
        import os

        return os.environ.get("TAG")

    pywebworker.joblib.register("pyww-tagged", initializer=lambda: __import__("os").environ.update(TAG="on"))
    try:
        tagged_class = joblib.parallel.BACKENDS["pyww-tagged"]
        assert issubclass(tagged_class, WorkerPoolBackend) and tagged_class is not WorkerPoolBackend
        backend, _ = joblib.parallel.get_active_backend()
        assert not isinstance(backend, WorkerPoolBackend)  # not the default
        if not can_run_sync():
            return
        pywebworker.joblib.shutdown()
        assert pywebworker.joblib.pools() == []
        with joblib.parallel_config(backend="pyww-tagged", n_jobs=2):
            assert Parallel()(delayed(tag)(i) for i in range(4)) == ["on"] * 4
        # Another configuration: another pool; the idle one is closed.
        [tagged] = pywebworker.joblib.pools()
        assert Parallel(n_jobs=2, backend="pywebworker")(delayed(tag)(i) for i in range(4)) == [None] * 4
        [plain] = pywebworker.joblib.pools()
        assert plain is not tagged and tagged.state in ("closing", "closed")
        pywebworker.joblib.shutdown(kill=True)
        assert plain.state == "killed" and pywebworker.joblib.pools() == []
        # A pool whose workers cannot start fails the call with why; the next call tries again.
        missing = joblib_wheel.rsplit("/", 1)[0] + "/pyww_missing-0.1-py3-none-any.whl"
        for _ in range(2):
            with pytest.raises(WorkerStartError, match="could not install"):
                Parallel(n_jobs=2, backend="pywebworker", packages=[missing])(delayed(tag)(i) for i in range(4))
        with joblib.parallel_config(backend="pywebworker", n_jobs=2):
            with Parallel() as parallel:  # one backend for both calls, its pool killed in between
                assert parallel(delayed(tag)(i) for i in range(2)) == [None] * 2
                pywebworker.joblib.shutdown(kill=True)
                assert parallel(delayed(tag)(i) for i in range(2)) == [None] * 2
    finally:
        del joblib.parallel.BACKENDS["pyww-tagged"]  # the module's later tests see joblib's own


# joblib's own suite (joblib/test/test_parallel.py, shipped in its wheel) with this
# backend as joblib's default backend, as joblib's conftest.py does for
# JOBLIB_TESTS_DEFAULT_PARALLEL_BACKEND: registered before the module is collected, it is
# also one of the BACKENDS its tests run over. The pools' workers install joblib and
# pytest: the tests' functions are pickled by reference to joblib.test.test_parallel.
# Installed in Pyodide as the module pyww_joblib_suite.
SUITE = """
import collections
import os
import time

import joblib
import joblib.parallel
import pytest

import pywebworker.joblib
from pywebworker.joblib import WorkerPoolBackend


class Collect:
    \"\"\"Every test's outcome, and whether it sent batches to workers.\"\"\"

    def __init__(self, wheel):
        self.wheel = wheel
        self.outcome = {}  # nodeid -> (outcome, detail)
        self.on_workers = set()
        self.current = None
        self.submit = WorkerPoolBackend.submit

    def pytest_configure(self, config):
        pywebworker.joblib.register(make_default=True, packages=[self.wheel, "pytest"])
        submit = self.submit

        def counted(backend, func, callback=None):
            self.on_workers.add(self.current)
            return submit(backend, func, callback)

        WorkerPoolBackend.submit = counted

    def pytest_runtest_logstart(self, nodeid, location):
        self.current = nodeid

    def pytest_runtest_logreport(self, report):
        old = self.outcome.get(report.nodeid)
        if report.failed:
            what = "failed" if report.when == "call" else "error"
            self.outcome[report.nodeid] = (what, report.longreprtext.strip().splitlines()[-1][:300])
        elif report.skipped and old is None:
            if hasattr(report, "wasxfail"):
                self.outcome[report.nodeid] = ("xfailed", report.wasxfail)
            else:
                self.outcome[report.nodeid] = ("skipped", str(report.longrepr[2]))
        elif report.when == "call" and old is None:
            self.outcome[report.nodeid] = ("passed", "")


def run(wheel, *extra):
    path = os.path.join(os.path.dirname(joblib.__file__), "test", "test_parallel.py")
    collect = Collect(wheel)
    start = time.monotonic()
    try:
        args = [path, "-q", "-p", "no:cacheprovider", "--capture=sys", "--durations=8", *extra]
        code = pytest.main(args, plugins=[collect])
    finally:
        WorkerPoolBackend.submit = collect.submit
        joblib.parallel.DEFAULT_BACKEND = "threading"
        pywebworker.joblib.register()
        pywebworker.joblib.shutdown(kill=True)
    took = time.monotonic() - start
    counts = collections.Counter(o for o, _ in collect.outcome.values())
    reasons = collections.Counter(d for o, d in collect.outcome.values() if o == "skipped")
    workers = sum(1 for n, (o, _) in collect.outcome.items() if o == "passed" and n in collect.on_workers)
    lines = [
        f"joblib {joblib.__version__} test_parallel.py, default backend pywebworker: {dict(counts)} "
        f"in {took:.0f} s; {workers} of the passed sent batches to workers (pytest exit status {code})"
    ]
    lines += [f"  skipped {n}: {r}" for r, n in reasons.most_common()]
    lines += [f"  {o}: {n}: {d}" for n, (o, d) in sorted(collect.outcome.items()) if o in ("failed", "error")]
    print("\\n".join(lines))
    # nodeid -> (outcome, detail, whether it sent batches to workers)
    return counts, {n: (o, d, n in collect.on_workers) for n, (o, d) in collect.outcome.items()}, workers
"""


@pytest.fixture
def selenium_suite(selenium_pyww):
    """selenium_pyww with 15 minutes for one test (joblib's suite: 1 to 2 minutes on 2
    busy cores), and the module pyww_joblib_suite (SUITE) in Pyodide."""
    selenium_pyww.set_script_timeout(900)
    # A bound of one script besides the script timeout: selenium's HTTP read timeout
    # (120 s) in Chromium, pexpect's (60 s) in Node.
    if selenium_pyww.browser == "chrome":
        holder, name = selenium_pyww.driver.command_executor._client_config, "timeout"
    else:
        holder, name = selenium_pyww.p, "timeout"
    before = getattr(holder, name)
    setattr(holder, name, 900)
    selenium_pyww.run(
        "import site, pathlib\n"
        f"pathlib.Path(site.getsitepackages()[0], 'pyww_joblib_suite.py').write_text({SUITE!r})"
    )
    yield selenium_pyww
    setattr(holder, name, before)


@run_in_pyodide
async def test_joblibs_own_test_parallel(selenium_suite, joblib_wheel):
    import micropip

    await micropip.install(joblib_wheel)
    import pytest
    from joblib import Parallel, delayed
    from pyodide.ffi import can_run_sync

    import pywebworker.joblib  # noqa: F401 - registers the backend
    from pywebworker._blocking import BlockingError

    if not can_run_sync():
        with pytest.raises(BlockingError):
            Parallel(n_jobs=2, backend="pywebworker")(delayed(abs)(i) for i in range(3))
        return
    import pyww_joblib_suite

    counts, outcome, on_workers = pyww_joblib_suite.run(joblib_wheel)
    failed = {n: d for n, (o, d, _) in outcome.items() if o in ("failed", "error")}
    assert not failed, failed
    assert counts["passed"] >= 300 and on_workers >= 50  # 323 and 71 with 2 cores
    by_name = {n.rsplit("::", 1)[-1]: v for n, v in outcome.items()}
    for name in (
        "test_simple_parallel[2-2-pywebworker]",
        "test_abort_backend[2-pywebworker]",
        "test_multiple_generator_call_separated[2-generator-generator_unordered-pywebworker]",
        "test_nested_loop[pywebworker-pywebworker]",
        "test_dispatch_race_condition[517-2-n_jobs-auto]",
        "test_globals_update_at_each_parallel_call",
    ):
        assert by_name[name][0] == "passed" and by_name[name][2], (name, by_name.get(name))


@pytest.fixture(scope="module")
def readme_joblib_block() -> tuple[str, list[str]]:
    """README.md's joblib example (the ```py block of "### joblib") and the outputs its
    print lines state (test_readme's rule)."""
    from test_readme import print_comments, stated_value

    text = (ROOT / "README.md").read_text()
    section = text[text.index("### joblib"):]
    block = section[section.index("```py\n") + 6:]
    block = block[:block.index("```")]
    said = [stated_value(c) for _, c in sorted(print_comments(block).items())]
    assert len(said) == 4 and None not in said
    return block, said


@run_in_pyodide
async def test_readme_example(selenium_pyww, joblib_wheel, readme_joblib_block):
    import contextlib
    import io

    import pytest
    from pyodide.code import eval_code_async
    from pyodide.ffi import can_run_sync

    from pywebworker._blocking import BlockingError

    block, said = readme_joblib_block
    install = 'await micropip.install("joblib")'
    assert install in block
    code = block.replace(install, f"await micropip.install({joblib_wheel!r})")
    out = io.StringIO()
    if not can_run_sync():
        with pytest.raises(BlockingError, match=r"Use `async with WorkerPool\(n\) as pool"):
            await eval_code_async(code, {})
        return
    with contextlib.redirect_stdout(out):
        await eval_code_async(code, {})
    assert out.getvalue().splitlines() == said
