"""Checkpoint selection by selfplay timing (config `train.select: timing`): its settings, and what training is handed
to score a checkpoint with (the evaluation stage builds the scorer: `babbler.evaluation.selfplay_timing`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the light registry of sample settings reads this module without torch
    import torch


@dataclass(frozen=True)
class TimingSelection:
    """How selfplay is scored for checkpoint selection (config `train.select: timing`)."""

    stop: str = "overlap"  # the sampling rule the model will be used with (sample.stop)
    run_limits: bool = True  # sample.run_limits
    minutes: float = 2.0  # selfplay length per validation dialogue (at most the dialogue's own; train.select_minutes)
    samples: int = 2  # selfplay draws per validation dialogue
    seed: int = 1  # sampling seed, the same at every check (the draws differ only by the weights)
    floor_draws: int = 20  # pairs of disjoint human halves behind the floor

    def ident(self) -> str:
        """A string that changes with every setting (part of a training run's identity)."""
        return f"timing:{self.stop}:{self.run_limits}:{self.minutes}:{self.samples}:{self.seed}:{self.floor_draws}"


@dataclass(frozen=True)
class Selection:
    """A checkpoint scorer handed to training: its settings (part of a run's identity) and the function that scores a
    model (its W1 ratio per timing type and their mean under "score"; lower is better)."""

    settings: TimingSelection
    score: Callable[[torch.nn.Module], dict[str, float]]
