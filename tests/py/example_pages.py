"""Driving the example pages of examples/web/ in headless Chromium, for their tests
(test_demo_page.py, test_page_web.py): the repository served by examples/web/serve.py,
a Chromium of tools/chromium_launcher.py (the flags the tests use), offline.

Not a test module: helpers only.
"""
from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402


@contextlib.contextmanager
def example_page(request: pytest.FixtureRequest, page: str, query: str = "") -> Iterator[Any]:
    """Open ``examples/web/<page>?pyodide=<this session's dist dir>&<query>`` (``page``
    starting with ``/``: that path of the repository); yields the selenium driver. Skips
    unless ``--rt`` includes chrome (and the dist dir is inside the repository, which the
    server serves)."""
    if "chrome" not in str(request.config.option.runtime):
        pytest.skip(f"the {page} test runs with --rt chrome")
    dist = Path(request.config.option.dist_dir).absolute()  # not resolved: a symlinked build/pyodide is served
    if ROOT not in dist.parents:
        pytest.skip(f"dist dir {dist} is not inside the repository the server serves")
    if not list((ROOT / "dist").glob("pywebworker-*.whl")):
        pytest.fail("no dist/pywebworker-*.whl: run `make wheel` first")
    index = "/" + dist.relative_to(ROOT).as_posix() + "/"
    with serve() as base, chromium() as driver:
        path = page if page.startswith("/") else f"/examples/web/{page}"
        driver.get(f"{base}{path}?pyodide={index}{'&' + query if query else ''}")
        yield driver


def wait_for(driver: Any, script: str, timeout: float, what: str, *, error_js: str, shown_js: str) -> Any:
    """Poll ``script`` until it returns something truthy (returned); fail at once when
    ``error_js`` returns an error, and after ``timeout`` seconds with what ``shown_js``
    says the page shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        error = driver.execute_script(error_js)
        if error:
            pytest.fail(f"the page failed: {error}")
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; the page shows: {driver.execute_script(shown_js)}")


def screenshot(driver: Any, name: str) -> None:
    """Save the page as tests/artifacts/<name>."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))
