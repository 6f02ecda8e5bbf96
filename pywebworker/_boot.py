"""Inside a PyWorker: install the packages, run the user's script, say ready or failed.

Called by the bootstrap (``js/pyworker.js``) once Pyodide is up. Errors are caught
here, in Python, so the host gets them as Python prints them (``remote_traceback``
trimmed to the user's code, ``remote_message`` = ``str(exception)``), not as a
JavaScript ``PythonError``.

Readiness: the worker is ready when its script's top level has finished, or earlier,
as soon as the script waits for the host while its top level is still running
(``await parent.receive()``, ``async for m in parent``, or setting
``parent.on_message``): a script that serves for ever at top level is ready to be used.
A script that assigns ``__export__`` at its top level is ready only once
``__export__`` exists (at a later wait, or at the end of the top level), so its
exports are served from the start.
"""

from __future__ import annotations

import ast
import json
import sys
from typing import Any

from . import _interrupt, _js, _sync
from ._config import from_text
from ._errors import error_info
from ._parent import flush, serve_exports, set_wait_hook


def _say_failed(exc: BaseException, message: str | None = None) -> None:
    flush()  # what the script sent arrives before the failure
    _js.runtime().boot().failed(error_info(exc, message))


async def install(packages_json: str, indexes_json: str) -> bool:
    """Install ``packages`` (names or wheel URLs) from the host's indexes.

    ``indexes`` is the host's ``Runtime.host_package_indexes()`` (or the user's
    ``index_urls``): micropip's index URLs are set here as on the host, so that the
    script's own ``micropip.install`` finds the same packages; with JupyterLite's
    ``piplite`` settings, the host's ``piplite`` is installed and configured here too
    and does the install, from the site's wheels first.

    Returns
    -------
    bool
        ``False`` if it failed (and said so to the host, naming the packages).
    """
    packages: list[str] = json.loads(packages_json)
    indexes: dict[str, Any] = json.loads(indexes_json)
    if not packages:
        return True  # micropip is loaded only for packages: a start costs nothing more
    try:
        quiet = _js.runtime().boot().quiet
        quiet(True)  # Pyodide's "Loading <package>" lines are not the user's output
        try:
            await _install(packages, indexes)
        finally:
            quiet(False)
    except BaseException as exc:  # noqa: BLE001 - every failure fails the start, as data
        _say_failed(exc, f"could not install {', '.join(packages)}: {exc}")
        return False
    return True


async def _install(packages: list[str], indexes: dict[str, Any]) -> None:
    import micropip

    if indexes.get("index_urls") is not None:
        micropip.set_index_urls(indexes["index_urls"])
    piplite = indexes.get("piplite")
    if piplite:
        from piplite import piplite as settings  # the host's copy (js/pyworker.js pwwInstall)

        settings._PIPLITE_URLS = list(piplite["urls"])  # noqa: SLF001 - piplite has no setter
        settings._PIPLITE_DISABLE_PYPI = bool(piplite["disable_pypi"])  # noqa: SLF001
        await settings.install(packages)
    else:
        await micropip.install(packages)


def load_config(text: str, url: str) -> str | None:
    """Check a config the worker fetched from ``url`` (``_config.from_text``).

    Returns
    -------
    str | None
        The JSON of what the worker applies (``WorkerConfig.worker_part`` and its
        ``packages``), or ``None`` if it is not valid (said to the host: a
        ``ValueError`` naming the URL and the key).
    """
    try:
        config = from_text(text, url)
    except BaseException as exc:  # noqa: BLE001 - fails the start, as data
        _say_failed(exc)
        return None
    return json.dumps({**config.worker_part(), "packages": config.packages})


def _configure(config: dict[str, Any]) -> None:
    """The config's ``env`` (added to ``os.environ``) and ``argv`` (``sys.argv``), for
    the script; its working directory and files are the bootstrap's (js/worker_config.js)."""
    if config.get("env"):
        import os

        os.environ.update(config["env"])
    if config.get("argv") is not None:
        sys.argv = list(config["argv"])


def _assigns_export(tree: ast.Module) -> bool:
    """Whether the script's top level (outside functions and classes) assigns
    ``__export__``."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Name) and node.id == "__export__" and isinstance(node.ctx, ast.Store):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


class _Readiness:
    """Says "ready" once, at the first moment the rules in this module's docstring allow."""

    def __init__(self, namespace: dict[str, Any], wants_export: bool, extra: list[str]) -> None:
        self.namespace = namespace
        self.wants_export = wants_export
        self.extra = extra  # exported by pywebworker itself (a pool's task runner)
        self.ready = False

    def waiting(self) -> None:
        """The script waits for the host (the wait hook) while its top level runs."""
        if not self.ready and (not self.wants_export or "__export__" in self.namespace):
            self.say_ready()

    def say_ready(self) -> None:
        names = serve_exports(self.namespace) + self.extra  # a bad __export__ raises in the script
        self.ready = True
        set_wait_hook(None)
        flush()
        _js.runtime().boot().ready(names)


async def run(source: str, filename: str, tasks: bool = False, config_json: str = "{}") -> None:
    """Run the user's script as ``filename`` in ``__main__``, saying ready (see the
    module docstring) or failed. An exception from the top level after the worker said
    ready fails the worker too: the host sees ``WorkerFailedError``. With ``tasks``,
    the worker also serves a WorkerPool's tasks (``_task.py``). ``config_json``: the
    PyWorker's config (``env``, ``argv``), applied first."""
    namespace = sys.modules["__main__"].__dict__
    readiness: _Readiness | None = None
    try:
        _interrupt.install()  # worker.interrupt() never fails the worker from its own code
        _sync.install()  # input() asks the host; time.sleep() waits with JSPI where it can
        _configure(json.loads(config_json))
        # A syntax error raises here, and is reported as Python prints it.
        tree = ast.parse(source, filename)
        extra: list[str] = []
        if tasks:
            from ._task import serve

            extra = serve()
        readiness = _Readiness(namespace, _assigns_export(tree), extra)
        set_wait_hook(readiness.waiting)
        await _js.runtime().run_script(source, namespace, filename)
        set_wait_hook(None)
        if not readiness.ready:
            readiness.say_ready()
    except BaseException as exc:  # noqa: BLE001 - SystemExit included: the host is told
        set_wait_hook(None)
        _say_failed(exc)
