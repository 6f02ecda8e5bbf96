"""Page JavaScript calls Python: bindings on the host, tasks in workers.

As PyQWebWindow does for desktop pages, a page's JavaScript calls Python functions
through one object, ``backend`` by default::

    from pywebworker import page

    def hello():
        return "Hello from Python!"

    def long_running_task(name):          # runs in a worker: the page stays alive
        import time
        time.sleep(3)
        return f"Hello {name} from a worker!"

    page.register_binding(hello)
    page.register_task(long_running_task)

and in the page::

    await backend.ready;                              // or test globalThis.backendloaded
    const text = await backend.hello();
    const other = await backend.long_running_task("Ada");

A **binding** runs in the host's Pyodide (the page's thread: keep it short, or make it
``async def``); a **task** runs in a worker of a :class:`~pywebworker.WorkerPool` (given,
or one this module makes at the first registration without one), so the page keeps
drawing while it runs. Functions travel to the workers by value (cloudpickle), as with
``WorkerPool.submit``.

Arguments and results are JSON values and bytes (``Uint8Array`` or ``ArrayBuffer`` in,
``bytes`` out; ``bytes`` back, ``Uint8Array`` in JS), by the payload rules of calls (an
``int`` beyond ±(2**53 - 1) cannot go to JS: send it as ``str``). Anything else rejects
the call with a ``TypeError`` naming it and where it was. A Python exception rejects it
with an ``Error`` (``name`` ``"PythonError"``) whose ``message`` is ``str(exc)`` and
whose ``pythonType`` and ``pythonTraceback`` carry the exception's type name and its
traceback (a task's, from the worker). A name that is not registered rejects at once,
listing the names that are.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from typing import Any, Literal

from . import _js
from ._errors import PayloadError, RemoteError, error_info, report
from ._payload import dumps
from ._pool import WorkerPool, _pickle
from ._ports import PagePort
from ._wire import pack, unpack

# Names the JS object keeps for itself (js/page.js PWW_PAGE_RESERVED).
RESERVED = frozenset(("ready", "then", "toJSON"))
DEFAULT_NAME = "backend"

Kind = Literal["binding", "task"]


class _Entry:
    __slots__ = ("fn", "kind", "pool", "timeout")

    def __init__(self, kind: Kind, fn: Callable[..., Any], pool: WorkerPool | None, timeout: float | None) -> None:
        self.kind = kind
        self.fn = fn
        self.pool = pool
        self.timeout = timeout


def _error_data(exc: BaseException, type_error: bool) -> str:
    """The JSON of ``{type, message, traceback, js}`` that js/page.js turns into the
    rejection: a JS ``TypeError`` when ``type_error`` (a value that cannot cross), else
    a ``PythonError``. A task's ``RemoteError`` is shown as the worker's exception."""
    if type(exc) is RemoteError:  # raised by the task in its worker
        # PayloadError (a TypeError): the worker could not pickle the task's result.
        js = "TypeError" if exc.remote_type == "PayloadError" else ""
        return dumps({"type": exc.remote_type, "message": exc.remote_message, "traceback": exc.remote_traceback,
                      "js": js})
    info = error_info(exc)
    if isinstance(exc, RemoteError):  # WorkerStartError, WorkerFailedError: the worker's traceback
        info["stack"] = exc.remote_traceback
    return dumps({"type": info["name"], "message": info["message"], "traceback": info["stack"],
                  "js": "TypeError" if type_error else ""})


class Backend:
    """One object of the page, ``globalThis[name]``, through which JavaScript calls
    the Python functions registered on it.

    The module's functions (:func:`register_binding`...) use the default one, named
    ``backend`` (PyQWebWindow's name); make another with ``Backend("api")``. The JS
    object is made at the first registration, and its ``ready`` Promise resolves (and
    ``globalThis.<name>loaded`` becomes ``true``, and a ``<name>loaded`` event is
    dispatched on ``globalThis``) at the end of that JavaScript task: register every
    function in one go, before the first ``await``. Calls made before that wait for it.

    There is one object per name, as ``logging.getLogger`` has one logger per name:
    ``Backend("api") is Backend("api")``, so a notebook cell run again finds the object
    it made the first time.

    Parameters
    ----------
    name : str
        The global's name in JavaScript.

    Raises
    ------
    TypeError
        if ``name`` is not a ``str``.
    ValueError
        for an empty name; at the first registration, if ``globalThis[name]`` (or
        ``globalThis[name + "loaded"]``) is something of the page's already, or cannot
        be set.
    """

    _made: dict[str, Backend] = {}  # name -> the one object of that name

    def __new__(cls, name: str = DEFAULT_NAME) -> Backend:
        if not isinstance(name, str):
            raise TypeError(f"name must be str, not {type(name).__name__}")
        if not name:
            raise ValueError("name must not be empty")
        made = cls._made.get(name)
        if made is None:
            made = super().__new__(cls)
            made.name = name
            made._entries = {}
            made._port = None
            made._pool = None  # the one made for tasks registered without one
            made._running = set()  # the tasks answering calls
            cls._made[name] = made
        return made

    name: str
    _entries: dict[str, _Entry]
    _port: PagePort | None
    _pool: WorkerPool | None
    _running: set[asyncio.Future[Any]]

    # -- registering ---------------------------------------------------------------

    def register_binding(self, fn: Callable[..., Any] | None = None, name: str | None = None) -> Any:
        """Let JavaScript call ``fn`` as ``await <object>.<name>(...args)``; it runs in
        this Pyodide (the page's thread when Pyodide runs on the page). An ``async def``
        is awaited; a plain function holds the page while it runs.

        Usable as a decorator, with or without ``name``. Registering a name again
        replaces its function (calls already running finish with the old one).

        Parameters
        ----------
        fn : callable
            Called with the call's arguments (JSON values and ``bytes``).
        name : str | None
            The name in JavaScript; default ``fn.__name__``.

        Returns
        -------
        callable
            ``fn`` (a decorator when ``fn`` is left out).

        Raises
        ------
        TypeError
            if ``fn`` is not callable or ``name`` not a ``str``.
        ValueError
            for an empty name, or ``ready``, ``then`` or ``toJSON`` (the object's own);
            also as :class:`Backend` says, at the first registration.
        """
        if fn is None:
            return lambda f: self.register_binding(f, name)
        self._add(fn, name, "binding", None, None)
        return fn

    def register_bindings(self, fns: Iterable[Callable[..., Any]]) -> None:
        """:meth:`register_binding` for each function, under its own name."""
        for fn in list(fns):
            self.register_binding(fn)

    def register_task(
        self, fn: Callable[..., Any] | None = None, name: str | None = None, *, pool: WorkerPool | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Let JavaScript call ``fn`` as ``await <object>.<name>(...args)``; it runs in a
        worker of ``pool`` (``WorkerPool.apply``), so the page stays responsive.

        ``fn`` travels by value (cloudpickle): a function defined in the page's Python
        works; what it imports must be installed in the pool's workers (``WorkerPool(
        packages=...)``). Usable as a decorator, with or without arguments.

        Parameters
        ----------
        fn : callable
            Called in a worker with the call's arguments; may be ``async def``.
        name : str | None
            The name in JavaScript; default ``fn.__name__``.
        pool : WorkerPool | None
            Where it runs. Default: one pool this object makes at its first task
            registered without a pool (``WorkerPool()``: cores minus one workers), which
            starts then, so that the first call finds it warm; :meth:`close` stops it.
        timeout : float | None
            Seconds a call may run in its worker (``WorkerPool.apply``'s): past it the
            call rejects with ``pythonType`` ``"TimeoutError"``.

        Returns
        -------
        callable
            ``fn`` (a decorator when ``fn`` is left out).

        Raises
        ------
        TypeError
            if ``fn`` is not callable, ``name`` not a ``str`` or ``pool`` not a
            ``WorkerPool``; ValueError as :meth:`register_binding`.
        PayloadError
            (also a ``TypeError``) if cloudpickle cannot pickle ``fn`` (it is tried
            here once, so that the mistake shows here and not at each page call).
        """
        if fn is None:
            return lambda f: self.register_task(f, name, pool=pool, timeout=timeout)
        if pool is not None and not isinstance(pool, WorkerPool):
            raise TypeError(f"pool must be a WorkerPool, not {type(pool).__name__}")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds or None, not {timeout!r}")
        if callable(fn):
            _pickle(fn, (), {})  # here, where the mistake is made, not at every call of the page
        self._add(fn, name, "task", pool, timeout)
        return fn

    def register_tasks(self, fns: Iterable[Callable[..., Any]], *, pool: WorkerPool | None = None) -> None:
        """:meth:`register_task` for each function, under its own name, in ``pool``."""
        for fn in list(fns):
            self.register_task(fn, pool=pool)

    def unregister(self, name: str) -> None:
        """Remove ``name``: later calls of it reject as unknown; calls already running
        finish. Raises ``KeyError`` if it is not registered."""
        if name not in self._entries:
            raise KeyError(f"{self.name}.{name} is not registered")
        del self._entries[name]
        if self._port is not None:
            self._port.update([], [name])

    @property
    def names(self) -> dict[str, Kind]:
        """The registered names: ``{name: "binding" | "task"}``, in registration order."""
        return {name: e.kind for name, e in self._entries.items()}

    @property
    def pool(self) -> WorkerPool | None:
        """The pool this object made for its tasks, or ``None`` (none made yet)."""
        return self._pool

    def close(self) -> None:
        """Remove the object from the page: calls still waiting or running reject
        (their Python work is cancelled where it can be: a binding's coroutine, a task
        still queued), names are forgotten, and the pool this object made is killed
        (its running tasks too: their calls were rejected). Registering again makes the
        object anew (a new ``ready``; for a task, a new pool), as a notebook re-running
        its cells needs (the module's functions are bound to the default object).
        Closing twice, or before any registration, does nothing."""
        self._entries.clear()
        port, self._port = self._port, None
        if port is not None:
            port.close()
        for fut in list(self._running):
            fut.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            # Killed, not closed: every call of it was rejected above, so a task still
            # running (a loop that never ends) would only hold a worker for no one.
            pool.kill()

    def __repr__(self) -> str:
        state = "not on the page" if self._port is None else f"{len(self._entries)} names"
        return f"<pywebworker.page.Backend {self.name!r} ({state})>"

    # -- inside --------------------------------------------------------------------

    def _add(self, fn: Callable[..., Any], name: str | None, kind: Kind, pool: WorkerPool | None,
             timeout: float | None) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        if name is None:
            name = getattr(fn, "__name__", None)
            if not isinstance(name, str) or name == "<lambda>":
                raise ValueError(f"{fn!r} has no usable __name__: give name=")
        if not isinstance(name, str):
            raise TypeError(f"name must be str, not {type(name).__name__}")
        if not name or name in RESERVED:
            raise ValueError(f"{name!r} cannot be registered: the object's own names are {sorted(RESERVED)}")
        port = self._open()
        if kind == "task" and pool is None:
            if self._pool is None:
                self._pool = WorkerPool(name=f"{self.name}-tasks")
            pool = self._pool
        self._entries[name] = _Entry(kind, fn, pool, timeout)
        port.update([name], [])

    def _open(self) -> PagePort:
        if self._port is None:
            self._port = _js.runtime().page(self.name, self._dispatch)
        return self._port

    def _dispatch(self, call_id: int, name: str, text: str, bufs: list[bytes]) -> None:
        """A call from the page. Never raises into JavaScript: every outcome, also a
        failure here, is answered through the port."""
        if self._port is None:  # closed: the page rejected its calls then
            return
        call = _Call(self._port, call_id, f"{self.name}.{name}()")
        try:
            entry = self._entries.get(name)
            if entry is None:  # unregistered between the page's check and now
                raise NameError(f"{self.name}.{name} is not registered")
            args = unpack(text, bufs, js_numbers=True)
            if entry.kind == "binding":
                result = entry.fn(*args)
                if inspect.isawaitable(result):
                    self._follow(call, result)
                else:
                    call.answer(result)
                return
            assert entry.pool is not None
            try:
                fut = entry.pool.apply(entry.fn, args, timeout=entry.timeout)
            except PayloadError as exc:  # the function cannot be pickled
                call.fail(exc, type_error=True)
                return
            self._follow(call, fut)
        except BaseException as exc:  # SystemExit too: nothing may leave a JS event handler
            call.fail(exc)

    def _follow(self, call: _Call, awaitable: Any) -> None:
        """Answer ``call`` with what ``awaitable`` gives, from a task that answers as soon
        as it has it (no done callback: one trip through the event loop fewer).
        :meth:`close` cancels the task, and with it what it awaits."""
        coro = self._settle_later(call, awaitable)
        loop = asyncio.get_event_loop()
        eager = getattr(asyncio, "eager_task_factory", None)  # Python >= 3.12
        # Started at once, as a plain call is: an `async def` that does not wait for
        # anything answers before this returns, with no trip through the event loop.
        task = eager(loop, coro) if eager is not None and loop.is_running() else asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _settle_later(self, call: _Call, awaitable: Any) -> None:
        try:
            result = await awaitable
        except asyncio.CancelledError as exc:
            if call.port is not self._port:
                raise  # close(): the page's call was rejected then
            # Cancelled by someone else: say so.
            call.fail(asyncio.CancelledError(f"{call.what} was cancelled: {exc}".rstrip(": ")))
            return
        except BaseException as exc:
            call.fail(exc)
            return
        call.answer(result)


class _Call:
    """One call from the page, answered once through the port it came from (a port
    closed since answers nothing)."""

    __slots__ = ("id", "port", "what")

    def __init__(self, port: PagePort, call_id: int, what: str) -> None:
        self.port = port
        self.id = call_id
        self.what = what  # "backend.name()"

    def answer(self, result: Any) -> None:
        try:
            text, bufs = pack(result, f"the result of {self.what}", js_numbers=True)
        except PayloadError as exc:
            self.fail(exc, type_error=True)
            return
        except BaseException as exc:  # a hostile object's hooks (__len__, __iter__...)
            self.fail(exc)
            return
        self._settle(True, text, bufs)

    def fail(self, exc: BaseException, *, type_error: bool = False) -> None:
        self._settle(False, _error_data(exc, type_error), [])

    def _settle(self, ok: bool, text: str, bufs: list[bytes]) -> None:
        try:
            self.port.settle(self.id, ok, text, bufs)
        except BaseException as exc:
            report(f"pywebworker: could not answer the page's call of {self.what}", exc)


backend = Backend()
register_binding = backend.register_binding
register_bindings = backend.register_bindings
register_task = backend.register_task
register_tasks = backend.register_tasks
unregister = backend.unregister

__all__ = [
    "Backend",
    "backend",
    "register_binding",
    "register_bindings",
    "register_task",
    "register_tasks",
    "unregister",
]
