"""The demo page (examples/web/) in headless Chromium: frames keep coming while a
PyWorker computes, progress arrives, kill stops it; saves a screenshot under
tests/artifacts/.

Its own Chromium (tools/chromium_launcher.py, the flags the tests use) and its own local server
(examples/web/serve.py), so it runs offline. Runs when ``--rt`` includes chrome, on the
Pyodide dist dir of this session (PYWW_PYODIDE). No assertion on times other than the
one the page promises: no animation frame gap of 100 ms or more.
"""
from __future__ import annotations

import time

import pytest
from example_pages import example_page, screenshot
from example_pages import wait_for as wait_until_page


def wait_for(driver, script: str, timeout: float, what: str):
    return wait_until_page(driver, script, timeout, what, error_js="return window.demo && window.demo.error",
                           shown_js="return document.getElementById('status').textContent")


@pytest.fixture
def demo_page(request):
    with example_page(request, "index.html", "limit=3000000&chunk=40000") as driver:
        wait_for(driver, "return window.demo && window.demo.ready", 60, "Pyodide on the page")
        yield driver


def test_demo_page_stays_responsive_and_kill_stops(demo_page):
    driver = demo_page
    driver.find_element("id", "start").click()
    wait_for(driver, "return window.demo.progress.length >= 3", 60, "three progress messages")
    t_from = driver.execute_script("return performance.now()")
    wait_for(driver, "return window.demo.progress.length >= 8", 30, "eight progress messages")
    done = driver.execute_script("return window.demo.progress.slice()")
    assert done == sorted(done) and done[0] > 0, done

    # Frames during the computation: every gap under 100 ms, and frames kept coming.
    frames = driver.execute_script("return window.demo.frames.filter((t) => t >= arguments[0])", t_from)
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    assert len(frames) > 10, f"only {len(frames)} frames while the worker computed"
    assert max(gaps) < 100, f"the page froze: a {max(gaps):.0f} ms gap between frames"

    screenshot(driver, "demo_page.png")

    driver.find_element("id", "kill").click()
    wait_for(driver, "return window.demo.killed", 10, "kill")
    assert "killed" in driver.execute_script("return window.demo.status")
    n = driver.execute_script("return window.demo.progress.length")
    assert n < 3000000 // 40000 + 1, "the worker finished before it could be killed"
    time.sleep(1.5)  # a worker still running would send a message every few ms
    assert driver.execute_script("return window.demo.progress.length") == n
    assert driver.execute_script("return window.demo.frames.length") > len(frames)
    screenshot(driver, "demo_page_killed.png")
