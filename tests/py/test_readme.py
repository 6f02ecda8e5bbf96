"""Every ```python block of README.md runs, in order, as notebook cells in Pyodide
(``py`` blocks are fragments and are not run), and what its ``print`` calls write is
compared with what the README says they print. The one change to the code: micropip
installs from the local index instead of PyPI.

The rule for a stated output. A ``print(...)`` line that ends in a comment states what
it prints when the comment, or the part of it before a ``": "`` or a double space (the
rest explains), is a *value*: a Python literal as a whole (``['add', 'slow']``), or
words each of which is a Python literal or a bare name (``3 []``, ``b'cba' 42``,
``ValueError no``, ``ModuleNotFoundError``); the longest such part is taken. Every line
that print writes must then equal the value, text for text. Any other comment
(``# kill() returns undelivered message counts``) is prose and is not compared; prose
on a print line must be listed in ``PROSE``, so that a README edit cannot turn a
checked output into prose unnoticed. A print with no comment is not compared.

Between cells a user takes time: before a block that says it reads what has arrived,
the test waits (bounded) for that, as ``CELL_WAITS`` lists.

The output is captured by replacing ``sys.stdout`` inside Pyodide while a block runs;
each write is filed under the block line running at that moment (found on the stack),
so a print inside a loop or an ``except`` is matched to its own line.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

# Comments on print lines that describe rather than state the output.
PROSE: set[str] = set()

# A block whose first line is this comment blocks (pywebworker.futures, .multiprocessing):
# where Python cannot block (Node 20: no JSPI) it must raise BlockingError instead.
JSPI_MARK = "# Blocking calls: they need JSPI"

# A block (found by a line of it) and what a user would have waited for before running it.
CELL_WAITS = {
    "# Next cell: what arrived is waiting": (
        "len(echo.get_unread_messages()) >= 2",
        "the two echoes of the first cell",
    ),
}

RUNNER = '''
import contextlib, io, json, sys
from pyodide.code import eval_code_async

class _ReadmeLines(io.TextIOBase):
    """sys.stdout that files each write under the line of the README block writing it."""

    def __init__(self, filename):
        self.filename, self.by_line = filename, {}

    def writable(self):
        return True

    def write(self, text):
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename != self.filename:
            frame = frame.f_back
        if frame is not None:  # else: not the block's own print (a worker's output, say)
            self.by_line.setdefault(frame.f_lineno, []).append(text)
        return len(text)

async def _readme_run(code, filename):
    out = _ReadmeLines(filename)
    with contextlib.redirect_stdout(out):
        await eval_code_async(code, globals(), filename=filename)
    return json.dumps({line: "".join(parts) for line, parts in out.by_line.items()})
'''


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def stated_value(comment: str) -> str | None:
    """The output a print line's comment states (the rule in the module docstring), or
    ``None`` for prose."""
    text = comment.lstrip("#").strip()
    cuts = [len(text)] + sorted((m.start() for m in re.finditer(r": |  ", text)), reverse=True)
    for cut in cuts:
        part = text[:cut].strip()
        if part and (_is_literal(part) or all(_is_literal(w) or w.isidentifier() for w in part.split())):
            return part
    return None


def print_comments(block: str) -> dict[int, str]:
    """``{line: comment}`` for each print call of ``block`` whose line ends in a comment
    (strings that merely contain ``#``, such as worker scripts, are not comments)."""
    comments = {
        tok.start[0]: tok.string
        for tok in tokenize.generate_tokens(io.StringIO(block).readline)
        if tok.type == tokenize.COMMENT
    }
    found = {}
    for node in ast.walk(ast.parse(block)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            line = node.end_lineno or node.lineno
            if line in comments:
                found[line] = comments[line]
    return found


def test_stated_value_rule():
    assert stated_value("# ['hello', {'numbers': [1, 2, 3]}]") == "['hello', {'numbers': [1, 2, 3]}]"
    assert stated_value("# False: read() marked them opened") == "False"
    assert stated_value("# ValueError no  (and e.remote_traceback)") == "ValueError no"
    assert stated_value("# 3 []") == "3 []"
    assert stated_value("# b'cba' 42") == "b'cba' 42"
    assert stated_value("# ModuleNotFoundError") == "ModuleNotFoundError"
    assert stated_value("# {'a': 1}: a dict") == "{'a': 1}"
    assert stated_value("# kill() returns undelivered message counts") is None
    assert stated_value("# waits for ready, then 5") is None
    assert stated_value("# 5: waits for ready first") == "5"


def test_readme_print_comments_are_values_or_known_prose():
    checked, prose = 0, set()
    for block in python_blocks():
        for comment in print_comments(block).values():
            if stated_value(comment) is None:
                prose.add(comment.lstrip("#").strip())
            else:
                checked += 1
    assert prose <= PROSE, f"prose on a print line, not a stated output: {prose - PROSE}"
    assert checked >= 9


def test_readme_python_blocks_run_and_print_what_they_say(selenium_isolated, pyww_index_url):
    # An isolated page (shared memory, as Node always has): the README's synchronous calls run.
    selenium_pyww = selenium_isolated
    blocks = python_blocks()
    assert len(blocks) >= 5
    selenium_pyww.run(RUNNER)
    assert all(any(key in block for block in blocks) for key in CELL_WAITS)
    wrong, compared = [], 0
    for n, block in enumerate(blocks, 1):
        for key, (condition, what) in CELL_WAITS.items():
            if key in block:
                selenium_pyww.run_async(
                    f"from pyodide_waits import wait_until\nawait wait_until(lambda: {condition}, what={what!r})"
                )
        code = block.replace(
            'await micropip.install("pywebworker")',
            f'await micropip.install("pywebworker", index_urls=[{pyww_index_url!r}])',
        )
        filename = f"README.md python block {n}"
        if JSPI_MARK in block and not selenium_pyww.run_async("from pyodide.ffi import can_run_sync\ncan_run_sync()"):
            # Node 20: no JSPI. The block must fail as the README says, with BlockingError.
            blocked = selenium_pyww.run_async(
                "from pywebworker._blocking import BlockingError\n_blocked = None\n"
                f"try:\n    await _readme_run({code!r}, {filename!r})\n"
                "except BlockingError as exc:\n    _blocked = str(exc)\n_blocked\n"
            )
            if not blocked or "JSPI" not in blocked:
                wrong.append(f"block {n} ran without JSPI, or failed otherwise: {blocked!r}")
            continue
        printed = json.loads(selenium_pyww.run_async(f"await _readme_run({code!r}, {filename!r})"))
        for line, comment in print_comments(block).items():
            value = stated_value(comment)
            if value is None:
                continue
            got = printed.get(str(line), "").splitlines()
            compared += 1
            if not got or any(g != value for g in got):
                wrong.append(f"block {n} line {line}: {block.splitlines()[line - 1].strip()}\n"
                             f"  prints {got}, the README says {value!r}")
    assert not wrong, "\n".join(wrong)
    assert compared >= 9
    assert selenium_pyww.run("echo.state, worker.state") == ["killed", "killed"]
