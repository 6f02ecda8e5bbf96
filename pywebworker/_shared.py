"""What needs shared memory (``SharedArrayBuffer`` and ``Atomics``), and the one error
raised where there is none. Node always has it; a browser gives it only to a
cross-origin isolated page (and to the workers it starts).

Plain Python; no ``js`` import here.
"""

from __future__ import annotations

from ._errors import PyWebWorkerError

ISOLATION = (
    "shared memory (SharedArrayBuffer), which a browser gives only to a cross-origin isolated page: "
    "here crossOriginIsolated is false. Serve the page with the headers "
    "'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' "
    "(and its resources with CORS or Cross-Origin-Resource-Policy)"
)


class SharedMemoryError(PyWebWorkerError, RuntimeError):
    """A feature that needs shared memory was used where there is none (see
    ``ISOLATION``), or where the thread may not block."""


def unavailable(what: str) -> SharedMemoryError:
    """The error for ``what`` (e.g. ``"wait_for_messages()"``) without shared memory."""
    return SharedMemoryError(f"{what} needs {ISOLATION}")
