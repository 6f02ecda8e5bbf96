"""Generate the C core's constants for JavaScript and Python from csrc/pww.h.

pww.h is the one source of the error codes (PWW_ERRNO_MAP), the lifecycle states, the
worker kinds, the queue ids, the message kinds, the call counters and the default
limits. This script writes them, unchanged, into

    js/constants.js            a frozen `PWW_CORE` object (plain script text)
    pywebworker/_constants.py  module-level names

so that no layer retypes a number. Both outputs are committed (the wheel and the unit
tests need them without a C toolchain); `--check` fails when they are out of date, and
`make lint` runs it.

    python3 tools/gen_constants.py           # write both files
    python3 tools/gen_constants.py --check   # exit 1 if either differs
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "csrc" / "pww.h"
JS_OUT = ROOT / "js" / "constants.js"
PY_OUT = ROOT / "pywebworker" / "_constants.py"

_ERRNO = re.compile(r"XX\(\s*(E[A-Z]+)\s*,\s*(-\d+)\s*,\s*\"([^\"]*)\"\s*\)")
_ENUM = re.compile(r"typedef enum \{(.*?)\}\s*(\w+);", re.S)
_MEMBER = re.compile(r"PWW_(\w+)\s*=\s*(-?\d+)")
_DEFINE = re.compile(r"#define PWW_(DEFAULT_\w+|\w+_COUNT|MAX_LEN|MAX_INDEX)\s+(.+)")
# The enums whose members the other layers use, in the order they are written out.
_ENUMS = ("pww_worker_kind_t", "pww_state_t", "pww_queue_id_t", "pww_msg_kind_t", "pww_call_stat_t")


def _c_int(expr: str) -> int:
    """Evaluate a constant expression of pww.h's #defines (`(256u * 1024u * 1024u)`)."""
    expr = expr.split("/*")[0].replace("INT32_MAX", str(2**31 - 1))
    expr = re.sub(r"(\d+)u\b", r"\1", expr.split("/*")[0]).strip()
    if not re.fullmatch(r"[\d\s()*+<-]+", expr):
        raise ValueError(f"not a plain integer expression: {expr!r}")
    return int(eval(expr, {"__builtins__": {}}))  # digits and operators only, checked above


def parse(text: str) -> tuple[list[tuple[str, int, str]], dict[str, int]]:
    """``(errors, constants)`` from pww.h: errors as ``(name, code, text)``; constants
    by name without the ``PWW_`` prefix."""
    errors = [(name, int(code), desc) for name, code, desc in _ERRNO.findall(text)]
    if not errors:
        raise ValueError("PWW_ERRNO_MAP not found in pww.h")
    consts: dict[str, int] = {}
    enums = {name: body for body, name in _ENUM.findall(text)}
    for enum in _ENUMS:
        if enum not in enums:
            raise ValueError(f"enum {enum} not found in pww.h")
        for member, value in _MEMBER.findall(enums[enum]):
            consts[member] = int(value)
    for name, expr in _DEFINE.findall(text):
        consts[name] = _c_int(expr)
    return errors, consts


def names(consts: dict[str, int]) -> dict[str, list[str] | dict[int, str]]:
    """The lookup tables the layers need, derived from the constants: state names by
    value, call counter names by index, message kind names by value."""

    def by_value(prefix: str) -> dict[int, str]:
        return {
            v: k[len(prefix) :].lower() for k, v in consts.items() if k.startswith(prefix) and k != prefix + "COUNT"
        }

    states = by_value("STATE_")
    stats = by_value("CALL_")
    return {
        "STATE_NAMES": [states[i] for i in range(consts["STATE_COUNT"])],
        "CALL_STAT_NAMES": [stats[i] for i in range(consts["CALL_STAT_COUNT"])],
        "MSG_KIND_NAMES": by_value("MSG_"),
    }


def render_js(errors: list[tuple[str, int, str]], consts: dict[str, int]) -> str:
    lines = [
        "// Generated from csrc/pww.h by tools/gen_constants.py: do not edit.",
        "// The C core's constants as plain script text, prepended wherever the glue runs.",
        "const PWW_CORE = Object.freeze({",
    ]
    lines += [f"  {name}: {value}," for name, value in consts.items()]
    for name, table in names(consts).items():
        plain = table if isinstance(table, list) else {str(k): v for k, v in table.items()}
        lines.append(f"  {name}: {json.dumps(plain)},")
    lines.append("  // Error codes (PWW_ERRNO_MAP), by name without the prefix.")
    lines += [f"  {name}: {code}," for name, code, _ in errors]
    lines.append("});")
    return "\n".join(lines) + "\n"


def render_py(errors: list[tuple[str, int, str]], consts: dict[str, int]) -> str:
    lines = [
        '"""The C core\'s constants (generated from csrc/pww.h by tools/gen_constants.py:',
        'do not edit)."""',
        "",
    ]
    lines += [f"{name} = {value}" for name, value in consts.items()]
    for name, table in names(consts).items():
        lines.append(f"{name} = {tuple(table) if isinstance(table, list) else table!r}")
    lines += ["", "# Error codes (PWW_ERRNO_MAP): name -> (code, description)."]
    lines.append("ERRORS = {")
    lines += [f"    {name!r}: ({code}, {desc!r})," for name, code, desc in errors]
    lines.append("}")
    lines += [f"{name} = {code}" for name, code, _ in errors]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if a generated file is out of date")
    args = ap.parse_args(argv)
    errors, consts = parse(HEADER.read_text())
    outputs = {JS_OUT: render_js(errors, consts), PY_OUT: render_py(errors, consts)}
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of date: run python3 tools/gen_constants.py", file=sys.stderr)
        return 1 if stale else 0
    for p in stale:
        p.write_text(outputs[p])
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
