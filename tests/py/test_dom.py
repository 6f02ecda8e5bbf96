"""The host's window and document from a PyWorker (`parent.window`, `parent.document`,
pywebworker/_dom.py and js/host_dom.js) over the shared-memory channel: on a cross-origin
isolated Chromium page (the page, checked from the test, shows what the worker wrote),
in Node (window is globalThis, no document), with Pyodide inside a worker of an isolated
page (window is that worker's scope, no document), and on a page without isolation."""

import pytest
from pytest_pyodide import run_in_pyodide

DOM_PY = '''
import gc
from pywebworker import HostProxy, RemoteError, SharedMemoryError, parent

def page():
    doc = parent.document
    out = {"title": doc.title, "same": parent.window.document == doc}
    doc.title = "set by the worker"
    el = doc.getElementById("pww-out")
    el.textContent = "written by the worker"
    el.setAttribute("data-x", "1")
    ps = doc.querySelectorAll("p.pww")
    out["len"] = len(ps)
    out["texts"] = [p.textContent for p in ps]
    out["last"] = ps[-1].textContent
    try:
        ps[5]
    except IndexError as e:
        out["index"] = str(e)
    new = doc.createElement("p")
    new.className = "pww"
    new.textContent = "appended"
    doc.body.appendChild(new)
    out["after"] = [len(doc.querySelectorAll("p.pww")), doc.querySelectorAll("p.pww")[-1] == new]
    out["types"] = [type(doc).__name__, repr(el).split()[1], str(el)]
    out["copied"] = [el.dataset.x, doc.body.childElementCount > 0, parent.window.Array.of(1, "a", None)]
    errors = out["errors"] = {}
    try:
        doc.nope()
    except AttributeError as e:
        errors["missing"] = str(e)
    try:
        doc.querySelector("!!")
    except RemoteError as e:
        errors["js"] = [e.remote_type, e.remote_message]
    try:
        doc.body.appendChild(5)
    except RemoteError as e:
        errors["arg"] = e.remote_type
    try:
        doc.addEventListener("click", lambda ev: None)
    except TypeError as e:
        errors["listener"] = str(e)
    return out

def common():
    w = parent.window
    s = w.Set.new(["a", "b"])
    date = w.Date.new(0)
    return {"set": ["a" in s, "z" in s, len(s)], "date": date.toISOString(), "date_type": repr(date).split()[1],
            "globalThis": w.globalThis == w, "nan": str(w.NaN), "big": w.BigInt(str(2**60)) + 1}

held = []

def hold(n):
    date = parent.window.Date
    held.extend(date.new(i) for i in range(n))
    del date
    parent.window.NaN  # a request: it carries the release of `date`
    return len(held)

def drop():
    held.clear()
    gc.collect()

def no_page():
    try:
        parent.document
    except AttributeError as e:
        return [str(e), str(parent.window)]

def no_shm():
    try:
        return parent.window.Array.of(1, 2)  # with JSPI it blocks instead
    except SharedMemoryError as e:
        return str(e)

__export__ = ["page", "common", "hold", "drop", "no_page", "no_shm"]
'''


def pytest_generate_tests(metafunc):
    if "dom_py" in metafunc.fixturenames:
        metafunc.parametrize("dom_py", [DOM_PY], ids=["py"])


@run_in_pyodide
async def test_page_handles_release_and_kill(selenium_isolated, dom_py):
    from pyodide_waits import wait_until

    import js
    from pywebworker import PyWorker

    node = not hasattr(js, "document")
    w = PyWorker(dom_py)
    w.start()
    await w.ready(timeout=60)
    count = lambda: w._port.js.domHandles(w._port.id)  # noqa: E731, SLF001 - the host's table (internal)

    if not node:
        document = js.document
        div = document.createElement("div")
        div.id = "pww-out"
        document.body.appendChild(div)
        for text in ("one", "two"):
            p = document.createElement("p")
            p.className = "pww"
            p.textContent = text
            document.body.appendChild(p)
        document.title = "page title"
        out = await w.exports.page(timeout=60)
        assert out["title"] == "page title" and out["same"] is True
        # Checked on the page, not by the worker.
        assert document.title == "set by the worker"
        assert div.textContent == "written by the worker" and div.getAttribute("data-x") == "1"
        assert out["len"] == 2 and out["texts"] == ["one", "two"] and out["last"] == "two"
        assert "index 5 out of range" in out["index"]
        assert [p.textContent for p in document.querySelectorAll("p.pww")] == ["one", "two", "appended"]
        assert out["after"] == [3, True]
        assert out["types"] == ["HostProxy", "HTMLDivElement", "[object HTMLDivElement]"]
        assert out["copied"] == ["1", True, [1, "a", None]]
        errors = out["errors"]
        assert "has no attribute 'nope'" in errors["missing"]
        assert errors["js"][0] == "SyntaxError" and "!!" in errors["js"][1]
        assert errors["arg"] == "TypeError"
        assert "Python callable" in errors["listener"]
        for el in list(document.querySelectorAll("p.pww")) + [div]:
            el.remove()
    else:
        where, window = await w.exports.no_page(timeout=60)
        assert "Node" in where and "globalThis" in where and window.startswith("[object ")

    out = await w.exports.common(timeout=60)
    assert out == {"set": [True, False, 2], "date": "1970-01-01T00:00:00.000Z", "date_type": "Date",
                   "globalThis": True, "nan": "nan", "big": 2**60 + 1}
    # Dropped proxies are released on the host (a message soon after, nothing else
    # asked): what is left is window, and document where it was asked for; a kill
    # empties the worker's table.
    base = 1 if node else 2
    await w.exports.drop()
    await wait_until(lambda: count() == base, what="the host objects of page() and common() released")
    assert await w.exports.hold(50) == 50
    assert count() == base + 50
    await w.exports.drop()
    await wait_until(lambda: count() == base, what="the 50 host objects released")
    assert await w.exports.hold(20) == 20 and count() == base + 20
    w.kill()
    assert count() == 0


@run_in_pyodide
async def test_host_in_a_worker(selenium_isolated_worker, dom_py, browser_only):
    # Pyodide inside a worker of an isolated page (a JupyterLite kernel): window is
    # that worker's global scope, and there is no document. (Node: test above.)
    from pywebworker import PyWorker

    w = PyWorker(dom_py)
    with w.start():
        where, window = await w.call("no_page", timeout=60)
    assert "runs in a worker" in where and "global scope, self" in where
    assert window == "[object DedicatedWorkerGlobalScope]"


@run_in_pyodide
async def test_without_shared_memory(selenium_pyww, dom_py, browser_only):
    # A page without COOP/COEP: a clear error, naming both ways out; with JSPI (Chromium
    # 137+) the worker blocks with it instead (tests/py/test_sync_jspi.py).
    from pywebworker import PyWorker
    from pywebworker._blocking import jspi_supported

    w = PyWorker(dom_py)
    with w.start():
        error = await w.call("no_shm", timeout=60)
    if jspi_supported():
        assert error == [1, 2]
        return
    assert "crossOriginIsolated is false" in error and "Cross-Origin-Embedder-Policy: require-corp" in error
    assert "JSPI" in error


@pytest.fixture
def browser_only(runtime):
    if runtime == "node":
        pytest.skip("Node: no page, and always shared memory (test_page_handles_release_and_kill covers Node)")
