"""CPU threads a rule may really use."""

from __future__ import annotations

import os


def usable_threads(requested: int) -> int:
    """The rule's thread count capped at the CPUs this process may run on (never below 1)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(int(requested), available))
