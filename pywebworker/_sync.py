"""Synchronous calls from a worker to its host, over shared memory (``js/sync.js``).

Inside a PyWorker, ``parent.sync.name(*args)`` calls a function the host exposed
(``worker.expose(fn)``) and blocks this worker (``Atomics.wait``) until the result or
the host's exception arrives. The request is a ``sync`` message; the host serves it as a
call from its event loop and writes the reply into a ``SharedArrayBuffer`` this worker
waits on. Where shared memory is missing (a page that is not cross-origin isolated)
``SharedMemoryError`` says so; the asynchronous calls work either way.

Plain Python; the port (``_ports.ParentPort.sync``) does the JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import _js
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


# As js/sync.js PWW_SYNC.MISSING says it in a JsWorker.
MISSING = missing("synchronous calls need")

DEFAULT_TIMEOUT = 60.0  # seconds: a host that never answers does not block a worker for ever


def shared_memory_available() -> bool:
    """Whether this page, worker or Node process can share memory with its workers:
    ``SharedArrayBuffer`` and ``Atomics`` exist and, in a browser, the page is
    cross-origin isolated (``crossOriginIsolated``: served with
    ``Cross-Origin-Opener-Policy: same-origin`` and
    ``Cross-Origin-Embedder-Policy: require-corp``). Node always can.

    Synchronous calls (``parent.sync``, ``pywebworker.sync`` in a JsWorker) need it;
    everything else works either way.

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
    """Call ``name`` on the host through ``port`` and block until its result.

    ``flush`` sends the messages waiting for the end of this JS task first: what the
    worker sent before the call arrives before it.

    Raises
    ------
    SharedMemoryError
        where this worker cannot share memory (nothing is sent).
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
    if not port.shared_memory():
        raise SharedMemoryError(MISSING)
    text, bufs = pack(list(args), f"arguments of {name}()")
    value, k, reply_bufs = request(port, KIND_CALL, name, text, bufs, timeout, flush, f"{name}()")
    return unpack(value, reply_bufs) if k >= 0 else value


def request(port: ParentPort, kind: str, name: str, text: str, bufs: list[bytes], timeout: float | None,
            flush: Callable[[], None], what: str) -> tuple[Any, int, list[bytes]]:
    """One request of ``kind`` to the host, blocking: ``(value, k, bufs)`` of its
    answer (a ``returns`` item: ``value`` is JSON text when ``k >= 0``, else decoded).
    ``what`` names the request in a timeout's message.

    Raises
    ------
    SharedMemoryError, TimeoutError, RemoteError, TypeError, ValueError
        as :func:`call`.
    """
    if not port.shared_memory():
        raise SharedMemoryError(MISSING)
    end = deadline(timeout)
    seconds = math.inf if end is None else float(timeout)  # type: ignore[arg-type]
    flush()
    answer = port.sync(kind, name, text, bufs, seconds)
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
