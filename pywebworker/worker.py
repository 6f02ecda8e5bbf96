"""The import path of PyWebWorker 0.0.6: ``from pywebworker.worker import PyWorker``."""

from ._worker import JsWorker, PyWorker, Worker

__all__ = ["JsWorker", "PyWorker", "Worker"]
