"""Seeded train/val/test assignment of dialogues."""

from __future__ import annotations

import numpy as np


def assign_splits(ids: list[str], seed: int, val: float, test: float) -> dict[str, str]:
    """Split dialogues by a seeded permutation of the sorted ids; val and test get at least one each if asked."""
    ids = sorted(ids)
    n = len(ids)
    order = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5B11])).permutation(n)
    n_test = int(round(test * n)) if test > 0 else 0
    n_val = int(round(val * n)) if val > 0 else 0
    if n >= 3:
        n_test = max(n_test, 1 if test > 0 else 0)
        n_val = max(n_val, 1 if val > 0 else 0)
    n_test = min(n_test, max(n - 1, 0))
    n_val = min(n_val, max(n - 1 - n_test, 0))
    split = {}
    for rank, i in enumerate(order):
        split[ids[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return split
