"""PyWorker start: readiness of scripts that serve for ever, Python tracebacks as Python
prints them, and packages installed from the host's own indexes."""

import pytest
from pytest_pyodide import run_in_pyodide
from wheels import build_wheel

DUMMY = "pyww-boot-dummy"  # a package that only the test's local index has


@pytest.fixture(scope="session")
def boot_index_url(serve_wheels, tmp_path_factory):
    d = tmp_path_factory.mktemp("boot_wheels")
    build_wheel(d, DUMMY)
    build_wheel(d, "pyww-piplite-only", value=7)
    return serve_wheels(d)


# -- readiness --------------------------------------------------------------------------

LOOP_RECEIVE = """
from pywebworker import parent
while True:
    m = await parent.receive()
    parent.send_message(["echo", m.read()])
"""

LOOP_ASYNC_FOR = """
from pywebworker import parent
async for m in parent:
    parent.send_message(["echo", m.read()])
"""

LOOP_HANDLER = """
import asyncio
from pywebworker import parent
parent.on_message = lambda m: parent.send_message(["echo", m.read()])
await asyncio.Event().wait()
"""


@pytest.fixture
def loop_scripts():
    return [LOOP_RECEIVE, LOOP_ASYNC_FOR, LOOP_HANDLER]


@run_in_pyodide
async def test_serve_forever_at_top_level_is_ready(selenium_pyww, loop_scripts):
    from pywebworker import PyWorker

    for script in loop_scripts:
        w = PyWorker(script).start()
        await w.ready(timeout=60)  # before: timed out, ready came after the top level
        async with w:
            w.send_message("hi")
            assert (await w.receive(timeout=30)).read() == ["echo", "hi"]
            w.send_message({"n": 2})
            assert (await w.receive(timeout=30)).read() == ["echo", {"n": 2}]
            assert w.state == "running"


@run_in_pyodide
async def test_serve_forever_with_exports(selenium_pyww):
    import asyncio

    from pywebworker import PyWorker

    before = """
from pywebworker import parent
def add(a, b):
    return a + b
__export__ = ["add"]
async for m in parent:
    parent.send_message(m.read())
"""
    async with PyWorker(before) as w:  # before: hung here
        assert dir(w.exports) == ["add"]
        assert await w.exports.add(2, 3) == 5
        w.send_message("x")
        assert (await w.receive(timeout=30)).read() == "x"

    # __export__ assigned after the first wait: ready only once it exists, so the
    # exports are served from the start.
    after = """
from pywebworker import parent
first = await parent.receive()
def mul(a, b):
    return a * b
__export__ = ["mul"]
parent.send_message("defined " + first.read())
while True:
    parent.send_message((await parent.receive()).read())
"""
    w = PyWorker(after).start()
    waiting = asyncio.ensure_future(w.ready(timeout=60))
    w.send_message("go")
    await waiting
    assert dir(w.exports) == ["mul"]
    assert await w.exports.mul(6, 7) == 42
    assert (await w.receive(timeout=30)).read() == "defined go"
    w.kill()


@run_in_pyodide
async def test_top_level_error_after_ready_fails_the_worker(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, RemoteError, WorkerFailedError

    script = """
from pywebworker import parent
def check(value):
    if value == "boom":
        raise ValueError("no")
    return value
async for m in parent:
    parent.send_message(check(m.read()))
"""
    w = PyWorker(script, name="loop").start()
    await w.ready(timeout=60)
    w.send_message("ok")
    assert (await w.receive(timeout=30)).read() == "ok"
    w.send_message("boom")
    with pytest.raises(RemoteError) as info:
        await w.receive(timeout=30)  # before: nothing ever came, the worker hung
    assert info.value.remote_type == "ValueError" and info.value.remote_message == "no"
    assert w.state == "failed"
    with pytest.raises(WorkerFailedError, match="no"):
        await w.ready(timeout=5)
    tb = info.value.remote_traceback
    assert tb.startswith("Traceback (most recent call last):"), tb
    assert 'File "/worker/loop.py", line 8, in <module>' in tb and 'line 5, in check' in tb, tb


# -- tracebacks -------------------------------------------------------------------------


@run_in_pyodide
async def test_python_tracebacks_are_the_users(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, RemoteError, WorkerStartError

    def check(err, name, line, func):
        tb = err.remote_traceback
        assert err.remote_type == "ValueError", (err.remote_type, tb)
        assert err.remote_message == "no", err.remote_message
        assert tb.startswith("Traceback (most recent call last):\n"), tb
        assert f'File "/worker/{name}.py", line {line}, in {func}\n' in tb, tb
        assert tb.rstrip().endswith("ValueError: no"), tb
        for internal in ("pyodide.asm", "_pyodide/_base.py", "pyodide/", "pywebworker/", "PythonError"):
            assert internal not in tb, (internal, tb)

    # A start failure: the top level raises through a function.
    w = PyWorker("def f():\n    raise ValueError('no')\n\nf()\n", name="start").start()
    with pytest.raises(WorkerStartError) as info:
        await w.ready(timeout=60)
    check(info.value, "start", 2, "f")
    assert 'line 4, in <module>' in info.value.remote_traceback
    assert "raise ValueError('no')" in info.value.remote_traceback  # the source line

    # A call's exception (plain and async exports) and an on_message handler's.
    script = """
from pywebworker import parent
def fail():
    raise ValueError("no")
async def afail():
    raise ValueError("no")
def on_message(m):
    raise ValueError("no")
parent.on_message = on_message
__export__ = ["fail", "afail"]
"""
    async with PyWorker(script, name="calls") as w:
        with pytest.raises(RemoteError) as info:
            await w.exports.fail()
        check(info.value, "calls", 4, "fail")
        with pytest.raises(RemoteError) as info:
            await w.exports.afail()
        check(info.value, "calls", 6, "afail")
        w.send_message("x")
        with pytest.raises(RemoteError) as info:
            await w.receive(timeout=30)
        check(info.value, "calls", 8, "on_message")

    # A syntax error reads as Python prints it.
    w = PyWorker("x = (\n", name="syntax").start()
    with pytest.raises(WorkerStartError) as info:
        await w.ready(timeout=60)
    assert info.value.remote_type == "SyntaxError"
    assert 'File "/worker/syntax.py", line 1' in info.value.remote_traceback
    assert "pyodide" not in info.value.remote_traceback


@run_in_pyodide
async def test_callback_error_after_ready_has_the_python_traceback(selenium_pyww):
    import pytest

    from pywebworker import PyWorker, RemoteError, WorkerFailedError

    # Raised in a JS event (a timer) after the top level: an uncaught PythonError.
    script = """
from js import setTimeout
from pyodide.ffi import create_once_callable
from pywebworker import parent

def later():
    raise LookupError("failed after ready")

parent.on_message = lambda m: setTimeout(create_once_callable(later), 10)
"""
    async with PyWorker(script, name="timer") as w:
        w.send_message("go")
        with pytest.raises(RemoteError) as info:
            await w.receive(timeout=30)
        with pytest.raises(WorkerFailedError):
            await w.ready(timeout=5)
    err = info.value
    tb = err.remote_traceback
    assert (err.remote_type, err.remote_message) == ("LookupError", "failed after ready"), (err.remote_type, tb)
    assert tb.startswith("Traceback (most recent call last):\n"), tb
    assert 'File "/worker/timer.py", line 7, in later' in tb, tb
    assert tb.rstrip().endswith("LookupError: failed after ready"), tb
    for internal in ("pyodide.asm", "_pyodide/", "node:internal", "    at "):
        assert internal not in tb, (internal, tb)


# -- packages from the host's indexes ---------------------------------------------------


@run_in_pyodide
async def test_packages_from_the_hosts_index(selenium_pyww, boot_index_url):
    import contextlib
    import io

    import micropip
    import pytest

    from pywebworker import PyWorker, WorkerStartError

    script = "import pyww_boot_dummy\nfrom pywebworker import parent\nparent.send_message(pyww_boot_dummy.VALUE)"
    before = list(micropip._package_manager_singleton.index_urls)
    micropip.set_index_urls([boot_index_url])
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            async with PyWorker(script, packages=["pyww-boot-dummy", "packaging"]) as w:
                assert (await w.receive(timeout=60)).read() == 42
    finally:
        micropip.set_index_urls(before)
    assert "Loading" not in out.getvalue() and "Loaded" not in out.getvalue(), out.getvalue()

    # The host's default index (PyPI, unreachable here): not found, and the start
    # failure names the package.
    w = PyWorker("pass", packages=["pyww-boot-dummy"]).start()
    with pytest.raises(WorkerStartError, match="pyww-boot-dummy"):
        await w.ready(timeout=90)

    # Explicit index_urls, and a wheel given by URL.
    async with PyWorker(script, packages="pyww-boot-dummy", index_urls=boot_index_url) as w:
        assert (await w.receive(timeout=60)).read() == 42
    wheel = boot_index_url + "/pyww-boot-dummy/pyww_boot_dummy-0.1.0-py3-none-any.whl"
    async with PyWorker(script, packages=[wheel]) as w:
        assert (await w.receive(timeout=60)).read() == 42
    with pytest.raises(TypeError, match="index_urls"):
        PyWorker("pass", index_urls=[1])


# A stand-in for JupyterLite's piplite (pyodide-kernel): the same settings
# (piplite.piplite._PIPLITE_URLS of all.json indexes, _PIPLITE_DISABLE_PYPI) and the same
# install(requirements, ...) entry point, reduced to what the test needs.
FAKE_PIPLITE = '''
import json
import micropip
from pyodide.http import pyfetch

_PIPLITE_URLS = []
_PIPLITE_DISABLE_PYPI = False
used = []

async def _install(requirements, **kwargs):
    urls = []
    for name in requirements:
        for index_url in _PIPLITE_URLS:
            index = json.loads(await (await pyfetch(index_url)).string())
            if name in index:
                urls.append(index[name]["releases"]["0.1.0"][0]["url"])
                break
        else:
            if _PIPLITE_DISABLE_PYPI:
                raise ValueError(f"{name} could not be installed: PyPI fallback is disabled")
            urls.append(name)
    used.extend(urls)
    await micropip.install(urls, **kwargs)

def install(requirements, **kwargs):
    import asyncio
    return asyncio.ensure_future(_install(requirements, **kwargs))
'''


@run_in_pyodide
async def test_packages_from_piplite(selenium_pyww, boot_index_url, fake_piplite):
    import json
    import site
    import sys
    import urllib.parse
    from pathlib import Path

    import pytest

    from pywebworker import PyWorker, WorkerStartError

    pkg = Path(site.getsitepackages()[0], "piplite")
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("from .piplite import install\n")
    (pkg / "piplite.py").write_text(fake_piplite)
    import piplite.piplite

    wheel = boot_index_url + "/pyww-piplite-only/pyww_piplite_only-0.1.0-py3-none-any.whl"
    all_json = json.dumps({"pyww-piplite-only": {"releases": {"0.1.0": [{"url": wheel}]}}})
    piplite.piplite._PIPLITE_URLS = ["data:application/json," + urllib.parse.quote(all_json)]
    piplite.piplite._PIPLITE_DISABLE_PYPI = True
    script = """
import pyww_piplite_only
import piplite.piplite
from pywebworker import parent
parent.send_message([pyww_piplite_only.VALUE, piplite.piplite.used, piplite.piplite._PIPLITE_DISABLE_PYPI])
"""
    try:
        async with PyWorker(script, packages=["pyww-piplite-only"]) as w:
            assert (await w.receive(timeout=60)).read() == [7, [wheel], True]
        w = PyWorker("pass", packages=["pyww-boot-dummy"]).start()
        with pytest.raises(WorkerStartError, match="PyPI fallback is disabled"):
            await w.ready(timeout=60)
    finally:
        for name in [m for m in sys.modules if m == "piplite" or m.startswith("piplite.")]:
            del sys.modules[name]
        for f in pkg.iterdir():
            f.unlink()
        pkg.rmdir()


@pytest.fixture
def fake_piplite():
    return FAKE_PIPLITE


# -- what a boot imports ------------------------------------------------------------------

@run_in_pyodide
async def test_a_boot_imports_only_the_worker_side(selenium_pyww):
    """Issue 23 (cold starts 1.16-1.20x a raw Pyodide worker): every PyWorker's boot
    imported the whole package (pools, display, page, the host's glue) and the standard
    library modules they need (urllib.parse with ipaddress, html.entities, numbers,
    importlib.resources), about a tenth of a plain boot. Now only the worker side, plainly
    and from a memory snapshot; the host side still imports on first use."""
    import asyncio

    from pywebworker import PyWorker

    report = (
        "import sys\nfrom pywebworker import parent\n"
        "parent.send_message(sorted(m for m in sys.modules if m.startswith(('pywebworker', 'urllib', 'html', "
        "'ipaddress', 'numbers', 'importlib.resources', 'cloudpickle'))))\n"
    )
    host_side = {"pywebworker._worker", "pywebworker._pool", "pywebworker._executor", "pywebworker._spares",
                 "pywebworker._snapshots", "pywebworker._named", "pywebworker.page"}
    # (importlib.resources is not here: Pyodide 0.29.3 imports it itself.)
    heavy = {"urllib.parse", "html.entities", "ipaddress", "numbers", "cloudpickle"}
    for snapshot in (False, True, True):  # the second True boots from the first's snapshot
        w = PyWorker(report, snapshot=snapshot).start()
        loaded = set((await asyncio.wait_for(w.receive(), 60)).read())
        w.kill()
        assert "pywebworker._parent" in loaded and "pywebworker._boot" in loaded
        assert not loaded & host_side, (snapshot, loaded & host_side)
        assert not loaded & heavy, (snapshot, loaded & heavy)
    # The public names still resolve, in a worker too (module __getattr__).
    w = PyWorker(
        "import pywebworker\nfrom pywebworker import parent\n"
        "parent.send_message([n for n in pywebworker.__all__ if getattr(pywebworker, n, None) is None])\n"
    ).start()
    assert (await asyncio.wait_for(w.receive(), 60)).read() == []
    w.kill()
