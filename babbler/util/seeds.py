"""One way to derive the seeds of a run's parts from a config seed: each part named, never an ad-hoc formula."""

from __future__ import annotations

import zlib

import numpy as np


def derived_seed(seed: int, *names: str) -> np.random.SeedSequence:
    """The seed of one named part of a run (a generated system, a dialogue, …): SeedSequence([seed, crc32(name), …])."""
    return np.random.SeedSequence([int(seed), *(zlib.crc32(str(n).encode()) for n in names)])


def torch_seed(seed: int | np.random.SeedSequence) -> int:
    """An integer seed for torch.Generator.manual_seed: a plain int as it is, a SeedSequence's first state word."""
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, dtype=np.uint32)[0])
    return int(seed)


def seeded_subset(ids: list[str], size: int, seed: int, *names: str) -> list[str]:
    """A bounded share of a split: `ids` as they are where there are at most `size`, else a draw of `size` of them
    (sorted) seeded by `seed` and the part's `names`."""
    if len(ids) <= size:
        return list(ids)
    rng = np.random.default_rng(derived_seed(seed, *names))
    return sorted(rng.choice(ids, size=size, replace=False).tolist())
