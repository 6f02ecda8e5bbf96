"""Smoke tests for the offline test infrastructure itself (not for pywebworker).

Proves, for the Pyodide version of this run and each --rt runtime:
run_in_pyodide works; micropip loads offline from the dist dir; micropip
installs a wheel *by name* from the local index; and (chrome) Pyodide runs
inside a module Web Worker.
"""
import hashlib

import pytest
from pytest_pyodide import run_in_pyodide
from wheels import build_wheel

DUMMY = "pyww-dummy"
DUMMY_VERSION = "0.1.0"


@pytest.fixture(scope="session")
def dummy_index_url(serve_wheels, tmp_path_factory):
    d = tmp_path_factory.mktemp("wheels")
    build_wheel(d, DUMMY, DUMMY_VERSION)
    return serve_wheels(d)


def test_local_index_host(dummy_index_url):
    """The index answers micropip's request (PEP 691 JSON preferred) with PEP 503 HTML and
    CORS; the link's sha256 is the wheel's."""
    import re
    import urllib.request
    from urllib.parse import urljoin

    page = f"{dummy_index_url}/pyww-dummy/"
    req = urllib.request.Request(page, headers={"Accept": "application/vnd.pypi.simple.v1+json, */*;q=0.01"})
    with urllib.request.urlopen(req) as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers.get_content_type() == "text/html"
        href, digest = re.search(r'href="([^"#]+)#sha256=([0-9a-f]{64})"', r.read().decode()).groups()
    assert href == "pyww_dummy-0.1.0-py3-none-any.whl"
    with urllib.request.urlopen(urljoin(page, href)) as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert hashlib.sha256(r.read()).hexdigest() == digest


@run_in_pyodide
def test_run_in_pyodide(selenium, pyodide_version):
    import sys

    want = {"314.0.7": (3, 14), "0.29.3": (3, 13)}[pyodide_version]
    assert sys.platform == "emscripten"
    assert sys.version_info[:2] == want


@run_in_pyodide(packages=["micropip"])
def test_micropip_loads_offline(selenium):
    import micropip

    assert micropip.__version__.startswith("0.11")


@run_in_pyodide(packages=["micropip"])
async def test_micropip_install_by_name(selenium_standalone, dummy_index_url):
    import micropip

    await micropip.install("pyww-dummy", index_urls=[dummy_index_url])
    import pyww_dummy

    assert pyww_dummy.VALUE == 42


@run_in_pyodide(packages=["micropip"])
async def test_in_module_worker(selenium_worker, dummy_index_url):
    # Runs inside a module Worker (pytest-pyodide's BrowserWorkerChromeRunner):
    # no DOM, `js` is the worker's global scope.
    import js

    assert not hasattr(js, "window") and not hasattr(js, "document")
    assert hasattr(js, "WorkerGlobalScope")
    import micropip

    await micropip.install("pyww-dummy", index_urls=[dummy_index_url])
    import pyww_dummy

    assert pyww_dummy.VALUE == 42
