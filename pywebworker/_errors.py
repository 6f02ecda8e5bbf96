"""Exceptions raised by pywebworker; one base class, subclasses by meaning.

Error codes from the C core (``csrc/pww.h``) map to exactly one class each, by the
code's name (:func:`from_core`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._constants import ERRORS

if TYPE_CHECKING:
    from ._ports import ErrorInfo

__all__ = [
    "PyWebWorkerError",
    "WorkerStateError",
    "QueueFullError",
    "PayloadError",
    "MessageIndexError",
    "MessageReleasedError",
    "CoreError",
    "RemoteError",
    "WorkerStartError",
    "WorkerKilledError",
    "WorkerFailedError",
    "NotExportedError",
    "SharedMemoryError",
]


class PyWebWorkerError(Exception):
    """Base class of every error pywebworker raises."""


class WorkerStateError(PyWebWorkerError, RuntimeError):
    """The worker (or pool) is in the wrong lifecycle state for this call.

    Raised by ``start()`` on a worker already started, by ``send_message()`` on a
    worker that is killed or failed, and by a pool's ``submit`` once it is closed or
    killed. Also a ``RuntimeError``, as ``concurrent.futures`` raises for a submit
    after ``shutdown()``.
    """


class SharedMemoryError(PyWebWorkerError, RuntimeError):
    """This page or worker cannot share memory (``SharedArrayBuffer`` and
    ``Atomics.wait``), which ``interrupt()`` and a JsWorker's or MicroPython worker's
    synchronous calls need: the page is not cross-origin isolated. Its message names the
    two headers a page needs. A PyWorker's blocking features (``parent.sync``,
    ``parent.window``, ``input()``) and ``wait_for_messages()`` block with JSPI instead
    where the engine has it, and raise it only where it has not, naming both ways out;
    ``wait_for_messages()`` also on a browser page's main thread (``Atomics.wait`` is
    not allowed there) without JSPI."""


class QueueFullError(PyWebWorkerError):
    """A queue's limit (messages or bytes) would be exceeded; nothing was queued."""


class PayloadError(PyWebWorkerError, TypeError):
    """The value cannot be sent: not ``str``, bytes-like or JSON-compatible data.

    Also a ``TypeError``, as ``json.dumps`` raises for the same input.
    """


class MessageIndexError(PyWebWorkerError, IndexError):
    """No message has this index (``get_message`` out of range)."""


class MessageReleasedError(MessageIndexError):
    """The message at this index was released by ``clear_read()``."""


class CoreError(PyWebWorkerError):
    """Any other error code from the C core.

    Attributes
    ----------
    code : int
        The negative error code (``csrc/pww.h``).
    name : str
        Its symbolic name, such as ``"ENOMEM"``.
    """

    def __init__(self, message: str, code: int = 0, name: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.name = name


class RemoteError(PyWebWorkerError):
    """An error that happened inside the worker, carried back as data.

    Attributes mirror pyodide's ``HttpStatusError`` style: typed fields, not one
    formatted string.

    Attributes
    ----------
    remote_type : str
        The error's type in the worker (``"ZeroDivisionError"``, ``"TypeError"``).
    remote_message : str
        Its message: ``str(exception)`` for a Python error, ``error.message`` for a
        JavaScript one.
    remote_traceback : str
        For a Python error, its traceback as Python prints it, trimmed to the user's
        code (``File "/worker/<name>.py", line N, in f``; no frames of pywebworker or
        Pyodide); for a JavaScript error its ``stack``; ``""`` when there is none.
    """

    def __init__(self, remote_type: str, remote_message: str, remote_traceback: str = "") -> None:
        super().__init__(f"{remote_type}: {remote_message}".rstrip())
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_traceback = remote_traceback


class RemoteTraceback(Exception):  # noqa: N818 - CPython's name for it (_RemoteTraceback)
    """The worker's traceback, as the ``__cause__`` of an exception that a task raised
    and the standard library's layers re-raise as its own type (CPython's process pool
    sets the same kind of cause: ``concurrent.futures.process._RemoteTraceback``)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb}"""'


def outcome(value: Any) -> Any:
    """The result of a task run by ``_task.capture``: its value, or its exception
    raised as its own type with the worker's traceback as ``__cause__``.

    Raises
    ------
    Exception
        the task's own exception (``except ValueError`` catches it).
    RemoteError
        where that exception could not be pickled in the worker or unpickled here, and
        for what Python reserves for leaving (``SystemExit``, ``KeyboardInterrupt``,
        ``GeneratorExit`` in a task): they must not end the host's Python.
    """
    ok, payload = value
    if ok:
        return payload
    blob, name, message, tb = payload
    exc: BaseException | None = None
    if blob is not None:
        import cloudpickle

        try:
            exc = cloudpickle.loads(blob)
        except BaseException:  # noqa: BLE001 - a class the host lacks: RemoteError
            exc = None
    if not isinstance(exc, Exception):
        exc = RemoteError(name, message, tb)
    exc.__cause__ = RemoteTraceback(tb)
    raise exc


class WorkerStartError(RemoteError):
    """The worker failed before it was ready: script not found, syntax error, an
    exception at the top level, a package that could not be installed."""


class WorkerFailedError(RemoteError):
    """The worker failed after it was ready (an uncaught error, or it exited)."""


class NotExportedError(PyWebWorkerError, AttributeError):
    """The name called is not exported (by a ready worker) or not exposed (by the host).

    Also an ``AttributeError``, as ``worker.exports.name`` is an attribute lookup.

    Attributes
    ----------
    name : str
        The name that was called.
    exported : list[str]
        The names that are exported (or exposed), to pick from.
    """

    def __init__(self, message: str, name: str = "", exported: list[str] | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.exported = list(exported or [])


class WorkerKilledError(PyWebWorkerError):
    """The worker was killed while something awaited it."""


_BY_NAME: dict[str, type[PyWebWorkerError]] = {
    "EFULL": QueueFullError,
    "ESTATE": WorkerStateError,
    "ERANGE": MessageIndexError,
    "ERELEASED": MessageReleasedError,
}


_CODES: dict[int, tuple[str, str]] = {code: (name, text) for name, (code, text) in ERRORS.items()}


def from_core(code: int, context: str = "") -> PyWebWorkerError:
    """Return the exception for C core error ``code`` (``_constants.ERRORS``), with
    ``context`` saying what was being done. An unknown code gives a ``CoreError``
    named ``"UNKNOWN"``."""
    name, text = _CODES.get(code, ("UNKNOWN", f"error code {code}"))
    cls = _BY_NAME.get(name)
    message = f"{context}: {text} ({name})" if context else f"{text} ({name})"
    if cls is None:
        return CoreError(message, code, name)
    return cls(message)


def _internal_dirs() -> tuple[str, ...]:
    """Directories whose frames a user never wants in a remote traceback: this
    package's own modules and Pyodide's (``_pyodide``, ``pyodide``), which run the
    script, the calls and the handlers."""
    dirs = [os.path.dirname(os.path.abspath(__file__))]
    for name in ("_pyodide", "pyodide"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            dirs.append(os.path.dirname(os.path.abspath(path)))
    return tuple(d + os.sep for d in dirs)


def format_user_traceback(exc: BaseException) -> str:
    """``exc``'s traceback as Python prints it, without the frames of pywebworker and
    Pyodide: what ``RemoteError.remote_traceback`` carries for a Python error.

    Chained exceptions (``__cause__``, ``__context__``, exception groups) are trimmed
    the same way. A ``SyntaxError`` in the script keeps Python's form (file, line, the
    caret), which has no ``Traceback`` header.
    """
    internal = _internal_dirs()
    top = traceback.TracebackException.from_exception(exc)
    todo, seen = [top], set()
    while todo:
        te = todo.pop()
        if id(te) in seen:
            continue
        seen.add(id(te))
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if not f.filename.startswith(internal)])
        todo.extend(t for t in (te.__cause__, te.__context__) if t is not None)
        todo.extend(getattr(te, "exceptions", None) or ())
    return "".join(top.format())


def report(message: str, exc: BaseException) -> None:
    """Show ``exc``, raised while handling an event from JavaScript, where nothing can
    catch it: through the event loop's exception handler, as ``asyncio`` reports a
    failing callback (by default a log record with the traceback on ``sys.stderr``;
    ``loop.set_exception_handler`` changes that).

    Never raises: an exception leaving a JS event handler would end a Node process.
    """
    try:
        asyncio.get_event_loop().call_exception_handler({"message": message, "exception": exc})
        return
    except BaseException:  # no loop, or a handler that raised: print it ourselves
        pass
    try:
        print(message, file=sys.stderr)
        traceback.print_exception(exc)
    except BaseException:  # stderr is gone: nowhere left to show it
        pass


def guarded(fn: Callable[..., Any], what: str) -> Callable[..., None]:
    """``fn`` made safe to hand to JavaScript as an event handler: anything it raises,
    ``BaseException`` included, is shown with :func:`report` instead of going back
    into JS (which in Node would end the process)."""

    def handler(*args: Any) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            report(f"pywebworker: error while handling {what}", exc)

    return handler


def error_info(exc: BaseException, message: str | None = None) -> ErrorInfo:
    """``exc`` as data (``{name, message, stack}``, what crosses the wire): the one
    place Python builds it. ``message`` replaces ``str(exc)``; ``stack`` is the
    traceback trimmed to the user's code (:func:`format_user_traceback`).

    Never raises: an exception whose ``str()`` (or traceback) fails still becomes data.
    """
    name = type(exc).__name__
    if message is None:
        try:
            message = str(exc)
        except BaseException:  # a hostile __str__: the type name still says what happened
            message = f"<{name}: str() failed>"
    try:
        stack = format_user_traceback(exc)
    except BaseException:  # as above
        stack = ""
    return {"name": name, "message": message, "stack": stack}


def remote_error(info: Any, cls: type[RemoteError] = RemoteError) -> RemoteError:
    """``cls`` built from error data (``{name, message, stack}``) that came over the
    wire: the one reader. Missing or non-string fields are tolerated."""
    if not isinstance(info, dict):
        info = {"message": "" if info is None else str(info)}

    def field(key: str, default: str) -> str:
        value = info.get(key, default)
        return value if isinstance(value, str) else default if value is None else str(value)

    return cls(field("name", "Error") or "Error", field("message", ""), field("stack", ""))
