"""The page-calls-Python example (examples/web/backend.html + backend.py) in headless
Chromium: its buttons call `backend.*`. A button pressed before Python has registered waits
and gets its answer; bindings (plain and async), bytes, an exception, an unknown name; a
3 s task during which animation frames keep coming (no gap of 100 ms or more); 50 task
calls at once. Saves a screenshot under tests/artifacts/.

Its own Chromium and server (tools/chromium_launcher.py, examples/web/serve.py), as
test_demo_page.py; runs when ``--rt`` includes chrome, on this session's Pyodide dist dir.
"""
from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402


def wait_for(driver, script: str, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        error = driver.execute_script("return window.page && window.page.error")
        if error:
            pytest.fail(f"the page failed: {error}")
        time.sleep(0.05)
    out = driver.execute_script("return document.getElementById('out').textContent")
    pytest.fail(f"timed out after {timeout} s waiting for {what}; the page shows: {out}")


def click(driver, button: str) -> None:
    driver.find_element("id", button).click()


@pytest.fixture
def backend_page(request):
    if "chrome" not in str(request.config.option.runtime):
        pytest.skip("the page test runs with --rt chrome")
    dist = Path(request.config.option.dist_dir).resolve()
    if ROOT not in dist.parents:
        pytest.skip(f"dist dir {dist} is not inside the repository the server serves")
    if not list((ROOT / "dist").glob("pywebworker-*.whl")):
        pytest.fail("no dist/pywebworker-*.whl: run `make wheel` first")
    index = "/" + dist.relative_to(ROOT).as_posix() + "/"
    with serve() as base, chromium() as driver:
        driver.get(f"{base}/examples/web/backend.html?pyodide={index}")
        yield driver


def result(driver, button: str, timeout: float = 30):
    return wait_for(driver, f"return window.page.results[{button!r}] || window.page.errors[{button!r}]", timeout,
                    f"the answer to {button}")


def test_page_buttons_call_python(backend_page):
    driver = backend_page
    # Pressed while Pyodide is still loading: the handler waits for `backendloaded`.
    assert driver.execute_script("return globalThis.backendloaded === undefined")
    click(driver, "hello")
    assert result(driver, "hello", 90) == "Hello from Python!"
    assert driver.execute_script("return globalThis.backendloaded") is True

    driver.find_element("id", "name").clear()
    driver.find_element("id", "name").send_keys("Grace")
    click(driver, "greet")
    assert result(driver, "greet") == "Hello, Grace from Python!"
    click(driver, "later")
    assert result(driver, "later") == "0.2 s later"
    click(driver, "digest")
    assert result(driver, "digest") == {"sha256": hashlib.sha256(b"Grace").hexdigest(), "reversed": "ecarG",
                                        "isBytes": True}
    click(driver, "fails")
    err = result(driver, "fails")
    assert err["name"] == "PythonError" and err["pythonType"] == "ZeroDivisionError"
    assert err["message"] == "division by zero"
    assert 'File "backend.py"' in err["pythonTraceback"] and "in python_fails" in err["pythonTraceback"]
    click(driver, "missing")
    err = result(driver, "missing")
    assert err["name"] == "TypeError"
    assert err["message"] == ("backend.not_registered is not registered; registered: count_primes, "
                              "long_running_task, python_digest, python_fails, python_greet, python_hello, "
                              "python_later")

    # The 3 s task: frames keep coming while it runs in a worker. A page that froze
    # would show a gap of about 3000 ms every time; a machine shared with other jobs
    # can starve Chromium's compositor for a moment now and then, so up to three runs
    # are made and one must be clean.
    worst_gaps = []
    for _ in range(3):
        driver.execute_script("delete window.page.results.task; delete window.page.errors.task")
        click(driver, "task")
        assert result(driver, "task", 90) == "Hello Grace from worker!"
        t0, t1 = driver.execute_script("return window.page.taskSpan")
        assert t1 - t0 >= 3000, "the task did not run its 3 s"
        frames = driver.execute_script(
            "return window.page.frames.filter((t) => t >= arguments[0] && t <= arguments[1])", t0, t1)
        gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
        assert len(frames) > 30, f"only {len(frames)} frames in the task's {t1 - t0:.0f} ms"
        worst = max(range(len(gaps)), key=gaps.__getitem__)
        worst_gaps.append(f"{gaps[worst]:.0f} ms at {frames[worst] - t0:.0f} ms")
        if gaps[worst] < 100:
            break
    else:
        pytest.fail(f"the page froze during the task: the longest gap between frames in each run: {worst_gaps}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "backend_page.png"))

    click(driver, "many")
    counts = result(driver, "many", 60).split()
    primes = [sum(1 for n in range(2, lim) if all(n % f for f in range(2, int(n**0.5) + 1))) for lim in range(100, 150)]
    assert counts == [str(p) for p in primes]
