"""A PyScript page (npm ``@pyscript/core``) that uses pywebworker's named workers, in
headless Chromium, offline.

The page loads PyScript's ``dist/core.js`` and ``core.css`` from ``node_modules``; its
``<script type="py">`` config points ``interpreter`` at the local ``pyodide.mjs`` of this
session's Pyodide (PYWW_PYODIDE) and lists ``pywebworker`` under ``packages`` with the
test index under ``index_urls``, so PyScript's micropip installs the built wheel by name.
The script then starts a named Pyodide worker with ``create_named_worker`` from a script
URL relative to the page, finds it with ``await workers[...]``, exchanges messages and a
call, does the same with a named MicroPython worker (``type="mpy"``, MicroPython from the
wheel), and writes what it got into the page, which the test reads. Every URL the page
fetched must be local (PyScript's defaults point at cdn.jsdelivr.net).

Its own Chromium (tools/chromium_launcher.py) and server (examples/web/serve.py over a
temporary directory that links PyScript's dist and the Pyodide dist dir); runs when
``--rt`` includes chrome.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web")]
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402

PYSCRIPT_DIST = ROOT / "node_modules" / "@pyscript" / "core" / "dist"

CALC_PY = """\
from pywebworker import parent

def add(a, b):
    return a + b

__export__ = ["add"]
parent.on_message = lambda m: parent.send_message(m.read().upper())
"""

# The page's Python, as a PyScript user writes it (top-level await is allowed).
MAIN_PY = """\
import asyncio
import json
import traceback

import pyodide
from pyscript import document

out = document.getElementById("result")
try:
    from pywebworker import create_named_worker, workers

    early = asyncio.ensure_future(workers["calc"])     # looked up before it exists
    calc = await create_named_worker(src="./calc.py", name="calc")
    found = await early
    calc.send_message("hello")
    result = {
        "same": found is calc,
        "url": calc.url,
        "echo": (await calc.receive(timeout=30)).read(),
        "add": await found.exports.add(2, 3),
        "names": list(workers),
        "pyodide": pyodide.__version__,
    }
    # A named MicroPython worker on the same page, running the same script.
    mpy = await create_named_worker(src="./calc.py", name="mpy-calc", type="mpy")
    result["mpy_add"] = await (await workers["mpy-calc"]).exports.add(2, 3)
    mpy.send_message("micro")
    result["mpy_echo"] = (await mpy.receive(timeout=30)).read()
    result["names"] = list(workers)
    mpy.kill()
    calc.kill()
    result["after_kill"] = list(workers)
    out.textContent = json.dumps(result)
except BaseException:
    out.dataset.error = traceback.format_exc()
"""

PAGE = """\
<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>pywebworker on a PyScript page</title>
  <link rel="stylesheet" href="./pyscript/core.css">
  <script type="module" src="./pyscript/core.js"></script>
</head>
<body>
  <pre id="result"></pre>
  <script type="py" config='{config}'>
{main}
  </script>
</body>
</html>
"""


def wait_for(driver, script: str, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        error = driver.execute_script("return document.getElementById('result')?.dataset.error")
        if error:
            pytest.fail(f"the page's Python failed:\n{error}")
        time.sleep(0.1)
    log = "\n".join(str(e.get("message")) for e in driver.get_log("browser"))
    pytest.fail(f"timed out after {timeout} s waiting for {what}; browser log:\n{log}")


@pytest.fixture
def pyscript_page(request, tmp_path: Path):
    if "chrome" not in str(request.config.option.runtime):
        pytest.skip("the PyScript page test runs with --rt chrome")
    if not (PYSCRIPT_DIST / "core.js").exists():
        pytest.skip("no node_modules/@pyscript/core: npm ci")
    pyww_index_url = request.getfixturevalue("pyww_index_url")
    dist = Path(request.config.option.dist_dir).resolve()
    (tmp_path / "pyscript").symlink_to(PYSCRIPT_DIST, target_is_directory=True)
    (tmp_path / "pyodide").symlink_to(dist, target_is_directory=True)
    (tmp_path / "calc.py").write_text(CALC_PY)
    config = {"interpreter": "./pyodide/pyodide.mjs", "packages": ["pywebworker"], "index_urls": [pyww_index_url]}
    page = PAGE.format(config=json.dumps(config), main=MAIN_PY)
    (tmp_path / "index.html").write_text(page)
    with serve(root=tmp_path) as base, chromium(logging=True) as driver:
        driver.get(f"{base}/index.html")
        yield base, pyww_index_url, driver


def test_named_worker_on_a_pyscript_page(pyscript_page, pyodide_version):
    base, index, driver = pyscript_page
    text = wait_for(driver, "return document.getElementById('result').textContent", 120, "the page's result")
    result = json.loads(text)
    assert result == {
        "same": True, "url": "./calc.py", "echo": "HELLO", "add": 5, "names": ["calc", "mpy-calc"], "after_kill": [],
        "mpy_add": 5, "mpy_echo": "MICRO",
        "pyodide": pyodide_version,  # PyScript ran the local Pyodide, not its default (314.0.2 from a CDN)
    }
    # Nothing came from the network: every resource the page fetched is local, and no
    # request (from the page or a worker) failed on the way out (offline: it would).
    local = (base + "/", index + "/")
    fetched = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert base + "/pyodide/pyodide.mjs" in fetched
    assert [u for u in fetched if not u.startswith(local)] == []
    network = [str(e["message"]) for e in driver.get_log("browser") if e.get("source") == "network"]
    assert [m for m in network if not m.startswith(local)] == []

