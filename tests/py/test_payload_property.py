"""Property test of the payload boundary (issue 8): a value arrives exactly, or it is
refused with ``PayloadError`` at the send; nothing arrives changed.

Hypothesis generates nested values on the host (CPython) and sends them, in batches of
``BATCH``, into Pyodide (``run_in_pyodide`` pickles them), where each target sends them
and returns what came back:

``js_message``   ``send_message`` to a JsWorker echo, ``receive()``
``py_message``   ``send_message`` to a PyWorker echo, ``receive()``
``py_call``      a call to a PyWorker export that returns its argument
``js_call``      a call to a JsWorker export that returns its argument

Each target keeps one worker for the whole test (a global inside Pyodide), so a batch
costs one crossing into Pyodide.

What must happen to a value (``expectation``; the payload rules of README "Payloads"
and the rules of issue 8):

- refused: a NaN or infinite float anywhere; bytes inside a message's JSON data (bytes
  travel only as a whole message; calls carry them anywhere); a ``str`` message (top
  level) with a lone surrogate (text is UTF-8 in the core); for a JavaScript peer, an
  int beyond ±(2**53 - 1) anywhere (JS has no exact integer beyond that); in a call, a
  dict whose only key is ``"\x00b"`` (the marker that stands for bytes sent beside the
  JSON: it would read back as bytes).
- arrives exactly: everything else, including lone surrogates inside JSON data and ints
  of any size between two Pythons. Two cases may arrive exactly or be refused: an int
  of more than 4300 digits (CPython's ``int_max_str_digits``: Python itself refuses to
  write it as text), and a high surrogate followed by a low surrogate inside JSON data
  (two code points in Python; any JSON reader joins ``"\\ud83d\\ude00"`` into one).

"Exactly" (``same``) checks types too, after the documented conversions: tuples arrive
as lists, ``bytearray`` and ``memoryview`` as ``bytes``. A float must come back a float
with the same bits (``-0.0`` keeps its sign), an int an int, a bool a bool; dict order
is not compared (a JS object puts integer-like keys first). The one difference allowed
for a JavaScript peer, which has a single number type: a float with a whole value may
come back as an int of exactly that value (``1.0`` as ``1``, ``-0.0`` as ``0``; not
``2.0**64`` as ``18446744073709552000``, the shortest decimal JS writes for it).

Refused means: ``send_message`` raises ``PayloadError``, or the call's awaitable is
already done with ``PayloadError`` when ``call()`` returns (nothing was sent).

Environment: ``PYWW_PROPERTY_EXAMPLES`` values per target (default 2000; run 100000
before closing an issue that touches payloads), ``PYWW_PROPERTY_SEED`` (default 0; the
seed is printed with any failure).
"""

from __future__ import annotations

import math
import os
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from pytest_pyodide import run_in_pyodide
from scripts import ECHO_JS, ECHO_PY

EXAMPLES = int(os.environ.get("PYWW_PROPERTY_EXAMPLES", "2000"))
SEED = int(os.environ.get("PYWW_PROPERTY_SEED", "0"))
BATCH = 100
MAX_SAFE = 2**53 - 1  # Number.MAX_SAFE_INTEGER
MAX_DIGITS = 4300  # CPython's default sys.get_int_max_str_digits()

ECHO_CALL_PY = "def echo(x):\n    return x\n__export__ = ['echo']\n"
ECHO_CALL_JS = "pywebworker.expose({ echo: (x) => x });"

# target: (worker class, script, sends by call, peer is JavaScript)
TARGETS = {
    "js_message": ("JsWorker", ECHO_JS, False, True),
    "py_message": ("PyWorker", ECHO_PY, False, False),
    "py_call": ("PyWorker", ECHO_CALL_PY, True, False),
    "js_call": ("JsWorker", ECHO_CALL_JS, True, True),
}


# ---- values -----------------------------------------------------------------------------

def _surrogates() -> st.SearchStrategy[str]:
    # A few, so that a high one followed by a low one (a pair in UTF-16) is common.
    return st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00"])


# Not st.text(alphabet): it merges the alphabet into code point ranges, which drops
# the surrogates and the weight of the chosen characters.
TEXT = st.lists(
    st.one_of(st.characters(), _surrogates(), st.sampled_from(["\x00", "\u2028", "\ufeff", "\U0001f600", '"', "\\"])),
    max_size=12,
).map("".join)
KEYS = st.one_of(
    TEXT,
    # Names that mean something to JS objects or to the glue ("\x00b" is the calls'
    # bytes marker key).
    st.sampled_from(["__proto__", "constructor", "toString", "0", "1", "-1", "01", "4294967295", "", "\x00b"]),
)


def _rarely(strategy: st.SearchStrategy[Any], otherwise: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` about one time in ten, else ``otherwise``."""
    return st.integers(0, 9).flatmap(lambda n: strategy if n == 0 else otherwise)


INTS = st.one_of(
    st.integers(-MAX_SAFE, MAX_SAFE),
    st.sampled_from([MAX_SAFE, MAX_SAFE + 1, 2**63 - 1, 2**63, 2**64, 2**64 + 1, 10**308, 10**309]).flatmap(
        lambda n: st.sampled_from([n, -n])
    ),
    # Any size; around CPython's int <-> str limit (4300 digits) only rarely.
    _rarely(st.integers(MAX_DIGITS - 2, MAX_DIGITS + 2).map(lambda digits: 10 ** (digits - 1) + 7), st.integers()),
)
FLOATS = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.1, 1e16, 2.0**53, 2.0**64, 1e300, 5e-324, math.inf, math.nan]),
)
# memoryview cannot be pickled: one crosses into Pyodide as slice(bytes, None, step)
# and becomes memoryview(bytes)[::step] there (step 2: not contiguous).
BYTES = st.one_of(
    st.binary(max_size=24),
    st.binary(max_size=24).map(bytearray),
    st.tuples(st.binary(max_size=24), st.sampled_from([1, 2])).map(lambda t: slice(t[0], None, t[1])),
)


def values(by_call: bool) -> st.SearchStrategy[Any]:
    """One value to send. Top-level scalars are common (each top-level kind is a path
    of its own); bytes are leaves anywhere in a call, and in a message only rarely
    inside data (always refused there)."""
    leaves = st.one_of(TEXT, INTS, FLOATS, st.booleans(), st.none(), *([BYTES] if by_call else []))

    def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=5),
            st.lists(children, max_size=5).map(tuple),
            st.dictionaries(KEYS, children, max_size=5),
        )

    data = containers(st.recursive(leaves, containers, max_leaves=10))
    if not by_call:
        data = _rarely(st.lists(st.one_of(BYTES, data), min_size=1, max_size=3), data)
    return st.one_of(data, TEXT, BYTES, INTS, FLOATS, data, st.booleans(), st.none(), data)


# ---- the rules ---------------------------------------------------------------------------

REFUSE, ARRIVE, EITHER = "refused", "arrives", "arrives or is refused"


def _has_lone_surrogate(s: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in s)


def _has_split_pair(s: str) -> bool:
    return any("\ud800" <= a <= "\udbff" and "\udc00" <= b <= "\udfff" for a, b in zip(s, s[1:], strict=False))


def expectation(value: Any, target: str) -> tuple[str, str]:
    """``(REFUSE | ARRIVE | EITHER, why)`` for ``value`` sent to ``target``."""
    _, _, by_call, js_peer = TARGETS[target]
    if not by_call:
        if isinstance(value, str):
            if _has_lone_surrogate(value):
                return REFUSE, "a str message with a lone surrogate"
            return ARRIVE, "a str message"
        if isinstance(value, (bytes, bytearray, slice)):
            return ARRIVE, "a bytes message"
    found: dict[str, str] = {}
    _walk(value, "", by_call, js_peer, found)
    for verdict in (REFUSE, EITHER):
        if verdict in found:
            return verdict, found[verdict]
    return ARRIVE, "JSON data"


def _walk(value: Any, where: str, by_call: bool, js_peer: bool, found: dict[str, str]) -> None:
    at = where or "top"
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if js_peer and abs(value) > MAX_SAFE:
            found.setdefault(REFUSE, f"an int beyond 2**53 - 1 for a JS peer at {at}")
        elif abs(value) >= 10**MAX_DIGITS:
            found.setdefault(EITHER, f"an int of more than {MAX_DIGITS} digits at {at}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            found.setdefault(REFUSE, f"float {value!r} at {at}")
    elif isinstance(value, str):
        if _has_split_pair(value):
            found.setdefault(EITHER, f"a surrogate pair as two code points at {at}")
    elif isinstance(value, (bytes, bytearray, slice)):
        if not by_call:
            found.setdefault(REFUSE, f"bytes inside a message's JSON data at {at}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]", by_call, js_peer, found)
    elif isinstance(value, dict):
        if by_call and len(value) == 1 and "\x00b" in value:
            found.setdefault(REFUSE, f"a dict whose only key is the calls' bytes marker at {at}")
        for key, item in value.items():
            _walk(key, f"{where} key {key!r}", by_call, js_peer, found)
            _walk(item, f"{where}[{key!r}]", by_call, js_peer, found)
    else:
        raise AssertionError(f"the generator made a {type(value).__name__}")


def normal(value: Any) -> Any:
    """What ``value`` should arrive as: tuples as lists, bytes-likes as ``bytes``."""
    if isinstance(value, slice):
        return bytes(memoryview(value.start)[:: value.step])
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    return value


def same(got: Any, want: Any, js_peer: bool) -> bool:
    """Strict equality of an arrived value and the ``normal`` form of the sent one."""
    if type(want) is float:
        if type(got) is float:
            return struct.pack("<d", got) == struct.pack("<d", want)
        # JS has one number type: a whole float may come back as that int, nothing else.
        return js_peer and type(got) is int and want.is_integer() and got == want
    if type(got) is not type(want):
        return False
    if type(want) is list:
        return len(got) == len(want) and all(same(g, w, js_peer) for g, w in zip(got, want, strict=True))
    if type(want) is dict:
        return got.keys() == want.keys() and all(same(got[k], want[k], js_peer) for k in want)
    return bool(got == want)


def difference(got: Any, want: Any, js_peer: bool, where: str = "") -> str:
    """Where and how ``got`` first differs from ``want`` (``same`` is false)."""
    if type(want) is list and type(got) is list and len(got) == len(want):
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            if not same(g, w, js_peer):
                return difference(g, w, js_peer, f"{where}[{i}]")
    if type(want) is dict and type(got) is dict and got.keys() == want.keys():
        for k in want:
            if not same(got[k], want[k], js_peer):
                return difference(got[k], want[k], js_peer, f"{where}[{k!r}]")
    return f"at {where or 'top'}: {type(want).__name__} {show(want)} arrived as {type(got).__name__} {show(got)}"


def show(value: Any) -> str:
    """``repr`` that also works for ints too long for ``repr`` (over 4300 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
        return f"<int of about {int(math.log10(abs(value))) + 1} digits, {value % 1000:03} at the end>"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(show(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def judge(value: Any, outcome: tuple[str, Any], target: str) -> str | None:
    """``None`` if ``outcome`` (from ``_round_trip``) follows the rules, else what went
    wrong."""
    expected, why = expectation(value, target)
    kind, got = outcome
    if kind == "refused":
        return None if expected != ARRIVE else f"refused ({got}), but {why} must arrive"
    if kind == "back":
        if expected == REFUSE:
            return f"arrived as {show(got)}, but must be refused: {why}"
        if same(got, normal(value), TARGETS[target][3]):
            return None
        return f"arrived changed {difference(got, normal(value), TARGETS[target][3])}"
    return f"{kind}: {got}"


# ---- in Pyodide ---------------------------------------------------------------------------

@run_in_pyodide
async def _round_trip(selenium, target, cls_name, script, by_call, values):
    """Send ``values`` to ``target``'s worker (started on first use and kept in a global
    inside Pyodide) and return one ``(kind, detail)`` per value: ``("back", value)``,
    ``("refused", message)`` or what else happened."""
    import asyncio
    import sys
    import types

    import pywebworker
    from pywebworker import PayloadError

    state = sys.modules.get("_pyww_property")
    if state is None:
        state = sys.modules["_pyww_property"] = types.ModuleType("_pyww_property")
        state.workers = {}
    w = state.workers.get(target)
    if w is None or w.state != "running":  # a failure in an earlier batch was reported there
        w = state.workers[target] = getattr(pywebworker, cls_name)(script).start()
        await w.ready(timeout=60)

    def revive(v):
        if isinstance(v, slice):
            return memoryview(v.start)[:: v.step]
        if isinstance(v, list):
            return [revive(x) for x in v]
        if isinstance(v, tuple):
            return tuple(revive(x) for x in v)
        if isinstance(v, dict):
            return {k: revive(x) for k, x in v.items()}
        return v

    def described(e):
        return f"{type(e).__name__}: {e}"

    outcomes = [None] * len(values)
    if not by_call:
        sent = []
        for i, v in enumerate(values):
            try:
                w.send_message(revive(v))
            except PayloadError as e:
                outcomes[i] = ("refused", str(e))
            except Exception as e:
                outcomes[i] = ("send_message raised", described(e))
            else:
                sent.append(i)
        for n, i in enumerate(sent):
            try:
                outcomes[i] = ("back", (await w.receive(timeout=20)).read())
            except (TimeoutError, pywebworker.WorkerFailedError, pywebworker.WorkerKilledError) as e:
                for j in sent[n:]:
                    outcomes[j] = ("never came back", described(e))
                break
            except Exception as e:  # an error message in its place
                outcomes[i] = ("came back as an error", described(e))
        w.clear_read()
        return outcomes

    calls = {}
    for i, v in enumerate(values):
        try:
            fut = w.call("echo", revive(v))
        except Exception as e:
            outcomes[i] = ("call() raised", described(e))
            continue
        if fut.done() and isinstance(fut.exception(), PayloadError):
            outcomes[i] = ("refused", str(fut.exception()))
        else:
            calls[i] = asyncio.ensure_future(fut)
    if calls:
        await asyncio.wait(calls.values(), timeout=20)
    for i, task in calls.items():
        if not task.done():
            task.cancel()
            outcomes[i] = ("never settled", "no reply in 20 s")
        elif task.exception() is not None:
            outcomes[i] = ("the call raised", described(task.exception()))
        else:
            outcomes[i] = ("back", task.result())
    return outcomes


@run_in_pyodide
async def _stop(selenium, target):
    """Kill ``target``'s worker; returns its state before the kill."""
    import sys

    state = sys.modules.get("_pyww_property")
    w = state.workers.pop(target, None) if state else None
    if w is None:
        return None
    before = w.state
    w.kill()
    return before


# ---- the property --------------------------------------------------------------------------

@pytest.mark.parametrize("target", list(TARGETS))
def test_payload_boundary(selenium_pyww, target):
    cls_name, script, by_call, _ = TARGETS[target]
    sent = 0

    # Hypothesis runs inside the test (not as its decorator) so that the Pyodide
    # fixture is set up once per target, not once per example.
    @seed(SEED)
    @settings(
        max_examples=-(-EXAMPLES // BATCH),
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],  # no explain phase: each run is a batch in Pyodide
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(st.lists(values(by_call), min_size=BATCH, max_size=BATCH))
    def batch(values: list[Any]) -> None:
        nonlocal sent
        outcomes = _round_trip(selenium_pyww, target, cls_name, script, by_call, values)
        sent += len(values)
        wrong = []
        for value, outcome in zip(values, outcomes, strict=True):
            problem = judge(value, outcome, target)
            if problem:
                wrong.append(f"  sent {show(value)}\n    {problem}")
        assert not wrong, f"{target}, PYWW_PROPERTY_SEED={SEED}:\n" + "\n".join(wrong)

    try:
        batch()
    finally:
        last_state = _stop(selenium_pyww, target)
    assert sent >= EXAMPLES
    assert last_state == "running"


# ---- the oracle itself (plain CPython) -------------------------------------------------

def test_rules_of_the_property():
    assert expectation("\ud800", "py_message")[0] == REFUSE
    assert expectation(["\ud800"], "py_message")[0] == ARRIVE
    assert expectation("\ud83d\ude00", "py_call")[0] == EITHER
    assert expectation([2**53], "js_message")[0] == REFUSE
    assert expectation([2**53 - 1, -(2**53 - 1)], "js_call")[0] == ARRIVE
    assert expectation([2**53], "py_message")[0] == ARRIVE
    assert expectation(10**4300, "py_call")[0] == EITHER
    assert expectation({"k": [math.nan]}, "py_call")[0] == REFUSE
    assert expectation([b"x"], "py_message")[0] == REFUSE
    assert expectation([b"x", slice(b"y", None, 2)], "py_call")[0] == ARRIVE
    assert expectation(bytearray(b"x"), "js_message")[0] == ARRIVE
    assert same([1.0, {"a": [0.0]}], normal([1.0, {"a": (0.0,)}]), js_peer=False)
    assert not same([1.0, {"a": (0.0,)}], normal([1.0, {"a": (0.0,)}]), js_peer=False)
    assert not same(1, 1.0, js_peer=False)
    assert same(1, 1.0, js_peer=True) and same(0, -0.0, js_peer=True)
    assert not same(0.0, -0.0, js_peer=True)
    assert not same(1.5, 1, js_peer=True)  # only float -> int, never int -> float
    assert not same(True, 1, js_peer=True) and not same(1, True, js_peer=False)
    assert not same([1], (1,), js_peer=False)
    assert same(b"ac", normal(slice(b"abc", None, 2)), js_peer=False)
    assert not same("\ud83d\ude00", "\U0001f600", js_peer=False)
    assert judge(b"x", ("back", b"x"), "js_message") is None
    assert judge([2**64], ("back", [18446744073709552000]), "js_message")
    assert judge([2.0], ("back", [2]), "py_message")
    assert judge([2.0], ("back", [2]), "js_message") is None
    assert judge("ok", ("refused", "no"), "py_message")
