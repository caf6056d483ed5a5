"""The live babbling agent: one network, one speaker, one 20 ms frame per step."""

from __future__ import annotations

import numpy as np
import torch

from babbler.models.baselines import MarkovModel
from babbler.models.durations import RunHazard
from babbler.models.transformer import FrameTransformer
from babbler.sampling import STOP_RULES, RunLimits, RunTracker, temper


class Agent:
    """A streaming agent: `step(partner_token)` takes the partner's last frame and returns its own next frame.

    Both speakers act simultaneously: the token returned for frame t depends on both speakers'
    frames up to t − 1. The KV cache keeps the last `context` frames, so each step costs the same.
    `stop` is the sampling rule of `sample.stop`: "duration" ends a speech run by the run length the
    model predicted at its onset, "frame" by the token head's silence probability at each frame, "overlap"
    by the first while the partner is silent and by the second while the partner talks. `seat` is the channel
    the agent speaks on (0 = A, 1 = B), which matters to a model trained with `model.transformer.seat`.
    With `markov` and `markov_weight` w, the next frame's distribution is (1 − w)·network + w·markov, as
    `sample.markov_weight` samples in the workflow.
    """

    def __init__(self, model: FrameTransformer, temperature: float = 1.0, seed: int = 0,
                 limits: RunLimits | None = None, stop: str = "overlap", seat: int = 1,
                 markov: MarkovModel | None = None, markov_weight: float = 0.0):
        if stop not in STOP_RULES:
            raise ValueError(f"stop must be one of {STOP_RULES}, not {stop!r}")
        if not 0.0 <= markov_weight <= 1.0 or (markov_weight > 0 and markov is None):
            raise ValueError(f"markov_weight must be in [0, 1] and needs a markov model, got {markov_weight}")
        self.markov = markov if markov_weight > 0 else None
        self.markov_weight = markov_weight
        self.model = model.eval()
        self.stop = stop
        self.seat = torch.tensor([int(seat)])
        self.temperature = temperature
        self.rng = np.random.default_rng(seed)
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        """Forget the dialogue so far; the agent starts silent."""
        self.cache = None
        self.hazard = RunHazard(1, yield_in_overlap=self.stop == "overlap") if self.stop != "frame" else None
        self.own = 0
        self.frames = 0
        self.runs = RunTracker(np.array(0))
        self.counts = self.markov.stream(1) if self.markov is not None else None

    def probs(self, partner_token: int) -> np.ndarray:
        """Advance by one frame and return the distribution of the agent's next token (no sampling)."""
        own = torch.tensor([self.own])
        other = torch.tensor([int(partner_token)])
        out, self.cache = self.model.step(own, other, self.cache, self.seat)
        self.frames += 1
        p = torch.softmax(out.own.float(), dim=-1).numpy().astype(np.float64)
        if self.hazard is not None:  # as TransformerStream: the stop probability of a speech run from its onset
            self.hazard.observe(own.numpy(), out.duration, other.numpy())
            p = self.hazard.apply(p)
        p = p[0]
        if self.counts is not None:  # the count model sees the same frame, channels in A, B order
            seat = int(self.seat)
            frame = np.zeros((1, 2), dtype=np.int64)
            frame[0, seat], frame[0, 1 - seat] = self.own, int(partner_token)
            self.counts.push(frame)
            p = (1 - self.markov_weight) * p + self.markov_weight * self.counts.next_probs()[0, seat]
        return temper(p, self.temperature)

    def step(self, partner_token: int) -> int:
        """The partner's token of the frame that just ended → this agent's token for the next frame."""
        p = self.runs.restrict(self.probs(partner_token), self.limits)  # as in sampling: no run too short
        own = int(min(np.searchsorted(np.cumsum(p), self.rng.random() * p.sum()), len(p) - 1))
        self.runs.update(np.array(own))
        self.own = own
        return own
