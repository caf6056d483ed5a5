"""A checkpoint's selfplay timing against the validation split's human timing: the scorer that checkpoint selection
(`babbler.models.selection`, config `train.select: timing`) is handed."""

from __future__ import annotations

import math

import numpy as np
import torch

from babbler.evaluation.metrics import (
    DISTANCE_TYPES,
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


def timing_scorer(train: list[np.ndarray], val: list[np.ndarray],
                  settings: TimingSelection) -> Selection:
    """A function that babbles selfplay with a model and returns its W1 ratio per timing type against the
    validation dialogues (W1 over the mean W1 between disjoint halves of the train + val human dialogues of the
    validation split's size, as the evaluate stage normalises) and their mean under "score"."""
    if not val:
        raise ValueError("train.select 'timing' needs validation dialogues (corpus.split.val > 0)")
    real = {f"val{i}": events_from_tokens(t) for i, t in enumerate(val)}
    human = {**{f"train{i}": events_from_tokens(t) for i, t in enumerate(train)}, **real}
    pairs = halvings(sorted(human), len(val), settings.floor_draws, settings.seed)
    if not pairs:
        raise ValueError(f"train.select 'timing' needs at least twice the {len(val)} validation dialogues among "
                         f"train + val for its human floor; there are {len(human)}")
    floor = noise_floor(human, pairs)
    limits = RunLimits.from_tracks(train) if settings.run_limits else None
    lengths = [max(2, min(len(t), int(settings.minutes * 60 * TOKEN_RATE))) for t in val]

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
        out = {}
        for kind in DISTANCE_TYPES:
            w1 = distance(pooled(generated, kind), pooled(real, kind)).w1
            # a type the babble never produces is as far as it can be: count it as 10 floors
            out[kind] = w1 / floor[kind].w1 if not math.isnan(w1) and floor[kind].w1 > 0 else 10.0
        out["score"] = float(np.mean([out[k] for k in DISTANCE_TYPES]))
        return out

    return Selection(settings, score)
