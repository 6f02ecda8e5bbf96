"""The import path of PyWebWorker 0.0.6, kept so that code written for it still runs.

In 0.0.6, ``pywebworker.worker.PyWorker(script)`` ran a *JavaScript* script in a Web
Worker (the 0.0.6 README's echo script is JavaScript). This module's ``PyWorker`` keeps
that meaning; for Python in a worker use ``pywebworker.PyWorker``.
"""

from __future__ import annotations

import warnings
from typing import Literal

from ._worker import JsWorker, Worker

__all__ = ["JsWorker", "PyWorker", "Worker"]


class PyWorker(JsWorker):
    """The 0.0.6 ``PyWorker``: runs JavaScript, exactly as :class:`JsWorker` does.

    Parameters and behaviour are those of :class:`~pywebworker.JsWorker`.

    Warns
    -----
    DeprecationWarning
        always: use ``pywebworker.JsWorker`` for JavaScript, or ``pywebworker.PyWorker``
        to run Python.
    """

    def __init__(
        self,
        script: str | None = None,
        *,
        url: str | None = None,
        type: Literal["classic", "module"] = "classic",  # noqa: A002 - the Worker option's name
        name: str | None = None,
    ) -> None:
        warnings.warn(
            "pywebworker.worker.PyWorker runs JavaScript, as in PyWebWorker 0.0.6; use "
            "pywebworker.JsWorker for JavaScript, or pywebworker.PyWorker to run Python",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(script, url=url, type=type, name=name)
