"""The one place that touches JavaScript (``js``, ``pyodide.ffi``, ``pyodide_js``).

Loads the JS glue shipped as package data (``pywebworker/js/``) and the C core
(``_core.wasm``), and hands the rest of the package plain callables.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib import resources
from typing import Any

_HOST_FILES = ("protocol.js", "payload.js", "core.js", "host.js")
_SOURCES = {
    "protocol": "protocol.js",
    "payload": "payload.js",
    "core": "core.js",
    "nodeShim": "node_shim.js",
    "jsClassic": "worker_classic.js",
    "jsModule": "worker_module.js",
    "jsNode": "worker_node.js",
    "jsCalls": "worker_calls.js",
    "pyBoot": "pyworker.js",
}

_host: Any = None
_dispatch_proxy: Any = None
_package_files: Any = None


def _text(name: str) -> str:
    return resources.files(__package__).joinpath("js", name).read_text("utf-8")


def _globals() -> Any:
    """The JS global scope (``import js``), typed loosely on purpose."""
    return importlib.import_module("js")


def _to_js(value: Any) -> Any:
    from pyodide.ffi import to_js

    return to_js(value, dict_converter=_globals().Object.fromEntries)


def host(on_event: Callable[..., None]) -> Any:
    """Return the host glue (``js/host.js``), creating it on first use.

    ``on_event(id, event, a, b)`` is called from JavaScript for state changes, output
    lines and (only for watched workers) new messages. The one proxy made for it
    lives as long as the process.
    """
    global _host, _dispatch_proxy
    if _host is None:
        from pyodide.code import run_js
        from pyodide.ffi import create_proxy

        body = "".join(_text(name) for name in _HOST_FILES)
        make = "(wasm, sources, dispatch) => pwwHost(pwwCore(wasm), sources, dispatch)"
        factory = run_js(f"(function () {{\n{body}\nreturn {make};\n}})()")
        sources = _to_js({key: _text(name) for key, name in _SOURCES.items()})
        _dispatch_proxy = create_proxy(on_event)
        _host = factory(_to_js(core_wasm()), sources, _dispatch_proxy)
    return _host


def core_wasm() -> bytes:
    """The bytes of ``_core.wasm`` from package data."""
    return resources.files(__package__).joinpath("_core.wasm").read_bytes()


def _files_of(root: Any) -> dict[str, bytes]:
    files: dict[str, bytes] = {}

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            if child.name == "__pycache__":
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                files[prefix + child.name] = child.read_bytes()

    walk(root, "")
    return files


def package_files() -> Any:
    """This package's files as a JS object ``{relative path: Uint8Array}``, for a
    PyWorker to install the same package in its own Pyodide."""
    global _package_files
    if _package_files is None:
        _package_files = _to_js(_files_of(resources.files(__package__)))
    return _package_files


def host_package_indexes() -> dict[str, Any]:
    """Where this Pyodide installs packages from, for a PyWorker to do the same.

    Returns
    -------
    dict
        ``index_urls``: micropip's configured index URLs (``micropip.set_index_urls``;
        read from its package manager, present in micropip 0.6 through 0.11), or
        ``None`` when micropip was never imported (its default then). ``piplite``: for
        JupyterLite, ``{"urls": [...], "disable_pypi": bool, "files": {...}}`` with the
        settings and the source files of the host's ``piplite`` (pyodide-kernel's
        micropip wrapper that reads the site's ``all.json`` wheel indexes), or
        ``None`` when it is not loaded. Relative URLs are made absolute against this
        Python's location (a PyWorker's script has no base URL).
    """
    import sys

    index_urls = None
    micropip = sys.modules.get("micropip")
    if micropip is not None:
        manager = getattr(micropip, "_package_manager_singleton", None) or getattr(micropip, "package_manager", None)
        urls = getattr(manager, "index_urls", None)
        if isinstance(urls, (list, tuple)) and all(isinstance(u, str) for u in urls):
            index_urls = [absolute_url(u) for u in urls]
    piplite = None
    settings = sys.modules.get("piplite.piplite")
    if settings is not None:
        urls = [absolute_url(str(u)) for u in getattr(settings, "_PIPLITE_URLS", None) or ()]
        if urls:
            piplite = {
                "urls": urls,
                "disable_pypi": bool(getattr(settings, "_PIPLITE_DISABLE_PYPI", False)),
                "files": _files_of(resources.files("piplite")),
            }
    return {"index_urls": index_urls, "piplite": piplite}


def absolute_url(url: str) -> str:
    """``url`` resolved against this Python's location (the page, or the worker's
    script in a JupyterLite kernel); unchanged where there is none (Node.js)."""
    from urllib.parse import urljoin

    location = getattr(_globals(), "location", None)
    href = getattr(location, "href", None)
    return urljoin(href, url) if isinstance(href, str) and href else url


def host_index_url() -> str:
    """The indexURL this Pyodide was loaded from.

    Reads ``pyodide_js._api.config.indexURL`` (private API: present in Pyodide 0.23
    through 314.x); falls back to the jsDelivr CDN URL of this Pyodide's version.
    """
    import pyodide_js

    try:
        url = pyodide_js._api.config.indexURL
        if isinstance(url, str) and url:
            return url
    except AttributeError:
        pass
    return f"https://cdn.jsdelivr.net/pyodide/v{pyodide_js.version}/full/"


def to_js(value: Any) -> Any:
    """Convert options (dicts, lists, str) to plain JS objects."""
    return _to_js(value)


def parent_api() -> Any:
    """The worker-side glue registered by the PyWorker bootstrap, or ``None`` when
    this Python is not running inside a PyWorker."""
    try:
        import _pywebworker_parent
    except ImportError:
        return None
    return _pywebworker_parent


def boot_api() -> Any:
    """The glue the PyWorker bootstrap registers for its handshake (``started``,
    ``ready``, ``failed``, ``quiet``: see ``js/pyworker.js``)."""
    import _pywebworker_boot

    return _pywebworker_boot


async def run_script(source: str, namespace: dict[str, Any], filename: str) -> None:
    """Run ``source`` in ``namespace`` with top-level ``await`` allowed, as
    ``pyodide.runPythonAsync`` does. ``filename`` names it in tracebacks; Pyodide puts
    the source in ``linecache`` for a name not in ``<...>``, so tracebacks show lines."""
    from pyodide.code import eval_code_async

    await eval_code_async(source, namespace, filename=filename, return_mode="none")


def make_proxy(fn: Callable[..., Any]) -> Any:
    """A ``create_proxy`` of ``fn``; the caller keeps it and destroys it."""
    from pyodide.ffi import create_proxy

    return create_proxy(fn)


_MAX_DELAY_MS = 2**31 - 1  # setTimeout fires at once (after 1 ms) for longer delays


def set_timeout(fn: Callable[[], None], seconds: float) -> Callable[[], None]:
    """Call ``fn`` after ``seconds`` with the host's ``setTimeout``; returns a cancel
    function that clears the timer. (``asyncio.wait_for`` in Pyodide leaves its timer
    pending, which keeps a Node process alive until it fires.)

    Any delay works: one beyond ``setTimeout``'s 2**31 - 1 ms (about 24.8 days) is a
    chain of timers; ``float("inf")`` never fires and holds no timer. What ``fn``
    raises is reported (``_errors.report``), never thrown into JavaScript.
    """
    from pyodide.ffi import create_proxy

    from ._errors import report

    left = max(0.0, seconds) * 1000.0  # ms still to wait after the armed timer
    if left == float("inf"):
        return lambda: None
    js = _globals()
    pending = True
    handle: Any = None

    def arm() -> None:
        nonlocal left, handle
        step = min(left, _MAX_DELAY_MS)
        left -= step
        handle = js.setTimeout(proxy, step)

    def fire() -> None:
        nonlocal pending
        if left > 0:
            arm()
            return
        pending = False
        proxy.destroy()
        try:
            fn()
        except BaseException as exc:  # thrown into a JS timer, it would end a Node process
            report("pywebworker: error in a timer callback", exc)

    def cancel() -> None:
        nonlocal pending
        if pending:
            pending = False
            js.clearTimeout(handle)
            proxy.destroy()

    proxy = create_proxy(fire)
    arm()
    return cancel
