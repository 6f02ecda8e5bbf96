"""config= in real Pyodide: every key seen by the worker's script, configs fetched from
URLs (JSON, TOML), failures that fail the start, a pool and a warm start with a config.

The files a config fetches are served by a web server of pytest-pyodide (CORS-enabled,
as the worker of a page in Chromium needs); its URL is passed to each test."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_pyodide import run_in_pyodide
from pytest_pyodide.server import spawn_web_server


def _archive_files(root: Path) -> None:
    with zipfile.ZipFile(root / "zipped.zip", "w") as z:
        z.writestr("mod_zip/__init__.py", "VALUE = 'from zip'\n")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        data = b"VALUE = 'from tar'\n"
        info = tarfile.TarInfo("mod_tar.py")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    (root / "tarred.tar.gz").write_bytes(buf.getvalue())


@pytest.fixture(scope="module")
def files_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the server's URL, the served directory's path)"""
    root = tmp_path_factory.mktemp("config_files")
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "hello.txt").write_text("hello")
    (root / "data" / "sub" / "raw.bin").write_bytes(bytes(range(256)))
    _archive_files(root)
    (root / "conf").mkdir()
    # Relative URLs in a fetched config mean the config's URL (conf/), as in PyScript.
    (root / "conf" / "worker.json").write_text(json.dumps({
        "packages": ["packaging"], "files": {"../data/hello.txt": "./in/"},
        "env": {"FROM": "json"}, "argv": ["json-job"], "cwd": "/json", "plugins": ["!error"]}))
    (root / "conf" / "worker.toml").write_text(
        'packages = ["packaging"]\nargv = ["toml-job"]\n[env]\nFROM = "toml"\n[files]\n"../data/hello.txt" = "./"\n')
    (root / "conf" / "bad.json").write_text(json.dumps({"packages": [], "packges": ["x"]}))
    (root / "report.py").write_text(REPORT)
    with spawn_web_server(root) as (host, port, _log):
        yield f"http://{host}:{port}", str(root)


# What a configured worker's script reports about itself.
REPORT = """
import os, sys
from pywebworker import parent
found = {}
for path in ["in/hello.txt", "/abs/raw.bin", "lib/mod_zip/__init__.py", "lib/mod_tar.py", "hello.txt"]:
    if os.path.exists(path):
        with open(path, "rb") as f:
            found[path] = len(f.read())
try:
    import packaging
    has_packaging = True
except ImportError:
    has_packaging = False
sys.path.insert(0, "lib")
try:
    import mod_tar, mod_zip
    modules = [mod_zip.VALUE, mod_tar.VALUE]
except ImportError:
    modules = []
parent.send_message({"cwd": os.getcwd(), "argv": sys.argv, "env": os.environ.get("FROM"), "files": found,
                     "packaging": has_packaging, "modules": modules, "home": os.environ.get("HOME")})
"""


@run_in_pyodide
async def _every_key(selenium, base):
    import pytest

    from pywebworker import PyWorker, create_named_worker

    config = {
        "packages": ["packaging"],
        "files": {
            "{DATA}": f"{base}/data",
            "{DATA}/hello.txt": "./in/",           # a directory: the URL's file name is kept
            "{DATA}/sub/raw.bin": "/abs/raw.bin",  # an absolute path
            f"{base}/zipped.zip": "./lib/*",       # unpacked
            f"{base}/tarred.tar.gz": "./lib/*",
        },
        "env": {"FROM": "dict"},
        "argv": ["job", "--flag"],
        "cwd": "/work/here",  # made; relative destinations start here
    }
    # PyScript's create_named_worker passes config= to the PyWorker.
    w = await create_named_worker(src=f"{base}/report.py", name="configured", config=config)
    got = (await w.receive(timeout=60)).read()
    w.kill()
    assert [s for s, _ in w.stages] == ["loading", "installing", "files", "script"]
    assert got == {
        "cwd": "/work/here", "argv": ["job", "--flag"], "env": "dict", "packaging": True,
        "files": {"in/hello.txt": 5, "/abs/raw.bin": 256, "lib/mod_zip/__init__.py": 19, "lib/mod_tar.py": 19},
        "modules": ["from zip", "from tar"], "home": "/home/pyodide",  # the rest of os.environ stays
    }, got
    # Checked before anything starts: an unknown key, a wrong type, a PyScript key that
    # means nothing here.
    with pytest.raises(ValueError, match="unknown key 'packges'.*allowed: packages, files, env"):
        PyWorker("pass", config={"packges": ["numpy"]})
    with pytest.raises(ValueError, match="'env'.*'A'.*must be a string"):
        PyWorker("pass", config='{"env": {"A": 1}}')
    with pytest.raises(ValueError, match="does not support PyScript's 'js_modules'"):
        PyWorker("pass", config="js_modules = {}")


def test_every_key_reaches_the_script(selenium_pyww, files_url):
    _every_key(selenium_pyww, files_url[0])


@run_in_pyodide
async def _urls(selenium, base, root, report):
    import os

    import js
    from pywebworker import PyWorker, WorkerPool, prestart

    # A pool with a JSON config URL (in Node: a file path): every worker fetches and applies it.
    in_node = hasattr(js, "process") and not hasattr(js, "document")
    async with WorkerPool(1, config=f"{root if in_node else base}/conf/worker.json") as pool:
        assert await pool.submit(lambda: (os.getcwd(), os.environ["FROM"], open("in/hello.txt").read())) == (
            "/json", "json", "hello")
    # A warm start with a TOML config URL: the spare booted without it; the config's
    # packages are installed once it is taken, before its files and script.
    await prestart(1)
    w = PyWorker(report, config=f"{base}/conf/worker.toml").start()
    assert w.warm_start
    got = (await w.receive(timeout=60)).read()
    assert (got["argv"], got["env"], got["files"], got["packaging"]) == (
        ["toml-job"], "toml", {"hello.txt": 5}, True), got
    assert [s for s, _ in w.stages] == ["installing", "files", "script"]  # the config URL's packages, then files
    w.kill()
    await prestart(0)


def test_config_urls_pool_and_warm_start(selenium_pyww, files_url):
    _urls(selenium_pyww, *files_url, REPORT)


@run_in_pyodide
async def _failures(selenium, base):
    import pytest

    from pywebworker import PyWorker, WorkerStartError

    cases = [  # config, remote_type, words in the message
        ({"files": {f"{base}/data/missing.txt": "./"}}, "OSError", [f"{base}/data/missing.txt", "HTTP 404"]),
        (f"{base}/conf/missing.json", "OSError", [f"{base}/conf/missing.json", "HTTP 404"]),
        (f"{base}/conf/bad.json", "ValueError", [f"config {base}/conf/bad.json", "unknown key 'packges'"]),
    ]
    workers = [PyWorker("from pywebworker import parent\nparent.send_message('ran')", config=c).start()
               for c, _, _ in cases]
    for w, (config, remote_type, words) in zip(workers, cases, strict=True):
        with pytest.raises(WorkerStartError) as info:
            await w.ready(timeout=60)
        assert info.value.remote_type == remote_type, (config, info.value.remote_type, info.value.remote_message)
        for word in words:
            assert word in info.value.remote_message, (word, info.value.remote_message)
        assert w.state == "failed"
        assert [m.kind for m in w.get_unread_messages()] == ["error"]  # the failure; the script never ran


def test_failures_fail_the_start(selenium_pyww, files_url):
    _failures(selenium_pyww, files_url[0])
