"""Stages `dataset`, `train` and `frame_eval`: both speakers' prosody in, 50 Hz two-speaker tokens split by dialogue,
then every registered frame model (`babbler.models.registry`: the neural agent and the baselines) fitted on them and
scored on the test split. Every frame model samples through one streaming interface, `Stream`."""

from __future__ import annotations

from typing import Protocol

import numpy as np

# How model files and checkpoints are written (babbler.models.files): a rule param, so that files an earlier version
# wrote (numpy objects inside, refused by the safe loader) are made again after an upgrade instead of failing to load.
MODEL_FILE_FORMAT = "tensors and plain values only (torch.load weights_only)"


class Stream(Protocol):
    """A model's running state over a batch of dialogues, one 50 Hz frame at a time."""

    def next_probs(self) -> np.ndarray:
        """(batch, 2, VOCAB) probabilities of speaker A's and B's token in the next frame."""

    def va_joint(self) -> np.ndarray:
        """(batch, 4) probabilities of the next joint VA state 0 none, 1 A, 2 B, 3 both."""

    def push(self, tokens: np.ndarray) -> None:
        """Append the observed frame: (batch, 2) tokens of A and B."""

    def repeat(self, k: int) -> None:
        """Replicate every dialogue's state k times (rows i·k … i·k + k − 1 continue dialogue i)."""


def joint_from_marginals(p_on: np.ndarray) -> np.ndarray:
    """Joint VA distribution (batch, 4) of two conditionally independent speakers with P(on) (batch, 2)."""
    a, b = p_on[:, 0], p_on[:, 1]
    return np.stack([(1 - a) * (1 - b), a * (1 - b), (1 - a) * b, a * b], axis=1)


def temper(probs: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities (…, VOCAB) at a sampling temperature: p^(1/τ), renormalised."""
    p = probs if temperature == 1.0 else np.power(np.maximum(probs, 1e-30), 1.0 / temperature)
    return p / p.sum(axis=-1, keepdims=True)


def sample_token(probs: np.ndarray, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
    """Draw one token per row of a (…, VOCAB) probability array, after temperature p^(1/τ)."""
    p = temper(probs, temperature)
    flat = p.reshape(-1, p.shape[-1])
    u = rng.random(len(flat))[:, None]
    idx = (np.cumsum(flat, axis=1) < u).sum(axis=1)
    return np.minimum(idx, flat.shape[1] - 1).reshape(p.shape[:-1])
