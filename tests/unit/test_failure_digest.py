"""tools/failure_digest.py: the tail of a failed `make test-py` names the failing tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "failure_digest", Path(__file__).parents[2] / "tools" / "failure_digest.py"
)
assert _spec and _spec.loader
digest_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(digest_mod)


def test_summary_lines_first_then_reasons_and_a_dead_node() -> None:
    log = [
        "tests/py/test_a.py ..E.",
        "______ ERROR at setup of test_x[node] ______",
        "E   pexpect.exceptions.EOF: End Of File (EOF).",
        "before (last 100 chars): b'Uncaught TypeError: boom'",
        "some captured log line",
        "ERROR tests/py/test_a.py::test_x[node] - pexpect.exceptions.EOF: End Of File",
        "FAILED tests/py/test_b.py::test_y[chrome] - AssertionError",
    ]
    out = digest_mod.digest(log)
    assert out[:2] == [log[5], log[6]]
    assert log[2] in out and log[3] in out and log[1] in out
    assert "some captured log line" not in out and "tests/py/test_a.py ..E." not in out


def test_long_lines_are_cut_and_the_digest_is_bounded() -> None:
    log = ["E   " + "x" * 1000] * 500
    out = digest_mod.digest(log, limit=10)
    assert len(out) == 10 and all(len(ln) == 300 for ln in out)
