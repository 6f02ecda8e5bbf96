"""Headless Chromium as this machine runs it, for the tests, the demo page and the benchmarks.

    sys.path.insert(0, str(ROOT / "tools"))
    from chromium_launcher import CHROMIUM_FLAGS, chromium

``CHROMIUM_FLAGS`` are also given to pytest-pyodide's own Chrome (tests/py/conftest.py).
The module is not called ``chromium``: bench/calls/run.py imports its own
bench/calls/chromium.py by that name.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# Debian's packages (tools/setup.sh installs them): the driver is patched to start this binary.
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Root, no outside network, no GPU: no sandbox, nothing that phones home, /tmp instead of a
# small /dev/shm.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@contextlib.contextmanager
def chromium(
    extra_flags: tuple[str, ...] = (), width: int = 1000, height: int = 700, *, logging: bool = False
) -> Iterator[Any]:
    """A selenium Chrome driver on Debian's Chromium, quit on exit.

    Parameters
    ----------
    extra_flags
        Command-line flags after ``CHROMIUM_FLAGS``.
    width, height
        Window size, in CSS pixels.
    logging
        Keep the page's console for ``driver.get_log("browser")``.

    Yields
    ------
    selenium.webdriver.Chrome
        The driver (typed ``Any``: selenium is imported only when a browser is wanted).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--window-size={width},{height}", *extra_flags]:
        opts.add_argument(flag)
    if logging:
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
