"""The host's ``window`` and ``document`` from inside a PyWorker, over the synchronous
channel (``js/sync.js``; the host's side is ``js/host_dom.js``).

Each operation on a :class:`HostProxy` (an attribute get or set, a call, ``len``,
indexing, iteration) is one ``sync`` request of kind ``"dom"``: this worker blocks until
the host answered from its event loop (shared memory, or without it JSPI: ``_sync.py``).
Values the payload rules allow come back as Python values (copies); anything else (a
DOM node, a function, a class instance) stays on the host, in a table of this worker's,
and comes back as a new :class:`HostProxy` holding its id. Dropping the proxy releases
the host's object: the ids ride on the next request, or go in one ``release`` message
soon after (never a round trip per drop).

Plain Python; the port (``_ports.ParentPort.sync``, ``sync_posted``) does the JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import _js
from ._errors import PayloadError
from ._payload import MARK, loads
from ._sync import KIND_DOM, KIND_RELEASE, request, waits_with_shared_memory
from ._wire import pack

if TYPE_CHECKING:
    from ._ports import ParentPort

# Markers in the host's answers (js/host_dom.js); HANDLE in requests too.
HANDLE = "\x00h"
UNDEFINED = "\x00u"
FLOAT = "\x00f"
BIGINT = "\x00i"

WINDOW = 0  # the host's globalThis: never released

NO_DOCUMENT = {
    "node": "the host runs in Node, which has no document (parent.window is its globalThis)",
    "worker": "the host runs in a worker (Pyodide inside a Web Worker, as a JupyterLite kernel), which has no "
    "document (parent.window is that worker's global scope, self)",
}

_UNSET = object()

# For the error of a worker that cannot block here (_sync.waits_with_shared_memory): the
# asynchronous way is a function the host exposes that does it there.
API = "parent.window / parent.document (each use is a synchronous request)"
INSTEAD = "await parent.host.name()"


class HostDom:
    """The host objects of one worker: requests, the handles to release.

    Parameters
    ----------
    port : callable
        returns the worker's ``ParentPort``.
    flush : callable
        sends what waits for the end of this JS task (messages before a request).
    timeout : callable
        returns the timeout of one request in seconds (``parent.sync_timeout``).
    """

    def __init__(self, port: Callable[[], ParentPort], flush: Callable[[], None],
                 timeout: Callable[[], float | None]) -> None:
        self._port = port
        self._flush = flush
        self._timeout = timeout
        self._released: list[int] = []
        self._scheduled = False
        self._window: HostProxy | None = None
        self._document: HostProxy | None = None
        self._no_document = ""  # why the host has none, once asked

    def window(self) -> HostProxy:
        """The proxy of the host's ``globalThis`` (made once; no request).

        Raises
        ------
        SharedMemoryError
            where this worker has neither shared memory nor JSPI, or
            ``_sync.CannotBlockHereError`` where this Python cannot block now.
        """
        if self._window is None:
            waits_with_shared_memory(self._port().shared_memory(), API, INSTEAD,
                                     "the host's window and document need")
            self._window = HostProxy(self, WINDOW, "Window")
        return self._window

    def document(self) -> HostProxy:
        """The proxy of the host's ``document`` (one request, then kept).

        Raises
        ------
        AttributeError
            where the host has no document (Node, a worker), saying why.
        """
        if self._document is None:
            if not self._no_document:
                self.window()
                doc = self.op("doc", WINDOW)
                if isinstance(doc, HostProxy):
                    self._document = doc
                    return doc
                self._no_document = NO_DOCUMENT.get(doc, f"the host has no document ({doc!r})")
            raise AttributeError(f"parent.document: {self._no_document}")
        return self._document

    def op(self, op: str, handle: int, key: str | int | None = None, args: tuple[Any, ...] = (),
           what: str = "") -> Any:
        """One operation on the host object ``handle``; its answer as Python values and
        proxies (:data:`UNDEFINED` decodes to the ``_UNSET`` sentinel).

        Raises
        ------
        SharedMemoryError, TimeoutError, RemoteError
            as ``parent.sync`` (a JS exception arrives as ``RemoteError`` with the JS
            name and message).
        PayloadError, TypeError
            for an argument that cannot go to the host (a Python callable included).
        """
        released, self._released = self._released, []
        try:
            text, bufs = pack([op, handle, key, [_out(a) for a in args], released],
                              what or f"arguments of {op}", js_numbers=True)
        except BaseException:
            self._released[:0] = released
            raise
        value, k, reply_bufs = request(self._port(), KIND_DOM, op, text, bufs, self._timeout(), self._flush,
                                       what or f"the host object operation {op}", API, INSTEAD)
        if k >= 0:
            value = loads(value, True)
        return self._decode(value, reply_bufs)

    def _decode(self, value: Any, bufs: list[bytes]) -> Any:
        if isinstance(value, list):
            return [self._decode(v, bufs) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, v), = value.items()
            if key == HANDLE:
                return HostProxy(self, int(v[0]), str(v[1]))
            if key == MARK:
                return bufs[v]
            if key == UNDEFINED:
                return _UNSET
            if key == FLOAT:
                return float(v)
            if key == BIGINT:
                return int(v)
        return {k: self._decode(v, bufs) for k, v in value.items()}

    def release(self, handle: int) -> None:
        """Called when a proxy is dropped: its id leaves with the next request, or in one
        ``release`` message from a timer soon after (once per batch of drops)."""
        self._released.append(handle)
        if not self._scheduled:
            self._scheduled = True
            try:
                _js.runtime().set_timeout(self._send_released, 0)
            except Exception:  # noqa: BLE001 - interpreter shutdown: nothing to tell
                self._scheduled = False

    def _send_released(self) -> None:
        self._scheduled = False
        released, self._released = self._released, []
        if released:
            self._port().sync_post(KIND_RELEASE, json.dumps(released))


def _out(value: Any) -> Any:
    """An argument with its proxies as handle markers; a Python callable refused."""
    if isinstance(value, HostProxy):
        return {HANDLE: value._id}  # noqa: SLF001 - this module's own class
    if isinstance(value, (list, tuple)):
        return [_out(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and HANDLE in value:
            raise PayloadError(f"cannot send a dict whose only key is {HANDLE!r}: that is the marker of a host object")
        return {k: _out(v) for k, v in value.items()}
    if callable(value) and not isinstance(value, type):
        raise TypeError(
            f"cannot pass the Python callable {getattr(value, '__name__', value)!r} to the host: a host object's "
            "method runs on the host, which cannot call back into this worker synchronously (an event listener "
            "would need the worker's event loop); post a message from the worker instead"
        )
    return value


class HostProxy:
    """A JavaScript object of the host (``parent.window``, ``parent.document`` and what
    they give), used from a PyWorker as Pyodide's ``JsProxy`` is used on the host.

    Every operation is a synchronous request to the host (``parent.sync``'s channel and
    ``parent.sync_timeout``): ``proxy.name`` and ``proxy.name = value``, ``del
    proxy.name``, calls (a method read from an object is called on it:
    ``document.getElementById("out")``), ``proxy.new(*args)`` (JS ``new``), ``len()``
    (``length`` or ``size``), ``proxy[i]`` (negative from the end) and ``proxy["key"]``,
    ``for x in proxy`` (one request: ``Array.from`` on the host), ``x in proxy``
    (``includes`` or ``has``), ``str()`` (JS ``String()``), ``==`` (JS ``===``).
    Keyword arguments of a call become a last object argument, as in Pyodide.

    Values the payload rules allow (None, bool, int, float, str, bytes, and lists and
    dicts of them) come back as Python values, copies; JS ``undefined`` as None
    (except for an attribute: see Raises); anything else as a new ``HostProxy``.
    Arguments follow the payload rules too, plus proxies (``body.appendChild(el)``).

    The host keeps each object a proxy refers to until the proxy is dropped (its id is
    released with the next request or a moment later), or the worker stops.

    Raises
    ------
    AttributeError
        for an attribute the object does not have (JS ``undefined``), as Pyodide's
        ``JsProxy`` does.
    IndexError, KeyError
        for an index out of range or a key that gives ``undefined``.
    RemoteError
        for a JS exception on the host (``remote_type`` is its name, ``"TypeError"``),
        a released object included (``"ReferenceError"``).
    TypeError
        for a Python callable as an argument (an event listener): not supported.
    SharedMemoryError, TimeoutError
        as ``parent.sync``.
    """

    __slots__ = ("_dom", "_id", "_type", "__weakref__")

    def __init__(self, dom: HostDom, handle: int, type_name: str) -> None:
        object.__setattr__(self, "_dom", dom)
        object.__setattr__(self, "_id", handle)
        object.__setattr__(self, "_type", type_name)

    def __del__(self) -> None:
        try:
            if self._id != WINDOW:
                self._dom.release(self._id)
        except Exception:  # noqa: BLE001, S110 - half made, or the interpreter is ending
            pass

    def __repr__(self) -> str:
        return f"<HostProxy {self._type} #{self._id}>"

    def __str__(self) -> str:
        return str(self._dom.op("str", self._id))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = self._dom.op("get", self._id, name)
        if value is _UNSET:
            raise AttributeError(f"{self._type} has no attribute {name!r} (undefined on the host)")
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._dom.op("set", self._id, name, (value,))

    def __delattr__(self, name: str) -> None:
        self._dom.op("del", self._id, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _none(self._dom.op("call", self._id, None, args + ((kwargs,) if kwargs else ())))

    def new(self, *args: Any, **kwargs: Any) -> Any:
        """``new`` this constructor on the host with ``args`` (``window.Date.new()``,
        as Pyodide's ``JsProxy.new``)."""
        return _none(self._dom.op("new", self._id, None, args + ((kwargs,) if kwargs else ())))

    def __len__(self) -> int:
        return int(self._dom.op("len", self._id))

    def __bool__(self) -> bool:
        return True  # a JS object is truthy; no request (and no len())

    def __getitem__(self, key: int | str) -> Any:
        if not isinstance(key, (int, str)) or isinstance(key, bool):
            raise TypeError(f"host object indices must be int or str, not {type(key).__name__}")
        value = self._dom.op("item", self._id, key)
        if value is _UNSET:
            if isinstance(key, int):
                raise IndexError(f"{self._type} index {key} out of range")
            raise KeyError(key)
        return value

    def __setitem__(self, key: int | str, value: Any) -> None:
        if not isinstance(key, (int, str)) or isinstance(key, bool):
            raise TypeError(f"host object indices must be int or str, not {type(key).__name__}")
        self._dom.op("setitem", self._id, key, (value,))

    def __iter__(self) -> Iterator[Any]:
        items = self._dom.op("list", self._id)
        return iter([_none(v) for v in items])

    def __contains__(self, value: Any) -> bool:
        return bool(self._dom.op("has", self._id, None, (value,)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HostProxy):
            return NotImplemented
        if other._id == self._id:
            return True
        return bool(self._dom.op("eq", self._id, None, (other,)))

    def __hash__(self) -> int:
        return hash(self._type)  # equal proxies (one JS object) share their type name


def _none(value: Any) -> Any:
    return None if value is _UNSET else value
