"""One memory limit for the physics solvers, checked against a closed-form estimate before big work.

The limit is, first found: the ``max_memory_gb`` argument of the solver, the environment variable
``KERAS_IMNN_MAX_MEMORY_GB`` (GB = 1e9 bytes), or 80 % of the memory available right now
(``psutil.virtual_memory().available``: what can be allocated without swapping or pushing out
other processes, so a run beside others is judged by what they leave). An explicit limit may
exceed the machine's memory, e.g. where swap is acceptable.
"""
from __future__ import annotations

import os

import psutil

ENV_VAR = "KERAS_IMNN_MAX_MEMORY_GB"
#: Share of the available memory a solver may plan to use when no limit is given.
DEFAULT_FRACTION = 0.8


class MemoryLimitError(MemoryError, ValueError):
    """The estimated memory of a request exceeds the limit; raised before allocating anything.

    A ``ValueError`` too, so callers that report bad input in one line (the CLI) report this too.
    """


def memory_limit_bytes(max_memory_gb: float | None = None) -> int:
    """The limit in bytes: ``max_memory_gb``, else ``$KERAS_IMNN_MAX_MEMORY_GB``, else 80 % available."""
    return _limit(max_memory_gb)[0]


def _limit(max_memory_gb: float | None) -> tuple[int, str]:
    """The limit in bytes and where it came from, for the message."""
    source = "max_memory_gb"
    if max_memory_gb is None and os.environ.get(ENV_VAR):
        source, max_memory_gb = ENV_VAR, os.environ[ENV_VAR]
    if max_memory_gb is None:
        return int(DEFAULT_FRACTION * psutil.virtual_memory().available), "80 % of available memory"
    try:
        gb = float(max_memory_gb)
    except ValueError:
        gb = float("nan")
    if not 0 < gb < float("inf"):
        raise ValueError(f"{source} must be a positive number of GB, got {max_memory_gb!r}")
    return int(gb * 1e9), f"set by {source}"


def check_memory(estimate_bytes: float, what: str, hint: str = "",
                 max_memory_gb: float | None = None) -> None:
    """Raise :class:`MemoryLimitError` in one line if ``estimate_bytes`` exceeds the limit.

    Args:
        estimate_bytes: peak memory the work is expected to need.
        what: the work, e.g. ``"PWE of 10 cells at n_max=70"``.
        hint: how to make the work smaller, put in the message.
        max_memory_gb: explicit limit (see :func:`memory_limit_bytes`).
    """
    limit, source = _limit(max_memory_gb)
    if estimate_bytes > limit:
        raise MemoryLimitError(
            f"{what} needs about {estimate_bytes / 1e9:.3g} GB, over the limit of {limit / 1e9:.3g} GB "
            f"({source}); {hint + ', or ' if hint else ''}"
            f"raise the limit with max_memory_gb= or {ENV_VAR}=<GB>")
