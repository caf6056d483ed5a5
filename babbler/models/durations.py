"""Run-length targets and hazards of the frame model's duration head: the length of each own speech run, predicted
at the frame before its onset over log-spaced bins (FastSpeech-style durations), and the per-frame stop probability
that prediction implies while the run lasts."""

from __future__ import annotations

import numpy as np
import torch

from babbler.va import runs

# lower edges of the run-length bins, frames: one bin per frame up to 1.28 s, then 5 % wider each
DUR_EDGES = np.unique(np.concatenate([np.arange(1, 64), np.round(np.geomspace(64, 512, 44))]).astype(np.int64))
DUR_BINS = len(DUR_EDGES)
TAIL_HAZARD = 0.02  # per-frame stop probability past the last edge (10.24 s): a mean of 1 s more


def duration_bin(frames: np.ndarray) -> np.ndarray:
    """Bin index of speech-run lengths in frames (≥ 1)."""
    return np.searchsorted(DUR_EDGES, frames, side="right") - 1


def onset_durations(own: np.ndarray) -> np.ndarray:
    """Per frame t: the length of the speech run that starts at t + 1, or −1 (no onset, or the run reaches the end)."""
    out = np.full(len(own), -1, dtype=np.int64)
    starts, ends = runs(np.asarray(own) > 0)
    keep = (starts > 0) & (ends < len(own))
    out[starts[keep] - 1] = (ends - starts)[keep]
    return out


def run_hazard(p_dur: np.ndarray, run: np.ndarray) -> np.ndarray:
    """P(a speech run ends after `run` frames | it lasted that long), from (N, DUR_BINS) duration probabilities.

    Within a bin the length is uniform; past the last edge the hazard is TAIL_HAZARD.
    """
    run = np.asarray(run)
    k = duration_bin(run)
    last = k == DUR_BINS - 1
    lo = DUR_EDGES[k]
    hi = np.where(last, lo + 1, DUR_EDGES[np.minimum(k + 1, DUR_BINS - 1)])
    width = (hi - lo).astype(np.float64)
    rows = np.arange(len(run))
    above = np.cumsum(p_dur[:, ::-1], axis=1)[:, ::-1] - p_dur  # P(bin > k) for every k
    pk = p_dur[rows, k]
    p_eq = pk / width
    p_ge = above[rows, k] + pk * (hi - run) / width
    h = np.where(last, TAIL_HAZARD, p_eq / np.maximum(p_ge, 1e-300))
    return np.clip(h, 1e-6, 1 - 1e-6)


def with_hazard(probs: np.ndarray, h: np.ndarray, use: np.ndarray) -> np.ndarray:
    """(N, VOCAB) token probabilities whose silence probability is `h` where `use`, speech tokens rescaled to 1 − h."""
    speech = probs[:, 1:] / np.maximum(probs[:, 1:].sum(axis=1, keepdims=True), 1e-300)
    mixed = np.concatenate([h[:, None], (1 - h)[:, None] * speech], axis=1)
    return np.where(use[:, None], mixed, probs)


class RunHazard:
    """Per-stream state that turns the duration head's prediction at each onset into per-frame stop probabilities.

    With `yield_in_overlap`, the stop probability is left to the token head while the partner talks: a run's length
    planned at its onset does not know that the partner will start, and the per-frame silence probability does.
    """

    def __init__(self, n: int, yield_in_overlap: bool = False):
        self.yield_in_overlap = yield_in_overlap
        self.partner = np.zeros(n, dtype=bool)
        self.talking = np.zeros(n, dtype=bool)
        self.run = np.zeros(n, dtype=np.int64)
        self.known = np.zeros(n, dtype=bool)  # the current run's onset was seen (its duration prediction is held)
        self.onset = np.full((n, DUR_BINS), 1.0 / DUR_BINS)
        self.pending: np.ndarray | None = None  # duration probabilities from the last frame's output

    def observe(self, own: np.ndarray, logits_dur: torch.Tensor, partner: np.ndarray) -> None:
        """Record the own and partner tokens just pushed and the duration head's logits (N, DUR_BINS) at that frame."""
        self.partner = np.asarray(partner) > 0
        p_dur = torch.softmax(logits_dur.float(), dim=-1).cpu().numpy().astype(np.float64)
        on = np.asarray(own) > 0
        start = on & ~self.talking
        if self.pending is not None:
            self.onset = np.where(start[:, None], self.pending, self.onset)
        self.known = np.where(start, self.pending is not None, self.known & on)
        self.run = np.where(on == self.talking, self.run + 1, 1)
        self.talking = on
        self.pending = p_dur

    def apply(self, probs: np.ndarray) -> np.ndarray:
        """Next-token probabilities (N, VOCAB) with the stop probability of every running speech run replaced."""
        use = self.talking & self.known
        if self.yield_in_overlap:
            use = use & ~self.partner
        if not use.any():
            return probs
        return with_hazard(probs, run_hazard(self.onset, np.maximum(self.run, 1)), use)

    def repeat(self, rows: np.ndarray) -> None:
        """Keep the rows `rows` (in this order): replication for rollouts."""
        self.talking, self.run, self.known = self.talking[rows], self.run[rows], self.known[rows]
        self.partner = self.partner[rows]
        self.onset = self.onset[rows]
        if self.pending is not None:
            self.pending = self.pending[rows]
