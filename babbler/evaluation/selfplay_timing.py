"""Generated timing against the validation split's human timing: the target that checkpoint selection
(`babbler.models.selection`, config `train.select: timing`) and the choice of sampling settings
(`babbler.evaluation.tuning`) score with."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from babbler.evaluation.metrics import (
    DISTANCE_TYPES,
    Distance,
    distance,
    halvings,
    noise_floor,
    pooled,
)
from babbler.models.selection import Selection, TimingSelection
from babbler.sampling.generate import RunLimits, generate, sampler
from babbler.sampling.modes.selfplay import selfplay_plan
from babbler.timing.events import events_from_tokens
from babbler.va import TOKEN_RATE

MISSING_TYPE_RATIO = 10.0  # a timing type the babble never produces is as far as it can be: 10 floors


@dataclass(frozen=True)
class TimingTarget:
    """The validation dialogues' human events and the human noise floor the W1 of generated timing is divided by."""

    real: dict[str, pd.DataFrame]  # events of the validation dialogues
    floor: dict[str, Distance]  # per type: mean W1 between disjoint halves of train + val of the validation size

    def ratios(self, generated: dict[str, pd.DataFrame]) -> dict[str, float]:
        """W1 ratio per timing type of generated dialogues' events against the validation dialogues', and their mean
        under "score" (lower is better)."""
        out = {}
        for kind in DISTANCE_TYPES:
            w1 = distance(pooled(generated, kind), pooled(self.real, kind)).w1
            out[kind] = w1 / self.floor[kind].w1 if not math.isnan(w1) and self.floor[kind].w1 > 0 \
                else MISSING_TYPE_RATIO
        out["score"] = float(np.mean([out[k] for k in DISTANCE_TYPES]))
        return out


def timing_target(train: list[np.ndarray], val: list[np.ndarray], floor_draws: int, seed: int) -> TimingTarget:
    """The validation split's timing and its floor: W1 over the mean W1 between disjoint halves of the train + val
    human dialogues of the validation split's size, as the evaluate stage normalises."""
    if not val:
        raise ValueError("choosing on validation timing needs validation dialogues (corpus.split.val > 0)")
    real = {f"val{i}": events_from_tokens(t) for i, t in enumerate(val)}
    human = {**{f"train{i}": events_from_tokens(t) for i, t in enumerate(train)}, **real}
    pairs = halvings(sorted(human), len(val), floor_draws, seed)
    if not pairs:
        raise ValueError(f"choosing on validation timing needs at least twice the {len(val)} validation dialogues "
                         f"among train + val for its human floor; there are {len(human)}")
    return TimingTarget(real, noise_floor(human, pairs))


def selfplay_lengths(val: list[np.ndarray], minutes: float) -> list[int]:
    """Frames of selfplay per validation dialogue: `minutes`, at most the dialogue's own length."""
    return [max(2, min(len(t), int(minutes * 60 * TOKEN_RATE))) for t in val]


def timing_scorer(train: list[np.ndarray], val: list[np.ndarray],
                  settings: TimingSelection) -> Selection:
    """A function that babbles selfplay with a model and returns its W1 ratio per timing type against the
    validation dialogues (`TimingTarget`) and their mean under "score"."""
    try:
        target = timing_target(train, val, settings.floor_draws, settings.seed)
    except ValueError as exc:
        raise ValueError(f"train.select 'timing': {exc}") from None
    limits = RunLimits.from_tracks(train) if settings.run_limits else None
    lengths = selfplay_lengths(val, settings.minutes)

    @torch.no_grad()
    def score(model: torch.nn.Module) -> dict[str, float]:
        """Selfplay on the validation lengths; W1 ratio per type and their mean ("score")."""
        was_training = model.training
        model.eval()
        plan = selfplay_plan(lengths * settings.samples)  # all draws in one batch
        drawn = generate(sampler(model, settings.stop), plan, np.random.default_rng(settings.seed), desc="select",
                         limits=limits)
        generated = {str(j): events_from_tokens(drawn[j, :n]) for j, n in enumerate(lengths * settings.samples)}
        model.train(was_training)
        return target.ratios(generated)

    return Selection(settings, score)
