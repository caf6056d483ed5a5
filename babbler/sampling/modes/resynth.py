"""Mode `resynth`: the test split's own tracks, re-voiced (the topline of every voice and of the continuation)."""

from __future__ import annotations

import numpy as np

from babbler.sampling.modes.spec import Mode


def plan(real: list[np.ndarray], settings: dict) -> None:
    """Nothing to generate: the real tracks are rendered as they are."""
    return None


MODE = Mode("resynth", "the human test tracks, re-voiced", plan)
