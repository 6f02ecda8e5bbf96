"""Calls between the host and a worker: packing values, pending calls, exposed functions.

Plain Python over a small JS API (``js/host.js`` on the host, ``js/pyworker.js`` inside
a PyWorker); no ``js`` import here. The pending-call table and its ids live in the C
core (``pww_call_*``); this module keeps only what to resume: one future per call id.

Wire format (``js/protocol.js``): arguments and results are JSON text; bytes travel
beside it as transferred ``ArrayBuffer`` objects, referred to in the JSON by the marker
object ``{"\\u0000b": index}``. So ``bytes`` stay ``bytes`` and nothing is converted
element by element across the JS boundary.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from . import _js
from ._endpoint import _deadline
from ._errors import NotExportedError, PayloadError, PyWebWorkerError, RemoteError, format_user_traceback, report
from ._payload import MARK, check, dumps_exact, error_from_json

# Counters of pww_call_stat, by index (csrc/pww.h pww_call_stat_t).
CALL_STATS = ("pending", "begun", "ended", "cancelled", "late")


def pack(value: Any, what: str = "", js_numbers: bool = False) -> tuple[str, list[bytes]]:
    """``(json_text, bufs)`` for ``value``: bytes-like objects anywhere become markers.

    The JSON text reaches the other side unchanged, so between two Pythons every value
    the rules allow arrives exactly (big ints included, ``1.0`` stays a float).
    ``js_numbers``: the other side is JavaScript (ints beyond ±(2**53 - 1) refused).

    Raises
    ------
    PayloadError
        (also a ``TypeError``) for a value the payload rules refuse; ``what`` says
        which argument or result it was.
    """
    bufs: list[bytes] = []
    try:
        return dumps_exact(check(value, "", 0, bufs, js_numbers)), bufs
    except PayloadError as exc:
        raise PayloadError(f"{what}: {exc}" if what else str(exc)) from None


def _revive(bufs: list[bytes]) -> Callable[[dict[str, Any]], Any]:
    def hook(d: dict[str, Any]) -> Any:
        if len(d) == 1 and MARK in d:
            return bufs[d[MARK]]
        return d

    return hook


def unpack(text: str, bufs: Any) -> Any:
    """Decode JSON text from the other side; ``bufs`` is a JS array of ``ArrayBuffer``
    (or ``None``): markers become ``bytes``."""
    if not bufs:
        return json.loads(text)
    data = [b.to_bytes() for b in bufs]
    return json.loads(text, object_hook=_revive(data))


def _js_bufs(bufs: list[bytes]) -> Any:
    return _js.to_js(bufs) if bufs else None


def _error_info(exc: BaseException) -> dict[str, str]:
    """``{name, message, stack}`` of ``exc``; never raises (an exception whose ``str()``
    fails still becomes a reply)."""
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__: the type name still says what happened
        message = f"<{type(exc).__name__}: str() failed>"
    try:
        stack = format_user_traceback(exc)
    except BaseException:  # as above
        stack = ""
    return {"name": type(exc).__name__, "message": message, "stack": stack}


async def _outcome(awaitable: Awaitable[Any]) -> tuple[bool, Any]:
    """Await an async export's result: ``(True, value)`` or ``(False, exception)``.

    Catching ``BaseException`` here matters: a task whose coroutine raises
    ``SystemExit`` or ``KeyboardInterrupt`` re-raises it out of the event loop, which in
    Pyodide is a JS timer callback (in Node that ends the process). Cancellation still
    cancels.
    """
    try:
        return True, await awaitable
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        return False, exc


def _batch_items(text: str, reject: Callable[[int, BaseException], None]) -> list[Any]:
    """The items of a batch (a JSON array of ``[id, ...]`` items, js/protocol.js).

    When the whole text does not decode (one item too deep, or with an int over the
    digits limit), each item is decoded alone: ``reject(id, exc)`` is called for those
    that fail, and the others are returned, so that one bad item fails only its call.
    """
    try:
        items: list[Any] = json.loads(text)
        return items
    except Exception:
        pass
    good: list[Any] = []
    for part in _split_items(text):
        try:
            good.append(json.loads(part))
        except Exception as exc:
            head = _ITEM_ID.match(part)
            if head is None:
                raise
            reject(int(head.group(1)), exc)
    return good


_ITEM_ID = re.compile(r"\[\s*(-?\d+)\s*,")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _split_items(text: str) -> list[str]:
    """The texts of the top-level items of a JSON array, found by bracket depth
    (strings skipped). Only used when the whole array did not decode."""
    parts: list[str] = []
    depth, start = 0, 0
    for tok in _TOKENS.finditer(text):
        c = tok.group()
        if c in "[{":
            depth += 1
            if depth == 2:
                start = tok.start()
        elif c in "]}":
            depth -= 1
            if depth == 1:
                parts.append(text[start : tok.end()])
    return parts


def _resolve_now(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """Complete each future with ``(fut, ok, result or exception)`` and run its done
    callbacks (an awaiting task's wake-up, ``gather``'s bookkeeping) right here.

    asyncio would schedule every callback with ``call_soon``, which in Pyodide is one
    JS task each. Running them now is what the loop would do next anyway; it is done
    only when this loop is the running one and no task is executing (we are called
    from a JS event), and otherwise falls back to ``call_soon``. It reads the private
    ``Future._callbacks`` (checked on CPython 3.13 and 3.14, Pyodide 0.29 and 314);
    where that is missing, callbacks simply go through ``call_soon``.
    """
    if not settled:
        return
    loop = settled[0][0].get_loop()
    now = asyncio._get_running_loop() is loop and asyncio.current_task(loop) is None
    pending: list[tuple[asyncio.Future[Any], Any, Any]] = []
    for fut, ok, value in settled:
        callbacks = getattr(fut, "_callbacks", None) if now else None
        if callbacks:
            for cb, ctx in callbacks:
                fut.remove_done_callback(cb)
                pending.append((fut, cb, ctx))
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
    for fut, cb, ctx in pending:
        try:
            ctx.run(cb, fut)
        except BaseException as exc:  # SystemExit too: raised into a JS event, it would end Node
            report(f"Exception in callback {cb!r}", exc)


class Exports:
    """``worker.exports.name(*args)``: each attribute is an awaitable call.

    ``dir()`` lists the exported names once the worker is ready. Asking for a name the
    ready worker does not export raises :class:`NotExportedError` (an
    ``AttributeError``) at once.
    """

    __slots__ = ("_caller",)

    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        names = self._caller._export_names()
        if names is not None and name not in names:
            raise self._caller._not_exported(name, names)

        def call(*args: Any, timeout: float | None = None) -> Any:
            return self._caller.call(name, *args, timeout=timeout)

        call.__name__ = call.__qualname__ = name
        return call

    def __dir__(self) -> Iterable[str]:
        return list(self._caller._export_names() or ())

    def __repr__(self) -> str:
        names = self._caller._export_names()
        return f"<exports {'(not ready)' if names is None else ', '.join(names) or '(none)'}>"


class Caller:
    """Calls from this side to the other: futures keyed by the core's call ids."""

    _export_kind = "worker"  # what the other side is, for messages
    _js_numbers = False  # whether the other side is JavaScript (payload rules for ints)

    def __init__(self) -> None:
        self._calls: dict[int, asyncio.Future[Any]] = {}
        self._timers: dict[int, Callable[[], None]] = {}
        self._exposed: dict[str, Callable[..., Any]] = {}

    # -- what subclasses provide ----------------------------------------------------
    def _export_names(self) -> list[str] | None:
        """The other side's exported names, ``None`` while not known yet."""
        raise NotImplementedError

    def _can_post_now(self) -> bool:
        """Whether a call can be posted at once (the other side is ready)."""
        return True

    def _call_post(self, name: str, args: str, bufs: Any) -> int:
        """Begin a call in the core and post it; the call id or a negative code."""
        raise NotImplementedError

    async def _call_prepare(self, name: str, deadline: float | None) -> int:
        """Wait until the other side can take ``name``; returns a call id already begun
        in the core, or 0 to say "begin and post in one go" (``_call_post``)."""
        return 0

    def _call_send(self, call_id: int, name: str, args: str, bufs: Any) -> None:
        raise NotImplementedError

    def _call_cancel(self, call_id: int) -> None:
        raise NotImplementedError

    def _call_reply(self, call_id: int, ok: bool, value: Any, bufs: Any) -> None:
        raise NotImplementedError

    def _raise(self, code: int, context: str) -> None:
        raise NotImplementedError

    # -- calling ------------------------------------------------------------------------
    def _not_exported(self, name: str, names: list[str]) -> NotExportedError:
        listed = ", ".join(names) if names else "(none)"
        return NotExportedError(f"{name!r} is not exported by the {self._export_kind}; exported: {listed}", name, names)

    def call(self, name: str, *args: Any, timeout: float | None = None) -> Awaitable[Any]:
        """Call the function ``name`` that the other side exports; await the result.

        Once the worker is ready the call is posted before this returns (calls made in
        one go travel together), and the result is an ``asyncio.Future``; before that,
        a task that waits for the worker first.

        Parameters
        ----------
        name : str
            An exported name (``__export__`` in a PyWorker, ``pywebworker.expose`` in a
            JsWorker, ``worker.expose`` on the host).
        *args
            Arguments, following the payload rules: ``str``, bytes-like (arrive as
            ``bytes`` / ``ArrayBuffer``), ``None``, ``bool``, ``int``, ``float``,
            ``list``, ``tuple`` (arrives as a list) and ``dict`` with ``str`` keys, nested
            freely.
        timeout : float | None
            Seconds, counted from this call (including any wait for the worker to be
            ready); any finite value >= 0; ``None`` or ``float("inf")`` waits for ever.

        Returns
        -------
        Awaitable
            Its result is the function's result, under the same payload rules.

        Raises
        ------
        RemoteError
            if the function raised: ``remote_type``, ``remote_message`` and
            ``remote_traceback`` describe it.
        NotExportedError
            (also an ``AttributeError``) if the ready worker does not export ``name``;
            it lists the names that are exported.
        PayloadError
            (also a ``TypeError``) if an argument cannot be sent; nothing is sent.
            Between two Pythons ints of any size travel exactly; to a JsWorker, ints
            beyond ±(2**53 - 1) are refused (send them as ``str``).
        TypeError, ValueError
            if ``timeout`` is not a number, or is NaN or negative.
        TimeoutError
            after ``timeout`` seconds; a reply that comes later is dropped.
        WorkerKilledError, WorkerFailedError, WorkerStartError
            if the worker is killed, fails, or fails to start while the call is
            pending (every pending call is rejected at once).

        All of these are raised by the ``await``, not by ``call`` itself.
        """
        if not self._can_post_now():
            return asyncio.ensure_future(self._call_later(name, args, timeout))
        fut: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        try:
            deadline = _deadline(timeout)
            text, bufs = pack(list(args), f"arguments of {name}()", self._js_numbers)
            names = self._export_names()
            if names is not None and name not in names:
                raise self._not_exported(name, names)
            call_id = int(self._call_post(name, text, _js_bufs(bufs)))
            if call_id < 0:
                self._raise(call_id, f"call {name}()")
        except Exception as exc:
            fut.set_exception(exc)
            return fut
        self._track(fut, call_id, name, deadline)
        return fut

    async def _call_later(self, name: str, args: tuple[Any, ...], timeout: float | None) -> Any:
        """A call made before the worker was ready: wait for it, then post."""
        deadline = _deadline(timeout)
        text, bufs = pack(list(args), f"arguments of {name}()", self._js_numbers)
        call_id = await self._call_prepare(name, deadline)
        js_bufs = _js_bufs(bufs)
        if call_id == 0:
            names = self._export_names()
            if names is not None and name not in names:
                raise self._not_exported(name, names)
            call_id = int(self._call_post(name, text, js_bufs))
            if call_id < 0:
                self._raise(call_id, f"call {name}()")
        else:
            self._call_send(call_id, name, text, js_bufs)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._track(fut, call_id, name, deadline)
        return await fut

    def _track(self, fut: asyncio.Future[Any], call_id: int, name: str, deadline: float | None) -> None:
        """Keep ``fut`` until its reply. A timeout or a cancelled await gives the call
        up in the core (its reply, if it comes, is counted late and dropped)."""
        self._calls[call_id] = fut
        if deadline is not None:

            def expire() -> None:
                self._timers.pop(call_id, None)
                if self._calls.get(call_id) is fut:
                    del self._calls[call_id]
                    fut.set_exception(TimeoutError(f"{name}() timed out"))  # first: settled whatever follows
                    self._call_cancel(call_id)

            self._timers[call_id] = _js.set_timeout(expire, deadline - time.monotonic())
        # Runs only when the future ends without a reply (cancelled): _settle removes it.
        fut.add_done_callback(functools.partial(self._call_done, call_id))

    def _call_done(self, call_id: int, fut: asyncio.Future[Any]) -> None:
        if self._calls.get(call_id) is fut:
            del self._calls[call_id]
            self._call_cancel(call_id)
        cancel = self._timers.pop(call_id, None)
        if cancel is not None:
            cancel()

    def _settle(self, call_id: int, ok: bool, value: Any, bufs: Any) -> None:
        """A reply came for a pending call (the JS glue already ended it in the core)."""
        fut = self._take(call_id)
        if fut is None:
            return
        try:  # a reply we cannot decode still settles the call
            if ok:
                fut.set_result(unpack(value, bufs))
            else:
                fut.set_exception(error_from_json(value, RemoteError))
        except Exception as exc:
            if not fut.done():
                fut.set_exception(exc)

    def _take(self, call_id: int) -> asyncio.Future[Any] | None:
        fut = self._calls.pop(call_id, None)
        cancel = self._timers.pop(call_id, None)
        if cancel is not None:
            cancel()
        return None if fut is None or fut.done() else fut

    def _settle_batch(self, text: str, bufs: Any, late: Any) -> None:
        """Replies to a batch of calls (protocol.js ``C_RETURNS``), already ended in the
        core; ``late`` lists the ids the core had given up (or is ``None``).

        The futures are resolved and their waiters run now, in this JS task, instead of
        one event-loop turn each (Pyodide's loop pays a JS task per ``call_soon``); when
        that is not safe (a task is running) they are scheduled as usual.
        """
        skip = set(late.to_py()) if late else ()
        settled: list[tuple[asyncio.Future[Any], bool, Any]] = []

        def reject(call_id: int, exc: BaseException) -> None:
            fut = None if call_id in skip else self._take(call_id)
            if fut is not None:
                settled.append((fut, False, exc))

        for call_id, ok, value, k in _batch_items(text, reject):
            if call_id in skip:
                continue
            fut = self._take(call_id)
            if fut is None:
                continue
            try:  # a reply we cannot decode still settles its call, and only its call
                if not ok:
                    err = RemoteError(value.get("name", "Error"), value.get("message", ""), value.get("stack", ""))
                    settled.append((fut, False, err))
                    continue
                if k >= 0:
                    value = unpack(value, bufs[k])
            except Exception as exc:
                settled.append((fut, False, exc))
                continue
            settled.append((fut, True, value))
        _resolve_now(settled)

    def _reject_calls(self, exc_factory: Callable[[], PyWebWorkerError]) -> int:
        """Reject every pending call (the other side is gone); returns how many."""
        calls, self._calls = self._calls, {}
        for fut in calls.values():
            if not fut.done():
                fut.set_exception(exc_factory())
        return len(calls)

    # -- serving the other side's calls -----------------------------------------------
    def expose(self, fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        """Let the other side call ``fn`` (a plain or ``async`` function) by ``name``.

        Usable as a decorator (``@worker.expose``). Exposing another function under
        the same name replaces it.

        Parameters
        ----------
        fn : callable
            Called with the arguments sent (payload rules); its result (awaited if it is
            a coroutine) is sent back; an exception it raises reaches the caller as a
            ``RemoteError`` with its traceback.
        name : str | None
            The name to call it by; default ``fn.__name__``.

        Returns
        -------
        callable
            ``fn`` itself.

        Raises
        ------
        TypeError
            if ``fn`` is not callable.
        """
        if fn is None:
            return lambda f: self.expose(f, name=name)
        if not callable(fn):
            raise TypeError(f"expose() needs a callable, not {type(fn).__name__}")
        self._exposed[name or fn.__name__] = fn
        return fn

    def _on_call(self, call_id: int, name: str, args: str, bufs: Any) -> None:
        """Run an exposed function for the other side and reply. A sync function replies
        before this returns: no event-loop hop. Whatever the function does (raise
        ``SystemExit``, return something that cannot be sent), the call gets a reply."""
        fn = self._exposed.get(name)
        try:
            if fn is None:
                raise self._not_exported_here(name)
            result = fn(*unpack(args, bufs))
        except BaseException as exc:
            self._reply_error(call_id, exc)
            return
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            task = asyncio.ensure_future(_outcome(result))
            task.add_done_callback(functools.partial(self._task_reply, call_id, name))
        else:
            self._send_result(call_id, name, result)

    def _on_calls(self, text: str, bufs: Any) -> None:
        """A batch of the other side's calls (protocol.js ``C_CALLS``). The replies of
        the plain functions leave together, in one message; an ``async`` function's
        reply leaves when it is done."""
        out = _Replies(self._js_numbers)
        for call_id, name, args, k in _batch_items(text, out.error):
            fn = self._exposed.get(name)
            try:
                if fn is None:
                    raise self._not_exported_here(name)
                result = fn(*(args if k < 0 else unpack(args, bufs[k])))
            except BaseException as exc:  # SystemExit too: it fails this call, not the worker
                out.error(call_id, exc)
                continue
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                task = asyncio.ensure_future(_outcome(result))
                task.add_done_callback(functools.partial(self._batch_task_reply, call_id, name))
            else:
                out.result(call_id, name, result)
        if out.ids:
            self._post_replies(out)

    def _batch_task_reply(self, call_id: int, name: str, task: asyncio.Future[tuple[bool, Any]]) -> None:
        """An async export of a batch finished: its reply leaves alone. Runs as a
        done callback, so it reports what it cannot send instead of raising."""
        try:
            out = _Replies(self._js_numbers)
            if task.cancelled():
                out.error(call_id, asyncio.CancelledError(f"{name}() was cancelled"))
            else:
                ok, value = task.result()
                if ok:
                    out.result(call_id, name, value)
                else:
                    out.error(call_id, value)
            self._post_replies(out)
        except BaseException as exc:
            report(f"pywebworker: could not reply to the call of {name}()", exc)

    def _post_replies(self, out: _Replies) -> None:
        """Post ``out``; if that fails, post each call's failure instead, so that no
        call of the batch is left without a reply."""
        try:
            self._call_replies(out)
        except Exception as exc:
            failed = _Replies(self._js_numbers)
            for call_id in out.ids:
                failed.error(call_id, exc)
            self._call_replies(failed)

    def _call_replies(self, out: _Replies) -> None:
        """Post a batch of replies (protocol.js ``C_RETURNS``)."""
        raise NotImplementedError

    def _not_exported_here(self, name: str) -> NotExportedError:
        names = sorted(self._exposed)
        listed = ", ".join(names) if names else "(none)"
        side = "worker" if self._export_kind == "host" else "host"
        return NotExportedError(f"{name!r} is not exposed by the {side}; exposed: {listed}", name, names)

    def _task_reply(self, call_id: int, name: str, task: asyncio.Future[tuple[bool, Any]]) -> None:
        """An async export finished (a done callback: reports instead of raising)."""
        try:
            if task.cancelled():
                self._reply_error(call_id, asyncio.CancelledError(f"{name}() was cancelled"))
                return
            ok, value = task.result()
            if ok:
                self._send_result(call_id, name, value)
            else:
                self._reply_error(call_id, value)
        except BaseException as exc:
            report(f"pywebworker: could not reply to the call of {name}()", exc)

    def _send_result(self, call_id: int, name: str, result: Any) -> None:
        """Reply with ``result``, or with why it cannot be sent (a ``PayloadError``)."""
        try:
            text, bufs = pack(result, f"the result of {name}()", self._js_numbers)
            js_bufs = _js_bufs(bufs)
        except BaseException as exc:
            self._reply_error(call_id, exc)
            return
        self._call_reply(call_id, True, text, js_bufs)

    def _reply_error(self, call_id: int, exc: BaseException) -> None:
        self._call_reply(call_id, False, _js.to_js(_error_info(exc)), None)


class _Replies:
    """Replies being gathered into one ``C_RETURNS`` message (items: js/protocol.js)."""

    __slots__ = ("parts", "bufs", "ids", "js_numbers")

    def __init__(self, js_numbers: bool = False) -> None:
        self.parts: list[str] = []
        self.bufs: list[list[bytes]] = []
        self.ids: list[int] = []
        self.js_numbers = js_numbers

    def result(self, call_id: int, name: str, result: Any) -> None:
        """Add ``result``, or, if it cannot be sent, why (only this call fails)."""
        try:
            text, bufs = pack(result, f"the result of {name}()", self.js_numbers)
        except BaseException as exc:  # whatever packing raises (a hostile dict's items())
            self.error(call_id, exc)
            return
        self.ids.append(call_id)
        if bufs:
            self.parts.append(f"[{call_id},1,{json.dumps(text)},{len(self.bufs)}]")
            self.bufs.append(bufs)
        else:
            self.parts.append(f"[{call_id},1,{text},-1]")

    def error(self, call_id: int, exc: BaseException) -> None:
        self.ids.append(call_id)
        self.parts.append(f"[{call_id},0,{json.dumps(_error_info(exc))},-1]")

    def text(self) -> str:
        return f"[{','.join(self.parts)}]"


def export_names(namespace: Any) -> tuple[list[str], dict[str, Callable[..., Any]]]:
    """Read ``__export__`` (PyScript's convention) from a worker script's globals.

    Returns
    -------
    (names, functions)

    Raises
    ------
    TypeError
        if ``__export__`` is not a list/tuple of str, or names something not callable.
    NameError
        if it names something the script does not define.
    """
    names = namespace.get("__export__", ())
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError("__export__ must be a list of names (str)")
    fns: dict[str, Callable[..., Any]] = {}
    for n in names:
        if n not in namespace:
            raise NameError(f"__export__ names {n!r}, which the script does not define")
        fn = namespace[n]
        if not callable(fn):
            raise TypeError(f"__export__ names {n!r}, which is a {type(fn).__name__}, not a function")
        fns[n] = fn
    return list(fns), fns
