"""The real wheel, installed by micropip by name from a local index."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
def _check_installed(selenium):
    from importlib import metadata, resources

    import pywebworker

    assert pywebworker.__version__ == "0.1.0"
    assert metadata.version("pywebworker") == "0.1.0"
    assert metadata.distribution("pywebworker").read_text("INSTALLER").strip() == "micropip"
    files = resources.files("pywebworker")
    wasm = files.joinpath("_core.wasm").read_bytes()
    assert wasm[:4] == b"\0asm"  # its size budget is checked where it is built (mk/core.mk)
    import json

    names = {p.name for p in files.joinpath("js").iterdir()}
    manifest = json.loads(files.joinpath("js", "manifest.json").read_text())
    listed = {name for bundle in manifest.values() for name in bundle}
    assert {"host.js", "core.js", "protocol.js", "pyworker.js"} <= listed <= names  # every bundle's files shipped
    import pytest

    from pywebworker.worker import JsWorker, PyWorker, Worker  # the 0.0.6 import path

    # In 0.0.6 this PyWorker ran JavaScript; it still does, with a warning.
    assert Worker is JsWorker and issubclass(PyWorker, JsWorker)
    with pytest.warns(DeprecationWarning, match="runs JavaScript"):
        w = PyWorker("onmessage = (e) => postMessage(e.data)")
    assert w.state == "created"


def test_wheel_installs_by_name(selenium_pyww):
    _check_installed(selenium_pyww)


@run_in_pyodide
def test_parent_outside_a_worker(selenium_pyww):
    import pytest

    from pywebworker import WorkerStateError, parent

    with pytest.raises(WorkerStateError, match="only available inside a PyWorker"):
        parent.send_message("x")
    with pytest.raises(WorkerStateError, match="only available inside a PyWorker"):
        parent.on_message = print
    assert parent.on_message is None  # the failed assignment left nothing behind
