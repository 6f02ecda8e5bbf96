"""``config=`` given hostile values (pywebworker/_config.py), under plain CPython: each
is refused with ``ValueError`` naming the key before anything starts, instead of a
``TypeError`` from inside the checks or a start that fails later in the worker."""

from __future__ import annotations

from typing import Any

import pytest

from pywebworker._config import load


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
