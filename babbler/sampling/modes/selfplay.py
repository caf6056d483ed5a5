"""Mode `selfplay`: two copies of a model babble with each other from silence, as long as each test dialogue."""

from __future__ import annotations

import numpy as np

from babbler.sampling.generate import FREE
from babbler.sampling.modes.spec import Mode


def selfplay_plan(lengths: list[int]) -> np.ndarray:
    """Everything free: two agents babble from silence."""
    return np.full((len(lengths), max(lengths), 2), FREE, dtype=np.int64)


def plan(real: list[np.ndarray], settings: dict) -> np.ndarray:
    """Both speakers free for each test dialogue's length."""
    return selfplay_plan([len(r) for r in real])


MODE = Mode("selfplay", "both speakers generated from silence", plan)
