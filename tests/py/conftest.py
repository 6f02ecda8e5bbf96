"""pytest config for the Pyodide-hosted tests (pytest-pyodide, offline).

Select the Pyodide version with PYWW_PYODIDE (default 314.0.7; also 0.29.3),
or point --dist-dir anywhere explicitly.  Runtimes: pytest-pyodide's own
`--rt node,chrome` (default node).  One pytest run = one Pyodide version,
because pytest-pyodide keeps a single global dist dir/web server per session;
mk/deps.mk `test-py` loops over versions.

Fixtures from pytest-pyodide (use as first arg of @run_in_pyodide functions):
  selenium             module-scoped Pyodide, state restored between tests
  selenium_standalone  fresh Pyodide per test
  selenium_worker      Pyodide inside a *module Web Worker* in Chrome (no
                       `window`, JupyterLite-like); skipped on node
Fixtures defined here:
  pyodide_version      "314.0.7" / "0.29.3"
  serve_wheels         session factory: serve_wheels(dir) -> index URL (a static
                       PEP 503 tree served by pytest-pyodide's web server)
  pyww_index_url       index URL serving <repo>/dist (wheels from `make wheel`)
  selenium_pyww        `selenium` with pywebworker installed by micropip, by name,
                       from pyww_index_url (the real wheel, as a user installs it)
  selenium_pyww_worker the same in `selenium_worker` (Pyodide in a module worker)
  selenium_isolated    Chromium: a page served with COOP/COEP (crossOriginIsolated,
                       shared memory), module-scoped, with the wheel; Node: selenium_pyww
  selenium_isolated_worker  the same with Pyodide in a module worker of that page
Both also install tests/py/pyodide_waits.py in Pyodide: `from pyodide_waits import
wait_until` gives every test one bounded wait (a deadline and what it waited for).
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from pytest_pyodide.server import spawn_web_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from chromium_launcher import CHROMEDRIVER, CHROMIUM_FLAGS  # noqa: E402

PYODIDE_VERSION = os.environ.get("PYWW_PYODIDE", "314.0.7")
DIST_DIR = ROOT / "build" / "pyodide" / PYODIDE_VERSION

# Why: pytest-pyodide calls `selenium.webdriver.Chrome(options=...)` with no
# Service, so Selenium Manager would go look for "Google Chrome" / try to
# download Chrome-for-Testing (no network).  SE_CHROMEDRIVER makes Selenium use
# Debian's chromedriver directly; that one is patched to launch /usr/bin/chromium.
os.environ.setdefault("SE_CHROMEDRIVER", CHROMEDRIVER)

# Why: we run as root with no outside network (tools/chromium_launcher.py). pytest-pyodide
# adds --headless and --no-sandbox itself, and its default --js-flags=--expose-gc
# (collect_garbage) is kept.
CHROME_FLAGS = ["--js-flags=--expose-gc", *(f for f in CHROMIUM_FLAGS if f not in ("--headless", "--no-sandbox"))]


@pytest.hookimpl(tryfirst=True)  # before pytest-pyodide resolves dist_dir
def pytest_configure(config):
    from pytest_pyodide import get_global_config

    if str(config.option.dist_dir) == "pyodide":  # pytest-pyodide's default
        config.option.dist_dir = DIST_DIR
    dist = Path(config.option.dist_dir)
    if not (dist / "pyodide.mjs").exists():
        raise pytest.UsageError(f"{dist} is not a Pyodide dist dir: run `make pyodide-dist`")
    get_global_config().set_flags("chrome", CHROME_FLAGS)


@pytest.fixture(scope="session")
def pyodide_version(request) -> str:
    import json

    lock = json.loads((Path(request.config.option.dist_dir) / "package.json").read_text())
    return lock["version"]


def write_simple_index(wheel_dir: Path, out: Path) -> None:
    """Write a static PEP 503 index of ``wheel_dir``'s wheels under ``out``.

    ``out/<project>/index.html`` links each wheel, copied next to it, with its sha256.

    Why a static tree and not a server of our own (or pypiserver, which sends no CORS
    headers): pytest-pyodide's web server already answers with
    ``Access-Control-Allow-Origin: *``, which the page in Chromium needs. It serves
    ``text/html``; micropip 0.11.0 and 0.11.1 ask for PEP 691 JSON first but read
    whatever the Content-Type says, and resolve relative links only in HTML.
    """
    projects: dict[str, list[Path]] = {}
    for whl in sorted(wheel_dir.glob("*.whl")):
        projects.setdefault(re.sub(r"[-_.]+", "-", whl.name.split("-")[0]).lower(), []).append(whl)
    for name, wheels in projects.items():
        (out / name).mkdir(parents=True)
        links = []
        for whl in wheels:
            shutil.copyfile(whl, out / name / whl.name)
            digest = hashlib.sha256(whl.read_bytes()).hexdigest()
            links.append(f'<a href="{html.escape(whl.name)}#sha256={digest}">{html.escape(whl.name)}</a>')
        (out / name / "index.html").write_text(_html_page(links))
    (out / "index.html").write_text(_html_page([f'<a href="{n}/">{n}</a>' for n in projects]))


def _html_page(links: list[str]) -> str:
    return "<!DOCTYPE html>\n<html><body>\n" + "<br>\n".join(links) + "\n</body></html>\n"


@pytest.fixture(scope="session")
def serve_wheels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """Factory: ``serve_wheels(dir)`` serves a PEP 503 index of the wheels in ``dir`` now
    (pytest-pyodide's web server, CORS-enabled) for the rest of the session; returns its
    URL (``http://127.0.0.1:PORT``) for ``micropip.install(..., index_urls=[url])``.
    Wheels added to ``dir`` later are not listed."""
    with ExitStack() as stack:
        cache: dict[Path, str] = {}

        def start(wheel_dir: Path) -> str:
            d = Path(wheel_dir).resolve()
            if d not in cache:
                tree = tmp_path_factory.mktemp("simple")
                write_simple_index(d, tree)
                host, port, _log = stack.enter_context(spawn_web_server(tree))
                cache[d] = f"http://{host}:{port}"
            return cache[d]

        yield start


@pytest.fixture(scope="session")
def pyww_index_url(serve_wheels) -> str:
    """Index over <repo>/dist, where `make wheel` puts pywebworker-*.whl."""
    dist = ROOT / "dist"
    if not list(dist.glob("pywebworker-*.whl")):
        pytest.fail("no dist/pywebworker-*.whl: run `make wheel` first")
    return serve_wheels(dist)


WAITS = (Path(__file__).with_name("pyodide_waits.py")).read_text()


# Whether the running test is one of the snapshots' own (set by an autouse fixture below;
# module-scoped, so set before the module-scoped Pyodide fixtures too).
_snapshot_test = [False]


@pytest.fixture(autouse=True, scope="module")
def _snapshots_own_tests(request) -> Iterator[None]:
    _snapshot_test[0] = request.module.__name__.rsplit(".", 1)[-1].startswith("test_snapshot")
    yield
    _snapshot_test[0] = False


def _install_pywebworker(selenium, index_url: str):
    selenium.set_script_timeout(120)
    selenium.load_package("micropip")
    selenium.run_async(
        f"import micropip\nawait micropip.install('pywebworker', index_urls=[{index_url!r}])"
    )
    # The tests' bounded-wait helpers, as the module `pyodide_waits` inside Pyodide.
    selenium.run(
        "import site, pathlib\n"
        f"pathlib.Path(site.getsitepackages()[0], 'pyodide_waits.py').write_text({WAITS!r})"
    )
    # PYWW_SNAPSHOTS=0: every PyWorker boots plainly (the suite in both modes: issue 16),
    # but in the tests of the snapshots themselves (test_snapshot*.py).
    snapshots = os.environ.get("PYWW_SNAPSHOTS", "1") != "0" or _snapshot_test[0]
    selenium.run(f"import pywebworker\npywebworker.set_snapshots({snapshots})")
    return selenium


def _browser_alive(runner) -> bool:
    """False when Chromium's renderer is gone ("tab crashed"); a Node runner is always alive here."""
    if getattr(runner, "browser", None) != "chrome":
        return True
    try:
        runner.driver.execute_script("return 1")
    except Exception:  # selenium's WebDriverException: the tab or the browser is gone
        return False
    return True


@pytest.fixture(scope="module")
def _reopened_browser(request, runtime, web_server_main, playwright_browsers) -> Iterator[dict]:
    """A fresh browser for the rest of the module once pytest-pyodide's module-scoped one crashed."""
    from pytest_pyodide.fixture import selenium_common

    with ExitStack() as stack:
        box: dict = {}
        box["open"] = lambda: stack.enter_context(
            selenium_common(request, runtime, web_server_main, browsers=playwright_browsers)
        )
        yield box


@pytest.fixture
def selenium(request, selenium_module_scope, _reopened_browser):
    """pytest-pyodide's `selenium`, except that a crashed renderer fails one test, not the module.

    A Chromium renderer that dies ("tab crashed": the machine ran short of memory, or Chromium
    itself failed) takes pytest-pyodide's module-scoped browser with it, and every later test of
    the module would error on the dead tab.  The next test gets a new browser instead; the
    failed test stays failed (`make test` reruns it once, visibly, with pytest-rerunfailures'
    ``--only-rerun "tab crashed"``).
    """
    from pytest_pyodide.fixture import selenium_context_manager
    from pytest_pyodide.utils import parse_driver_timeout, set_webdriver_script_timeout

    runner = _reopened_browser.get("runner", selenium_module_scope)
    if not _browser_alive(runner):
        print("pywebworker tests: the browser's tab crashed; opening a new browser")
        runner = _reopened_browser["runner"] = _reopened_browser["open"]()
    with selenium_context_manager(runner) as s, set_webdriver_script_timeout(
        s, script_timeout=parse_driver_timeout(request.node)
    ):
        yield s


@pytest.fixture
def selenium_pyww(selenium, pyww_index_url):
    """Pyodide (module-scoped, per runtime) with the built wheel installed by name."""
    return _install_pywebworker(selenium, pyww_index_url)


@pytest.fixture
def selenium_pyww_worker(selenium_worker, pyww_index_url):
    """Pyodide inside a module Web Worker (as a JupyterLite kernel) with the wheel."""
    return _install_pywebworker(selenium_worker, pyww_index_url)


# The two headers that make a page cross-origin isolated (SharedArrayBuffer, Atomics.wait).
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}


@contextmanager
def _isolated(request, runtime, playwright_browsers, worker: bool) -> Iterator[object]:
    """A browser on pytest-pyodide's own web server, which here also sends the COOP/COEP
    headers (its `extra_headers`): the same test page and Pyodide (in the page, or with
    `worker` in a module Web Worker), isolated. None on Node."""
    if runtime == "node":
        yield None
        return
    from pytest_pyodide.fixture import selenium_common

    with spawn_web_server(request.config.option.dist_dir, extra_headers=ISOLATION_HEADERS) as server, \
            selenium_common(request, runtime, server, browsers=playwright_browsers, worker=worker) as runner:
        yield runner


@pytest.fixture(scope="module")
def _isolated_runner(request, runtime, playwright_browsers) -> Iterator[object]:
    with _isolated(request, runtime, playwright_browsers, False) as runner:
        yield runner


@pytest.fixture(scope="module")
def _isolated_worker_runner(request, runtime, playwright_browsers) -> Iterator[object]:
    with _isolated(request, runtime, playwright_browsers, True) as runner:
        yield runner


def _isolated_selenium(request, runner, index_url: str, fallback: str) -> Iterator[object]:
    if runner is None:
        yield request.getfixturevalue(fallback)
        return
    from pytest_pyodide.fixture import selenium_context_manager
    from pytest_pyodide.utils import parse_driver_timeout, set_webdriver_script_timeout

    with selenium_context_manager(runner) as s, set_webdriver_script_timeout(
        s, script_timeout=parse_driver_timeout(request.node)
    ):
        yield _install_pywebworker(s, index_url)


@pytest.fixture
def selenium_isolated(request, _isolated_runner, pyww_index_url):
    """Pyodide with the wheel on a page that has shared memory: Chromium on a cross-origin
    isolated page (module-scoped browser), or Node (which always has it)."""
    yield from _isolated_selenium(request, _isolated_runner, pyww_index_url, "selenium_pyww")


@pytest.fixture
def selenium_isolated_worker(request, _isolated_worker_runner, pyww_index_url):
    """As selenium_isolated, with Pyodide inside a module Web Worker of the isolated page
    (as a JupyterLite kernel); Node: selenium_pyww."""
    yield from _isolated_selenium(request, _isolated_worker_runner, pyww_index_url, "selenium_pyww")
