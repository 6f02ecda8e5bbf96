"""Synchronous calls from a worker to its host, over shared memory (``js/sync.js``) or,
without it, with JSPI.

Inside a PyWorker, ``parent.sync.name(*args)`` calls a function the host exposed
(``worker.expose(fn)``) and blocks this worker until the result or the host's exception
arrives. The request is a ``sync`` message; the host serves it as a call from its event
loop and, with shared memory, writes the reply into a ``SharedArrayBuffer`` this worker
waits on (``Atomics.wait``). Without shared memory (a page that is not cross-origin
isolated) but with JSPI (Chromium 137+, Node 26), the host posts the reply back and
this worker waits for it with ``pyodide.ffi.run_sync``: same answers, same errors, while
its event loop runs on. Where neither exists ``SharedMemoryError`` says so, naming both
ways out; the asynchronous calls work either way.

The worker's ``input()`` and ``time.sleep()`` are this module's too (:func:`install`):
``input()`` asks the host (its exposed ``input``, else its own ``input()``) the same way;
``time.sleep()`` waits with ``run_sync`` wherever this Python can block, instead of
spinning.

Plain Python; the port (``_ports.ParentPort.sync`` and ``sync_posted``) does the
JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import _js
from ._blocking import BlockingError, block, can_block, jspi_supported
from ._errors import RemoteError, SharedMemoryError, remote_error
from ._timeouts import deadline
from ._wire import pack, read_batch, unpack

if TYPE_CHECKING:
    from ._ports import ParentPort

# The request kinds of js/sync.js (PWW_SYNC): "call" is a function the host exposed,
# "dom" an operation on a host object (_dom.py), "release" the host objects dropped.
KIND_CALL = "call"
KIND_DOM = "dom"
KIND_RELEASE = "release"


def missing(needs: str, where: str = "worker") -> str:
    """The one text of every ``SharedMemoryError`` for missing shared memory: ``needs``
    (``"synchronous calls need"``, ``"interrupt() needs"``) and the headers the page
    lacks; ``where``: ``"worker"`` or ``"page"``, the thread that has none."""
    return (
        f"{needs} shared memory (SharedArrayBuffer and Atomics.wait), which this {where} "
        "does not have: crossOriginIsolated is false. Serve the page with the headers "
        "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp"
    )


# Said where a PyWorker could block with JSPI instead (the second way out).
JSPI_WAY = (
    "or use a browser or Node with JSPI (WebAssembly JavaScript Promise Integration: Chromium 137 and later, "
    "Node 26), where pywebworker waits with pyodide.ffi.run_sync instead"
)


def missing_blocking(needs: str, where: str = "worker") -> str:
    """The text of the ``SharedMemoryError`` of a blocking feature that JSPI would also
    make work (``parent.sync``, ``parent.window``, ``input()``, ``wait_for_messages()``),
    where neither exists: both ways out, the page's headers and an engine with JSPI."""
    return (
        f"{needs} shared memory (SharedArrayBuffer and Atomics.wait) or JSPI, and this {where} has neither: "
        "crossOriginIsolated is false, and this JavaScript engine has no WebAssembly JavaScript Promise "
        "Integration. Serve the page with the headers Cross-Origin-Opener-Policy: same-origin and "
        f"Cross-Origin-Embedder-Policy: require-corp, {JSPI_WAY}"
    )


# What parent.sync says where it cannot block at all (js/sync.js PWW_SYNC.MISSING is a
# JsWorker's, which JSPI would not help: it names the headers only).
MISSING = missing_blocking("synchronous calls need")


class CannotBlockHereError(BlockingError, SharedMemoryError):
    """No shared memory here, and the JavaScript engine has JSPI, but this Python cannot
    block right now: it was entered synchronously from JavaScript (a callback that is
    not one of pywebworker's, or code resumed by one), not with stack switching. Both a
    :class:`~pywebworker._blocking.BlockingError` and a ``SharedMemoryError`` (as where
    neither exists), so that code catching either keeps working."""


def cannot_block_here(what: str, instead: str, where: str = "worker") -> str:
    """The text of :class:`CannotBlockHereError`: what would have blocked, why it cannot
    here, and the ways out (where it can, ``instead``, the page's headers)."""
    return (
        f"{what} must block, and this {where} has no shared memory (crossOriginIsolated is false). This "
        "JavaScript engine has JSPI, but this Python cannot block here: it was entered synchronously from "
        "JavaScript (a JS callback, or code that one resumed after an await), not with stack switching. "
        "Call it from the worker's script, an export, a parent.on_message handler, a task or code run by "
        "runPythonAsync (after an await that a JS event resumed, `await asyncio.sleep(0)` first gets "
        f"there), use `{instead}`, or serve the page with the headers Cross-Origin-Opener-Policy: "
        "same-origin and Cross-Origin-Embedder-Policy: require-corp"
    )


def waits_with_shared_memory(shared: bool, what: str, instead: str, needs: str, where: str = "worker") -> bool:
    """How this thread blocks for ``what``: ``True`` with shared memory (``shared``:
    ``Atomics.wait``), ``False`` with JSPI (``pyodide.ffi.run_sync``).

    Parameters
    ----------
    shared : bool
        Whether this thread has shared memory for it.
    what, instead : str
        What would block (``"parent.sync.add()"``) and the ``await`` spelling that
        works everywhere, for the error's message.
    needs : str
        The start of the message where neither exists (``"synchronous calls need"``).
    where : str
        ``"worker"`` or ``"page"``: the thread that has no shared memory.

    Raises
    ------
    SharedMemoryError
        where there is neither shared memory nor JSPI; its message names both ways out.
    CannotBlockHereError
        (a ``BlockingError`` and a ``SharedMemoryError``) where the engine has JSPI but
        this Python was entered without it.
    """
    if shared:
        return True
    if can_block():
        return False
    if jspi_supported():
        raise CannotBlockHereError(cannot_block_here(what, instead, where))
    raise SharedMemoryError(missing_blocking(needs, where))

DEFAULT_TIMEOUT = 60.0  # seconds: a host that never answers does not block a worker for ever


def shared_memory_available() -> bool:
    """Whether this page, worker or Node process can share memory with its workers:
    ``SharedArrayBuffer`` and ``Atomics`` exist and, in a browser, the page is
    cross-origin isolated (``crossOriginIsolated``: served with
    ``Cross-Origin-Opener-Policy: same-origin`` and
    ``Cross-Origin-Embedder-Policy: require-corp``). Node always can.

    Synchronous calls (``parent.sync``, ``pywebworker.sync`` in a JsWorker) need it,
    but in a PyWorker whose engine has JSPI (Chromium 137+, Node 26), which blocks with
    ``pyodide.ffi.run_sync`` instead; everything else works either way.

    Returns
    -------
    bool

    Examples
    --------
    >>> import pywebworker
    >>> pywebworker.shared_memory_available()  # doctest: +SKIP
    True
    """
    port = _js.runtime().parent()
    if port is not None:
        return port.shared_memory()
    return _js.runtime().shared_memory()


def call(port: ParentPort, name: str, args: tuple[Any, ...], timeout: float | None,
         flush: Callable[[], None]) -> Any:
    """Call ``name`` on the host through ``port`` and block until its result: with
    shared memory, or else with JSPI (see the module docstring).

    ``flush`` sends the messages waiting for the end of this JS task first: what the
    worker sent before the call arrives before it.

    Raises
    ------
    SharedMemoryError
        where this worker has neither shared memory nor JSPI (nothing is sent); its
        message names both ways out. ``CannotBlockHereError`` (also a
        ``SharedMemoryError``) where there is JSPI but this Python cannot block.
    PayloadError
        (also a ``TypeError``) if an argument cannot be sent (nothing is sent).
    TimeoutError
        after ``timeout`` seconds without an answer (its late answer is dropped).
    RemoteError
        if the host's function raised, is not exposed (``remote_type ==
        "NotExportedError"``) or returned something that cannot be sent.
    TypeError, ValueError
        for a ``timeout`` that is not a number >= 0.
    """
    api, instead = f"parent.sync.{name}()", f"await parent.host.{name}(...)"
    shared = waits_with_shared_memory(port.shared_memory(), api, instead, "synchronous calls need")
    text, bufs = pack(list(args), f"arguments of {name}()")
    value, k, reply_bufs = request(port, KIND_CALL, name, text, bufs, timeout, flush, f"{name}()",
                                   api, instead, shared)
    return unpack(value, reply_bufs) if k >= 0 else value


def request(port: ParentPort, kind: str, name: str, text: str, bufs: list[bytes], timeout: float | None,
            flush: Callable[[], None], what: str, api: str = "", instead: str = "",
            shared: bool | None = None) -> tuple[Any, int, list[bytes]]:
    """One request of ``kind`` to the host, blocking: ``(value, k, bufs)`` of its
    answer (a ``returns`` item: ``value`` is JSON text when ``k >= 0``, else decoded).
    ``what`` names the request in a timeout's message; ``api`` and ``instead`` in the
    message of a worker that cannot block (:func:`waits_with_shared_memory`), unless
    ``shared`` says already how it blocks. With shared memory the answer comes through
    the worker's channel (``port.sync``); with JSPI, posted back (``port.sync_posted``,
    waited for with ``pyodide.ffi.run_sync``): the same answer, decoded the same way.

    Raises
    ------
    SharedMemoryError, CannotBlockHereError, TimeoutError, RemoteError, TypeError, ValueError
        as :func:`call`.
    """
    if shared is None:
        shared = waits_with_shared_memory(port.shared_memory(), api or what, instead or "await parent.host...",
                                          "synchronous requests to the host need")
    end = deadline(timeout)
    seconds = math.inf if end is None else float(timeout)  # type: ignore[arg-type]
    flush()
    if shared:
        answer = port.sync(kind, name, text, bufs, seconds)
    else:
        answer = port.sync_posted(kind, name, text, bufs, seconds,
                                  lambda aw: block(aw, what=api or what, instead=instead or "await parent.host..."))
    if answer is None:
        raise TimeoutError(f"the host did not answer {what} within {timeout} s "
                           "(a host whose Python is busy answers only once it awaits; a host function "
                           "that calls this worker back waits until this call ends)")
    reply_text, reply_bufs = answer
    failures: list[BaseException] = []
    items = read_batch(reply_text, lambda _id, exc: failures.append(exc))
    if failures:
        raise failures[0]
    _id, ok, value, k = items[0]
    if not ok:
        raise remote_error(value, RemoteError)
    return value, k, reply_bufs


class SyncExports:
    """``parent.sync.name(*args, timeout=None)``: each attribute is a blocking call to
    the function the host exposed under that name (see ``Parent.sync``).

    Parameters
    ----------
    call : callable
        ``call(name, args, timeout)``, making the call.
    """

    __slots__ = ("_call",)

    def __init__(self, call: Callable[[str, tuple[Any, ...], float | None], Any]) -> None:
        self._call = call

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        make_call = self._call

        def sync_call(*args: Any, timeout: float | None = None) -> Any:
            return make_call(name, args, timeout)

        sync_call.__name__ = sync_call.__qualname__ = name
        return sync_call

    def __dir__(self) -> Iterable[str]:
        return []

    def __repr__(self) -> str:
        return "<synchronous calls to the host>"


# -- the worker's input() and time.sleep() ------------------------------------------------
INPUT = "input"  # the host function a PyWorker's input() calls (the host's own input() if none)

# The longest time.sleep() CPython takes (its clock counts nanoseconds in 64 bits): beyond,
# OverflowError, as the original raises it.
_MAX_SLEEP = 2**63 / 1e9


def worker_input(prompt: object = "") -> str:
    """A PyWorker's ``input()``: ask the host for a line and return it.

    The host answers from its event loop with the function it exposed as ``input``
    (``worker.expose(fn, name="input")``: called with the prompt, returns a ``str``), or
    else with its own ``input(prompt)`` (a notebook's input box, a page's ``prompt()``,
    Node's stdin). Waits as ``parent.sync`` does (shared memory, or JSPI), with no
    timeout: a person may be typing. What the worker printed before arrives first.

    Parameters
    ----------
    prompt : object
        Shown by the host (``str(prompt)``), not printed here.

    Returns
    -------
    str
        The line, without a trailing newline.

    Raises
    ------
    EOFError
        when the host's ``input`` raised ``EOFError`` or returned ``None``: no more input.
    RemoteError
        when it raised anything else (or the host exposed no callable for it).
    TypeError
        when it returned something other than a ``str`` or ``None``.
    SharedMemoryError
        where this worker has neither shared memory nor JSPI (both ways out named), or
        ``CannotBlockHereError`` (also a ``SharedMemoryError``) where it cannot block now.
    """
    import sys

    from ._parent import parent

    port = parent._port  # noqa: SLF001 - the worker's own parent
    api, instead = "input()", "await parent.host.input(prompt)"
    shared = waits_with_shared_memory(port.shared_memory(), api, instead, "input() in a worker needs")
    text, bufs = pack([str(prompt)], "the prompt of input()")
    for stream in (sys.stdout, sys.stderr):  # as CPython's input(): what was printed goes first
        try:
            stream.flush()
        except Exception:  # noqa: BLE001, S110 - a stream that cannot flush has nothing to send
            pass
    try:
        value, k, reply_bufs = request(port, KIND_CALL, INPUT, text, bufs, None, parent._flush,  # noqa: SLF001
                                       "input()", api, instead, shared)
    except RemoteError as exc:
        if exc.remote_type == "EOFError":
            raise EOFError(exc.remote_message or "EOF when reading a line") from None
        raise
    line = unpack(value, reply_bufs) if k >= 0 else value
    if line is None:
        raise EOFError("EOF when reading a line")
    if not isinstance(line, str):
        raise TypeError(f"the host's input() returned {type(line).__name__}, not str")
    return line[:-1] if line.endswith("\n") else line


def _sleeper(original: Callable[[float], None]) -> Callable[[float], None]:
    """``time.sleep`` for a PyWorker: where this Python can block with JSPI it waits with
    ``run_sync(asyncio.sleep(secs))`` (the event loop runs meanwhile; no spinning), as
    Pyodide's own ``time.sleep`` does, but with CPython's answers to what it refuses
    (negative, NaN, too long, not a number: ``original`` raises them at once); elsewhere
    ``original`` (Pyodide's, which spins)."""

    def sleep(secs: float) -> None:
        if isinstance(secs, (int, float)) and 0 < secs < _MAX_SLEEP and can_block():
            import asyncio

            block(asyncio.sleep(secs), what="time.sleep()", instead="await asyncio.sleep(secs)")
            return
        original(secs)

    sleep.__wrapped__ = original  # type: ignore[attr-defined]
    sleep.__name__ = sleep.__qualname__ = "sleep"
    sleep.__doc__ = original.__doc__
    return sleep


def install() -> None:
    """Give this PyWorker's script its ``input()`` (:func:`worker_input`) and its
    ``time.sleep()`` (see ``_sleeper``). Called by the bootstrap (``_boot.py``) before
    the script runs; once per worker (a second call changes nothing)."""
    import builtins
    import time

    builtins.input = worker_input
    if getattr(time.sleep, "__module__", None) == __name__:
        return
    original = time.sleep
    while hasattr(original, "__wrapped__"):  # Pyodide's own (pyodide.webloop): under it, CPython's
        original = original.__wrapped__
    time.sleep = _sleeper(original)  # type: ignore[assignment]
