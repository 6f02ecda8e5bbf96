"""joblib's parallel backend ``"pywebworker"`` (importing this module registers it):
``joblib.Parallel`` runs its batches in PyWorkers, where Python can block (JSPI:
Chromium 137+, Node 26).

>>> import joblib
>>> import pywebworker.joblib
>>> with joblib.parallel_config(backend="pywebworker", n_jobs=2):
...     joblib.Parallel()(joblib.delayed(pow)(i, 2) for i in range(5))
[0, 1, 4, 9, 16]

joblib is not a dependency of pywebworker: install it first (``await
micropip.install("joblib")``, ``%pip install joblib``). See
:class:`WorkerPoolBackend` for what the backend does, :func:`register` for another
name or default pool options, :func:`shutdown` to stop the pools it keeps.
"""

from __future__ import annotations

try:
    import joblib as _joblib  # noqa: F401 - the optional dependency, checked here
except ImportError as exc:
    raise ImportError(
        "pywebworker.joblib needs joblib, which pywebworker does not install: "
        "`await micropip.install('joblib')` (or `%pip install joblib`) first"
    ) from exc

from ._joblib import WorkerPoolBackend, pools, register, shutdown

register()

__all__ = ["WorkerPoolBackend", "pools", "register", "shutdown"]
