"""``config=`` (pywebworker/_config.py): parsing and checking under plain CPython, and
what a PyWorker and a WorkerPool send the worker (the fake glue records it)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import PyWorker, WorkerPool
from pywebworker._config import CDN, WorkerConfig, check, from_text, load
from pywebworker._spares import key


def test_the_three_shapes_give_the_same_config() -> None:
    as_dict = {"packages": ["numpy", "pkg==1.0"], "env": {"A": "1"}, "argv": ["prog", "-v"], "cwd": "/work",
               "files": {"https://x.test/data.csv": "./data/"}}
    toml = """
packages = ["numpy", "pkg==1.0"]
argv = ["prog", "-v"]
cwd = "/work"
[env]
A = "1"
[files]
"https://x.test/data.csv" = "./data/"
"""
    expected = WorkerConfig(packages=["numpy", "pkg==1.0"], files=[("https://x.test/data.csv", "./data/data.csv")],
                            env={"A": "1"}, argv=["prog", "-v"], cwd="/work")
    assert load(as_dict) == expected
    assert load("  " + json.dumps(as_dict) + "\n") == expected
    assert load(toml) == expected
    assert load(expected) is expected


@pytest.mark.parametrize("url", ["config.json", "./a/pyscript.toml", "https://x.test/c.json?v=2", "/abs/c.TOML"])
def test_a_url_is_left_for_the_worker(url: str) -> None:
    assert load(url) == url


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"packges": ["numpy"]}, ["'packges'", "allowed: packages, files, env, argv, cwd, interpreter"]),
        ({"packages": "numpy"}, ["'packages'", "list of strings"]),
        ({"packages": ["numpy", 3]}, ["'packages'", "list of strings"]),
        ({"packages": [""]}, ["'packages'", "empty"]),
        ({"files": ["a.txt"]}, ["'files'", "table"]),
        ({"files": {"a.txt": 1}}, ["'files'", "'a.txt'", "string"]),
        ({"files": {"{B}/a.txt": "./"}}, ["'files'", "{B}", "not defined"]),
        ({"files": {"a/x.txt": "./d/", "b/x.txt": "./d/"}}, ["'files'", "./d/x.txt", "twice"]),
        ({"files": {"https://x.test/dir/": "./"}}, ["'files'", "no file name"]),
        ({"files": {"https://x.test/a.rar": "./d/*"}}, ["'files'", "a.rar", "archive"]),
        ({"env": ["A=1"]}, ["'env'", "table"]),
        ({"env": {"A": 1}}, ["'env'", "'A'", "string"]),
        ({"env": {"A=B": "1"}}, ["'env'", "'A=B'", "name"]),
        ({"argv": "prog"}, ["'argv'", "list of strings"]),
        ({"cwd": ""}, ["'cwd'", "path"]),
        ({"cwd": 5}, ["'cwd'", "path"]),
        ({"interpreter": "micropython"}, ["'interpreter'", "'micropython'"]),
        ({"js_modules": {"main": {}}}, ["does not support", "'js_modules'"]),
        ({"fetch": [{"from": "x"}]}, ["does not support", "'fetch'", "files"]),
        ('{"packages": [}', ["not valid JSON"]),
        ("packages = [", ["not valid TOML"]),
        ("[1, 2]", ["not valid TOML"]),
        ("https://x.test/config.yaml", [".json or .toml"]),
    ],
)
def test_a_bad_config_raises_value_error_naming_the_key(config: Any, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        load(config)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_a_json_config_that_is_not_an_object() -> None:
    with pytest.raises(ValueError, match="table of keys"):
        check([1, 2])
    with pytest.raises(TypeError, match="config must be"):
        load(5)  # type: ignore[arg-type]


def test_page_only_keys_are_ignored() -> None:
    config = {"plugins": ["!error"], "sync_main_only": True, "experimental_create_proxy": "auto",
              "experimental_ffi_timeout": 10, "packages_cache": "never", "argv": []}
    assert load(config) == WorkerConfig(argv=[])


def test_files_as_pyscript_reads_them() -> None:
    config = load({"files": {
        "{DOMAIN}": "https://x.test",
        "{FROM}": "{DOMAIN}/static",
        "{TO}": "./lib",
        "{FROM}/util.py": "{TO}/",
        "{FROM}/a.txt?v=3": "",
        "https://x.test/b.txt": "/abs/renamed.txt",
        "{DOMAIN}/pkg.tar.gz": "{TO}/pkg/*",
        "{DOMAIN}/more.zip": "{TO}/pkg/*",  # two archives may share a directory
    }})
    assert isinstance(config, WorkerConfig)
    assert config.files == [
        ("https://x.test/static/util.py", "./lib/util.py"),
        ("https://x.test/static/a.txt?v=3", "./a.txt"),
        ("https://x.test/b.txt", "/abs/renamed.txt"),
        ("https://x.test/pkg.tar.gz", "./lib/pkg/*"),
        ("https://x.test/more.zip", "./lib/pkg/*"),
    ]


@pytest.mark.parametrize(
    ("value", "index_url"),
    [
        ("0.29.3", CDN.format("0.29.3")),
        ("https://x.test/pyodide/v1/full/pyodide.mjs", "https://x.test/pyodide/v1/full/"),
        ("https://x.test/pyodide/", "https://x.test/pyodide/"),
        ("/static/pyodide/pyodide.mjs", "/static/pyodide/"),
    ],
)
def test_interpreter_is_an_index_url(value: str, index_url: str) -> None:
    config = load({"interpreter": value})
    assert isinstance(config, WorkerConfig) and config.index_url == index_url


def test_a_fetched_config_resolves_against_its_url() -> None:
    text = json.dumps({"packages": ["numpy", "wheels/a-1-py3-none-any.whl"],
                       "files": {"data/x.csv": "./", "https://y.test/z.txt": "z.txt"}})
    config = from_text(text, "https://x.test/app/conf/config.json")
    assert config.packages == ["numpy", "https://x.test/app/conf/wheels/a-1-py3-none-any.whl"]
    assert config.files == [("https://x.test/app/conf/data/x.csv", "./x.csv"), ("https://y.test/z.txt", "z.txt")]
    # TOML by the suffix of the path (a query after it is allowed); a Node path works too.
    assert from_text('argv = ["a"]', "https://x.test/c.toml?v=1").argv == ["a"]
    assert from_text('files = {"d.txt" = "./"}', "/srv/conf/c.toml").files == [("/srv/conf/d.txt", "./d.txt")]
    with pytest.raises(ValueError, match=r"config https://x\.test/c\.json: unknown key 'nope'"):
        from_text('{"nope": 1}', "https://x.test/c.json")
    with pytest.raises(ValueError, match=r"config https://x\.test/c\.json is not valid JSON"):
        from_text("nope = 1", "https://x.test/c.json")
    with pytest.raises(ValueError, match="'interpreter' cannot be given in a config URL"):
        from_text('interpreter = "0.29.3"', "https://x.test/c.toml")


def test_a_pyworker_sends_its_config(rt: FakeRuntime) -> None:
    w = PyWorker("pass", packages=["numpy", "attrs"], config={
        "packages": ["attrs", "wheels/b-1-py3-none-any.whl"],
        "files": {"data/x.csv": "./in/"}, "env": {"MODE": "test"}, "argv": ["job"], "cwd": "/work"})
    w.start()
    options = rt.port(w).started_with
    assert options.packages == ["numpy", "attrs", "https://app.test/lab/wheels/b-1-py3-none-any.whl"]  # type: ignore[union-attr]
    assert options.config == {  # type: ignore[union-attr]
        "url": None, "files": [["https://app.test/lab/data/x.csv", "./in/x.csv"]], "env": {"MODE": "test"},
        "argv": ["job"], "cwd": "/work"}
    # A URL: absolute here, fetched there.
    w = PyWorker("pass", config="conf/pyscript.toml")
    w.start()
    options = rt.port(w).started_with
    assert options.config == {"url": "https://app.test/lab/conf/pyscript.toml", "files": [], "env": None,  # type: ignore[union-attr]
                              "argv": None, "cwd": None}
    assert PyWorker("pass")._options().config is None  # noqa: SLF001 - no config: none sent


def test_interpreter_and_index_url(rt: FakeRuntime) -> None:
    w = PyWorker("pass", config={"interpreter": "https://x.test/py/pyodide.mjs"})
    assert w.index_url == "https://x.test/py/"
    assert PyWorker("pass", index_url="https://x.test/py/", config={"interpreter": "https://x.test/py/"}).index_url
    with pytest.raises(ValueError, match="interpreter"):
        PyWorker("pass", index_url="https://other.test/", config={"interpreter": "0.29.3"})


def test_the_spare_key_counts_the_config_packages(rt: FakeRuntime) -> None:
    plain = key(PyWorker("pass", packages=["numpy"])._options())  # noqa: SLF001
    assert key(PyWorker("pass", config={"packages": ["numpy"], "env": {"A": "1"}})._options()) == plain  # noqa: SLF001
    assert key(PyWorker("pass", config={"packages": ["attrs"]})._options()) != plain  # noqa: SLF001
    # A spare boots without the config: it comes with the script (`run`).
    assert PyWorker("pass", config={"argv": ["x"]})._options(spare=True).config is None  # noqa: SLF001


def test_a_bad_config_starts_nothing(rt: FakeRuntime, loop: asyncio.AbstractEventLoop) -> None:
    before = rt.host(None).count_workers()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'env'"):
        PyWorker("pass", config={"env": {"A": 1}})
    with pytest.raises(ValueError, match="'argv'"):
        WorkerPool(2, config={"argv": "x"})
    assert rt.host(None).count_workers() == before  # type: ignore[arg-type]


def test_every_worker_of_a_pool_gets_the_config(rt: FakeRuntime, loop: asyncio.AbstractEventLoop) -> None:
    pool = WorkerPool(2, packages=["numpy"], config='{"packages": ["attrs"], "env": {"A": "1"}}')
    started = [rt.port(slot.worker).started_with for slot in pool._slots]  # noqa: SLF001
    assert [o.packages for o in started] == [["numpy", "attrs"]] * 2  # type: ignore[union-attr]
    assert [o.config["env"] for o in started] == [{"A": "1"}] * 2  # type: ignore[union-attr,index]
    pool.kill()
