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

import pytest
from example_pages import example_page, screenshot
from example_pages import wait_for as wait_until_page


def wait_for(driver, script: str, timeout: float, what: str):
    return wait_until_page(driver, script, timeout, what, error_js="return window.page && window.page.error",
                           shown_js="return document.getElementById('out').textContent")


def click(driver, button: str) -> None:
    driver.find_element("id", button).click()


@pytest.fixture
def backend_page(request):
    with example_page(request, "backend.html") as driver:
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
    screenshot(driver, "backend_page.png")

    click(driver, "many")
    counts = result(driver, "many", 60).split()
    primes = [sum(1 for n in range(2, lim) if all(n % f for f in range(2, int(n**0.5) + 1))) for lim in range(100, 150)]
    assert counts == [str(p) for p in primes]
