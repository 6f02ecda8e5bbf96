"""The JupyterLite site of `make lite` in headless Chromium: each notebook of
examples/notebooks/ opened, its cells run one at a time as a user runs them (Shift+Enter),
each code cell's output read from the page's DOM.

What it shows: `%pip install pywebworker` finds the site's wheel by name; a JsWorker's and a
PyWorker's replies wait between cells (the cell that reads them has no `await`); a PyWorker's
`print` reaches the notebook, also after its cell finished; a PyWorker whose script raises
fails its start with the worker's traceback; calls, `packages=`, a pool's `map`.

The site must work offline: its kernel has `disablePyPIFallback` (tools/make_lite.py), and
this Chromium resolves no host but 127.0.0.1, so anything fetched from elsewhere fails the test.
The site carries its own Pyodide (LITE_PYODIDE), so the test runs once, in that version's
session, with `--rt` including chrome. It builds the site (`make lite`) when it is missing or
holds another wheel than dist/'s newest. One Chromium, one server, one kernel per notebook
(opening the next notebook unloads the page and its kernel): about a minute in all.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "build" / "lite"
NOTEBOOKS = ROOT / "examples" / "notebooks"
ARTIFACTS = ROOT / "tests" / "artifacts"
LITE_PYODIDE = "314.0.7"  # mk/lite.mk LITE_PYODIDE, the npm Pyodide the site carries
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import newest_wheel, serve  # noqa: E402

# Every code cell of each notebook, in order: patterns (re.MULTILINE) its output must all
# match. A cell counts as done when its prompt shows a number and they all match (stdout can
# render after the prompt does; a worker's late print is waited for the same way).
EXPECTED: dict[str, list[list[str]]] = {
    "quickstart.ipynb": [
        [],  # %pip install pywebworker: silent when it works
        [r"^sent 2 messages to \S+$"],
        [
            r"^worker: hello from a PyWorker$",
            r"^worker ready: running$",
            # The progress line of ready() (pywebworker/_display.py), as its summary.
            r"^✓ squares ready in \d+(\.\d+)? s",
            # The worker prints this after sending its reply, on the same channel: once it is
            # here the reply is in the queue, and the next cell reads it without awaiting.
            r"^worker: sent the sum of 1000000 squares$",
        ],
        [
            r"^echo replied: \['hello', \{'numbers': \[1, 2, 3\]\}\]$",
            r"^squares replied: 333332833333500000$",
            r"^unread left: False False$",
        ],
        [
            r"^JavaScript worker \S+",  # display(echo): its HTML table, as text
            r"^received / unread\s+2 / 0$",
            r"^sent / undelivered\s+2 / 0$",
            r"^index\s+kind\s+bytes\s+opened\s+received\s+preview",  # messages_table
            r"'hello'",
        ],
        [
            r"^✗ broken failed to start after \d+(\.\d+)? s",
            r"^ValueError \| no settings here$",
            r"^Traceback \(most recent call last\):$",
            r'^  File "/worker/broken\.py", line 5, in <module>$',
            r'^  File "/worker/broken\.py", line 3, in load_settings$',
            r'^    raise ValueError\("no settings here"\)$',
            r"^ValueError: no settings here$",
        ],
        [r"^undelivered: 0 0 \| states: killed killed failed$"],
    ],
    "packages_and_calls.ipynb": [
        [],
        [r'^<span class="k">def</span>.* \.\.\.$'],
        [r"^print\('hello'\)$"],  # IPython.display.HTML: rendered, so only the text
        [r"^ValueError no$", r"^undelivered: 0$"],
    ],
    "pool_map.ipynb": [
        [],
        [r"^longest chain below 10 000: 261 steps$"],
        [r"^True$", r"^<WorkerPool 'pool' closed size=2 busy=0 queued=0 done=\d+ failed=0>$"],
    ],
    # Issue 24: blocking calls in cells (JSPI), the site served without COOP/COEP.
    "synchronous.ipynb": [
        [],
        [r"^longest chain below 10 000: 261 steps$", r"^as completed: \[1024, 1048576\]$"],
        [r"^Pool.map: \[111, 118\]$", r"^raised in the worker: ValueError \| RemoteTraceback$"],
    ],
}
# Seconds per cell: the first code cell also waits for the kernel (Pyodide, IPython) to start.
CELL_TIMEOUT = 120.0

# Cells as the page shows them: kind, active, input prompt ("[*]:" while running, "[3]:"
# when done), output text, and whether any output is an error or stderr.
CELLS_JS = """
return [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map((c) => ({
  code: c.classList.contains('jp-CodeCell'),
  active: c.classList.contains('jp-mod-active'),
  prompt: ((c.querySelector('.jp-InputPrompt') || {}).textContent || '').trim(),
  output: (c.querySelector('.jp-OutputArea') || {}).innerText || '',
  error: !!c.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],'
    + ' .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'),
}));
"""


def site_is_current() -> bool:
    """Whether build/lite/ exists and serves dist/'s newest wheel (byte for byte)."""
    served = sorted((SITE / "pypi").glob("pywebworker-*.whl"))
    if not (SITE / "jupyter-lite.json").exists() or not served:
        return False
    return served[-1].read_bytes() == newest_wheel().read_bytes()


@pytest.fixture(scope="module")
def lite_browser(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    if "chrome" not in str(request.config.option.runtime):
        pytest.skip("the JupyterLite site test runs with --rt chrome")
    version = Path(request.config.option.dist_dir).name
    if version != LITE_PYODIDE:
        pytest.skip(f"the JupyterLite site carries its own Pyodide {LITE_PYODIDE}: "
                    f"tested once, in that version's session (this one is {version})")
    if not site_is_current():
        subprocess.run(["make", "--no-print-directory", "lite"], cwd=ROOT, check=True)
    # Only 127.0.0.1 resolves: the site must not need the network.
    offline = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
    with serve(root=SITE) as base, chromium(offline, width=1200, height=900, logging=True) as driver:
        yield base, driver


def page_failure(driver: Any, what: str, cells: list[dict[str, Any]] | None = None) -> str:
    """A failure message: what, the cells' prompts and outputs, the console's last lines."""
    lines = [what]
    for i, cell in enumerate(cells or driver.execute_script(CELLS_JS)):
        if cell["code"]:
            lines.append(f"--- cell {i} {cell['prompt']}\n{cell['output']}")
    logs = [entry["message"] for entry in driver.get_log("browser")
            if "default shortcut" not in entry["message"]]
    lines.append("--- browser console (last 30 lines)\n" + "\n".join(logs[-30:]))
    return "\n".join(lines)


def wait_cells(driver: Any, predicate: Any, timeout: float, what: str) -> list[dict[str, Any]]:
    """Poll the notebook's cells until ``predicate(cells)`` holds; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        cells = driver.execute_script(CELLS_JS)
        if predicate(cells):
            return cells
        if time.monotonic() > deadline:
            pytest.fail(page_failure(driver, f"timed out after {timeout} s waiting for {what}", cells))
        time.sleep(0.1)


def shift_enter(driver: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()


def active(cells: list[dict[str, Any]]) -> int:
    return next((i for i, c in enumerate(cells) if c["active"]), -1)


@pytest.mark.parametrize("notebook", list(EXPECTED))
def test_notebook_cell_by_cell(lite_browser: tuple[str, Any], notebook: str) -> None:
    from selenium.webdriver.common.keys import Keys

    base, driver = lite_browser
    source = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    expected = iter(EXPECTED[notebook])
    assert sum(c["cell_type"] == "code" for c in source) == len(EXPECTED[notebook]), \
        f"{notebook}: its code cells and EXPECTED disagree"
    driver.get(f"{base}/notebooks/index.html?path={notebook}")
    wait_cells(driver, lambda cells: len(cells) == len(source), 60, f"{notebook}'s {len(source)} cells")
    driver.find_elements("css selector", ".jp-Notebook .jp-Cell")[0].click()
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)  # command mode: Shift+Enter runs
    ran: list[int] = []
    for i, cell in enumerate(source):
        wait_cells(driver, lambda cells, i=i: active(cells) == i, 10, f"cell {i} to be the active one")
        shift_enter(driver)
        if cell["cell_type"] != "code":
            continue
        patterns = next(expected)

        def done(cells: list[dict[str, Any]], i: int = i, patterns: list[str] = patterns) -> bool:
            c = cells[i]
            return (re.fullmatch(r"\[\d+\]:", c["prompt"]) is not None
                    and all(re.search(p, c["output"], re.MULTILINE) for p in patterns))

        cells = wait_cells(driver, done, CELL_TIMEOUT, f"cell {i} of {notebook} to run and show {patterns}")
        if cells[i]["error"]:
            pytest.fail(page_failure(driver, f"cell {i} of {notebook} shows an error", cells))
        ran.append(int(cells[i]["prompt"][1:-2]))
    # One at a time, in order: execution counts 1, 2, 3, ...
    assert ran == list(range(1, len(ran) + 1)), ran
    if notebook == "quickstart.ipynb":
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "lite_quickstart.png"))
