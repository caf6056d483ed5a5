"""An ensemble of frame models sampled as one: the average of their next-frame probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from babbler.models import joint_from_marginals


@dataclass
class Ensemble:
    """Frame models (e.g. one architecture trained with several seeds) whose streams are averaged frame by frame."""

    members: list
    weights: tuple[float, ...] = ()  # default: equal

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("an ensemble needs at least one model")
        w = np.asarray(self.weights or [1.0] * len(self.members), dtype=float)
        if len(w) != len(self.members) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"ensemble weights must be {len(self.members)} non-negative numbers, got {self.weights}")
        self.weights = tuple(w / w.sum())

    @property
    def predicts_durations(self) -> bool:
        """Whether any member has a duration head (sampling's stop rule then reaches those members)."""
        return any(getattr(m, "predicts_durations", False) for m in self.members)

    def stream(self, batch: int, **kwargs) -> "EnsembleStream":
        """A fresh stream for `batch` dialogues; keyword arguments (the stop rule) go to the members with a
        duration head."""
        return EnsembleStream([m.stream(batch, **kwargs) if getattr(m, "predicts_durations", False)
                               else m.stream(batch) for m in self.members], self.weights)


class EnsembleStream:
    """The members' streams, fed the same frames; the next frame's probabilities are their mean."""

    def __init__(self, streams: list, weights: tuple[float, ...]):
        self.streams = streams
        self.weights = weights

    def next_probs(self) -> np.ndarray:
        return sum(w * s.next_probs() for w, s in zip(self.weights, self.streams))

    def va_joint(self) -> np.ndarray:
        return joint_from_marginals(1 - self.next_probs()[:, :, 0])

    def push(self, tokens: np.ndarray) -> None:
        for s in self.streams:
            s.push(tokens)

    def repeat(self, k: int) -> None:
        """Replicate every dialogue's state k times in every member."""
        for s in self.streams:
            s.repeat(k)
