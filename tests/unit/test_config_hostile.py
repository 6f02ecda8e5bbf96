"""``config=`` given hostile values (pywebworker/_config.py), under plain CPython: each
is refused with ``ValueError`` naming the key before anything starts, instead of a
``TypeError`` from inside the checks or a start that fails later in the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fakejs import FakeRuntime

from pywebworker import WorkerPool, WorkerStartError, WorkerStateError
from pywebworker._config import load

Run = Callable[[Awaitable[Any]], Any]


async def _pool_watches_done() -> None:
    """Wait for the pool's watches of its workers' starts (WorkerPool._until_ready)."""
    await asyncio.gather(*(t for t in asyncio.all_tasks() if "_until_ready" in t.get_coro().__qualname__))


@pytest.mark.parametrize(
    ("config", "words"),
    [
        # Keys that are not strings (a dict from Python; JSON and TOML keys are strings).
        ({"env": {1: "a"}}, ["'env'", "1", "name"]),
        ({"files": {1: "a.txt"}}, ["'files'", "1", "URL"]),
        # What the worker cannot encode (Python's os.environ and file names are UTF-8):
        # refused here, not a UnicodeEncodeError at start or a mangled path.
        ({"env": {"A": "\ud800"}}, ["'env'", "'A'", "surrogate"]),
        ({"env": {"\udc80": "x"}}, ["'env'", "surrogate"]),
        ({"cwd": "/\ud800"}, ["'cwd'", "surrogate"]),
        ({"files": {"https://x.test/a.txt": "./\ud800.txt"}}, ["'files'", "surrogate"]),
        # An empty URL would fetch the page itself (in Node: read '' and fail).
        ({"files": {"": "a.txt"}}, ["'files'", "empty URL"]),
    ],
)
def test_a_hostile_value_raises_value_error_naming_the_key(config: Any, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        load(config)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_argv_may_hold_anything_python_can() -> None:
    config = load({"argv": ["\ud800", "a\0b", ""]})
    assert not isinstance(config, str) and config.argv == ["\ud800", "a\0b", ""]


@pytest.mark.parametrize("url", ["config.json#top", "https://x.test/c.toml?v=1#x", "./c.json#"])
def test_a_url_with_a_fragment_is_a_url(url: str) -> None:
    assert load(url) == url


def test_a_pool_whose_config_fails_says_why_and_retries_nothing(
    rt: FakeRuntime, run: Run, loop: asyncio.AbstractEventLoop
) -> None:
    """One worker fails its start (a config file 404s) while the other still starts:
    the pool stops both, and every later use names the first failure, not the kill
    of the other worker that the pool itself made."""
    pool = WorkerPool(2, config={"files": {"https://x.test/missing.txt": "./"}})
    first, second = pool.workers
    rt.port(second).say("failed", error={"name": "OSError", "message": "could not fetch missing.txt: HTTP 404"})
    with pytest.raises(WorkerStartError, match="HTTP 404"):
        run(pool.ready())
    run(_pool_watches_done())  # the pool's own watch of the first worker has seen its kill
    assert first.state == "killed" and pool.replaced == 0
    with pytest.raises(WorkerStateError, match="its workers: OSError: could not fetch missing.txt: HTTP 404"):
        pool.submit(len, "abc")
    with pytest.raises(WorkerStartError, match="HTTP 404"):
        run(pool.ready())
