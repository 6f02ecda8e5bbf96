"""``worker.exports`` and ``parent.host``: calls as attributes; ``__export__`` read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ._errors import NotExportedError


class Exports:
    """``worker.exports.name(*args)``: each attribute is an awaitable call.

    ``dir()`` lists the exported names once the worker is ready. Asking for a name the
    ready worker does not export raises :class:`NotExportedError` (an
    ``AttributeError``) at once.

    Parameters
    ----------
    call : callable
        ``call(name, *args, timeout=None)``, making the call.
    names : callable
        The exported names, or ``None`` while not known.
    not_exported : callable
        ``not_exported(name, names)``, the error for a name not exported.
    """

    __slots__ = ("_call", "_names", "_not_exported")

    def __init__(
        self,
        call: Callable[..., Awaitable[Any]],
        names: Callable[[], list[str] | None],
        not_exported: Callable[[str, list[str]], NotExportedError],
    ) -> None:
        self._call = call
        self._names = names
        self._not_exported = not_exported

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        names = self._names()
        if names is not None and name not in names:
            raise self._not_exported(name, names)
        make_call = self._call

        def call(*args: Any, timeout: float | None = None) -> Any:
            return make_call(name, *args, timeout=timeout)

        call.__name__ = call.__qualname__ = name
        return call

    def __dir__(self) -> Iterable[str]:
        return list(self._names() or ())

    def __repr__(self) -> str:
        names = self._names()
        return f"<exports {'(not ready)' if names is None else ', '.join(names) or '(none)'}>"


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
