"""Print a short digest of a failed pytest run's log: each failing or erroring test's id and
the lines that say why (the exception line, and for a Node runner that died, what it printed
last: pexpect's ``before`` buffer).  `make test-py` prints it last, so the tail of a CI log
names the failure even when the log is cut.

Usage: python3 tools/failure_digest.py LOG
"""

from __future__ import annotations

import re
import sys

WHY = re.compile(r"^(E  |FAILED |ERROR |_{3,} .* _{3,}$|before \(last|buffer \(last)")


def digest(lines: list[str], limit: int = 60) -> list[str]:
    """The summary lines (FAILED/ERROR ids) and the reasons, at most `limit` lines of 300 chars."""
    out = [ln for ln in lines if WHY.match(ln)]
    summary = [ln for ln in out if ln.startswith(("FAILED ", "ERROR "))]
    rest = [ln for ln in out if ln not in summary]
    picked = summary + rest[: max(0, limit - len(summary))]
    return [ln[:300] for ln in picked]


def main() -> int:
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    print(f"=== digest of {sys.argv[1]}:")
    for ln in digest(lines):
        print("   ", ln)
    return 0


if __name__ == "__main__":
    sys.exit(main())
