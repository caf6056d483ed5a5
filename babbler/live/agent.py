"""The live babbling agent: one speaker, one 20 ms frame per step, drawn by the workflow's own sampling objects."""

from __future__ import annotations

import numpy as np

from babbler.models import sample_token, temper
from babbler.models.baselines import MarkovModel
from babbler.models.transformer import FrameTransformer
from babbler.sampling.generate import STOP_RULES, RunLimits, RunTracker
from babbler.sampling.odds import agent_odds, agent_stream


class Agent:
    """A streaming agent: `step(partner_token)` takes the partner's last frame and returns its own next frame.

    It is a batch-of-one client of the objects the workflow samples with (babbler.sampling.generate and .odds): the
    agent's stream from `agent_stream` (its stop rule, `sample.stop`; the count model mixed in at `markov_weight`, as
    `sample.markov_weight`; its odds recalibrated by `calibration`, as `sample.calibration`, and its start odds
    scaled by `odds`, as `sample.listen_*_odds`), `RunTracker` with `RunLimits`, and `sample_token` at the
    temperature. Fed the same partner frames with the same seed, it makes exactly the decisions the workflow's
    `listen` system makes on `seat` (0 = A, 1 = B). Both speakers act simultaneously: the token returned for frame t
    depends on both speakers' frames up to t − 1; the model's cache keeps its context, so each step costs the same.
    """

    def __init__(self, model: FrameTransformer, temperature: float = 1.0, seed: int = 0,
                 limits: RunLimits | None = None, stop: str = "overlap", seat: int = 1,
                 markov: MarkovModel | None = None, markov_weight: float = 0.0,
                 odds: tuple[float, float] = (1.0, 1.0), calibration: tuple[float, ...] | None = None):
        if stop not in STOP_RULES:
            raise ValueError(f"stop must be one of {STOP_RULES}, not {stop!r}")
        if not 0.0 <= markov_weight <= 1.0 or (markov_weight > 0 and markov is None):
            raise ValueError(f"markov_weight must be in [0, 1] and needs a markov model, got {markov_weight}")
        # the sample rule's stream factory: recalibrated (sample.calibration), with the listener's start odds
        # (sample.listen_overlap_odds, _gap_odds)
        self.new_stream = agent_stream(model.eval(), markov, stop, markov_weight,
                                       odds=agent_odds(calibration, (seat, *odds)))
        self.seat = int(seat)
        self.temperature = temperature
        self.rng = np.random.default_rng(seed)
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        """Forget the dialogue so far; the agent starts silent."""
        self.stream = self.new_stream(1)
        self.runs: RunTracker | None = None
        self.own = 0

    def _advance(self, partner_token: int) -> np.ndarray:
        """Push the frame that just ended (the agent's last token and the partner's) and return the stream's (1, 2,
        VOCAB) probabilities of the next frame."""
        frame = np.zeros((1, 2), dtype=np.int64)
        frame[0, self.seat], frame[0, 1 - self.seat] = self.own, int(partner_token)
        self.stream.push(frame)
        if self.runs is None:
            self.runs = RunTracker(frame)
        else:
            self.runs.update(frame)
        return self.stream.next_probs()

    def probs(self, partner_token: int) -> np.ndarray:
        """Advance by one frame and return the distribution of the agent's next token at its temperature (no draw)."""
        return temper(self._advance(partner_token)[0, self.seat], self.temperature)

    def step(self, partner_token: int) -> int:
        """The partner's token of the frame that just ended → this agent's token for the next frame."""
        probs = self._advance(partner_token)
        drawn = sample_token(self.runs.restrict(probs, self.limits), self.rng, self.temperature)
        self.own = int(drawn[0, self.seat])
        return self.own
