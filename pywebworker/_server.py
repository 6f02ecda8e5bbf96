"""Serving the other side's calls: exposed functions, answered in ``returns`` batches."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from ._errors import NotExportedError, error_info, report
from ._wire import Batch, read_batch, unpack


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


class CallServer:
    """The functions this side exposes, and the answers to the other side's calls."""

    _exposer = "host"  # which side exposes the functions, for messages
    _js_numbers = False  # whether the caller is JavaScript (payload rules for ints)

    def __init__(self) -> None:
        self._exposed: dict[str, Callable[..., Any]] = {}

    def _post_batch(self, batch: Batch) -> None:
        """Post a ``returns`` batch (the port's ``replies``)."""
        raise NotImplementedError

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
            if ``fn`` is not callable, or ``name`` is not a ``str``.
        ValueError
            if ``name`` is ``""``.
        """
        from ._named import check_name  # here: a worker's boot imports this module, not _named

        check_name(name, "an exposed function's name")
        if fn is None:
            return lambda f: self.expose(f, name=name)
        if not callable(fn):
            raise TypeError(f"expose() needs a callable, not {type(fn).__name__}")
        self._exposed[name or fn.__name__] = fn
        return fn

    def on_calls(self, text: str, bufs: list[list[bytes]]) -> None:
        """A batch of the other side's calls (a ``calls`` message). The replies of the
        plain functions leave together, in one ``returns``; an ``async`` function's
        reply leaves alone when it is done. Whatever a function does (raise
        ``SystemExit``, return something that cannot be sent), its call gets a reply.

        Raises
        ------
        Exception
            only if the replies could not be posted at all (the glue then answers
            every call of the batch with the error).
        """
        out = Batch(self._js_numbers)
        for call_id, name, args, k in read_batch(text, lambda i, exc: out.error(i, error_info(exc)), self._js_numbers):
            fn = self._exposed.get(name) or self._fallback(name)
            try:
                if fn is None:
                    raise self._not_exposed(name)
                result = fn(*(args if k < 0 else unpack(args, bufs[k], self._js_numbers)))
            except BaseException as exc:  # SystemExit too: it fails this call, not the worker
                out.error(call_id, error_info(exc))
                continue
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                task = self._start_async(result)
                task.add_done_callback(functools.partial(self._task_reply, call_id, name))
            else:
                out.result(call_id, result, f"the result of {name}()")
        if out.ids:
            self._post_replies(out)

    def _fallback(self, name: str) -> Callable[..., Any] | None:
        """What answers a call of ``name`` that nothing was exposed under (``None``:
        ``NotExportedError``); the host's default ``input``, see ``_Worker``."""
        return None

    def _start_async(self, awaitable: Awaitable[Any]) -> asyncio.Future[tuple[bool, Any]]:
        """The task of an async function's call: its :func:`_outcome`."""
        return asyncio.ensure_future(_outcome(awaitable))

    def _task_reply(self, call_id: int, name: str, task: asyncio.Future[tuple[bool, Any]]) -> None:
        """An async export finished: its reply leaves alone. Runs as a done callback,
        so it reports what it cannot send instead of raising."""
        try:
            out = Batch(self._js_numbers)
            if task.cancelled():
                out.error(call_id, error_info(asyncio.CancelledError(f"{name}() was cancelled")))
            else:
                ok, value = task.result()
                if ok:
                    out.result(call_id, value, f"the result of {name}()")
                else:
                    out.error(call_id, error_info(value))
            self._post_replies(out)
        except BaseException as exc:
            report(f"pywebworker: could not reply to the call of {name}()", exc)

    def _post_replies(self, out: Batch) -> None:
        """Post ``out``; if that fails, post each call's failure instead, so that no
        call of the batch is left without a reply."""
        try:
            self._post_batch(out)
        except Exception as exc:
            failed = Batch(self._js_numbers)
            info = error_info(exc)
            for call_id in out.ids:
                failed.error(call_id, info)
            self._post_batch(failed)

    def _not_exposed(self, name: str) -> NotExportedError:
        names = sorted(self._exposed)
        listed = ", ".join(names) if names else "(none)"
        return NotExportedError(f"{name!r} is not exposed by the {self._exposer}; exposed: {listed}", name, names)
