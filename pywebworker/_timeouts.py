"""Timeouts as deadlines: one reading of ``timeout=`` for every API that takes it."""

from __future__ import annotations

import math
import time


def deadline(timeout: float | None) -> float | None:
    """The ``time.monotonic()`` value at which ``timeout`` seconds from now end, or
    ``None`` for no timeout (``None`` or ``float("inf")``).

    Raises
    ------
    TypeError
        if ``timeout`` is not a real number (``bool`` counts, as in ``time.sleep``).
    ValueError
        if it is NaN or negative.
    """
    if timeout is None:
        return None
    if not isinstance(timeout, (int, float)) and not _real(timeout):
        raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
    try:
        seconds = float(timeout)
    except OverflowError:  # an int beyond float: longer than anything will wait
        seconds = math.inf
    if not seconds >= 0:  # NaN fails every comparison
        raise ValueError(f"timeout must be >= 0 seconds (or inf for none), not {timeout}")
    if seconds == math.inf:
        return None
    return time.monotonic() + seconds


def _real(value: object) -> bool:
    """``isinstance(value, numbers.Real)`` (a ``Fraction``, a ``Decimal``-like class),
    imported on first use: a worker's boot need not import ``numbers``."""
    import numbers

    return isinstance(value, numbers.Real)
