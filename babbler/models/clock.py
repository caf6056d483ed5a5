"""The frame model's clock: how long each speaker's current talk or silence has lasted, and what came before.

A Transformer whose silent frames are all the same token can only sense elapsed time through its
soft ALiBi distance bias, so it cannot tell a 240 ms silence from a 320 ms one, yet human pauses,
gaps and overlaps are peaked at such lengths. The clock gives it the count as input: per frame and
per speaker (own, partner), integer features read from the tokens up to and including that frame:

* the current run's length so far, in the duration head's bins: one column while talking, one while silent;
* the last completed talk run's length and the last completed silence's length;
* a tempo: an exponential average over the speaker's completed talk runs of log2 of their length.

The first frame seen (a dialogue's, a stream's) starts a run; index 0 means "not in this state" or
"none yet". Training reads the clock of whole dialogues, so a crop sees the run lengths its frames
had in the dialogue. `clock_features` computes a whole sequence; `Clock` the same one frame at a
time for streaming, with equal results. The model clamps the indices to the range its training data covered
(`clock_range`), so a run longer than any it has learnt from reads as the longest it knows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from babbler.models.durations import DUR_BINS, DUR_EDGES, duration_bin

TEMPO_ALPHA = 0.2  # weight of the newest completed talk run in the tempo average (about the last five runs)
TEMPO_STEPS = 4  # tempo quantisation: steps per octave of run length
TEMPO_LEVELS = 1 + 9 * TEMPO_STEPS + 1  # 0 = no completed run yet, then log2(frames) 0…9 (1 frame … 10.24 s)
# index ranges of the per-speaker columns: current talk, current silence, last talk, last silence, tempo
SPEAKER_SIZES = (1 + DUR_BINS, 1 + DUR_BINS, 1 + DUR_BINS, 1 + DUR_BINS, TEMPO_LEVELS)
SPEAKER_TEMPO = (False, False, False, False, True)  # columns indexed by log2 length, not duration bins
PER_SPEAKER = len(SPEAKER_SIZES)
KNOTS = np.geomspace(1, 512, 16)  # run lengths (frames) at which the model learns a clock vector; interpolated between
SIZES = SPEAKER_SIZES + SPEAKER_SIZES  # own columns, then partner columns
TEMPO = SPEAKER_TEMPO + SPEAKER_TEMPO
N_FEATURES = len(SIZES)


def _average(ema: np.ndarray, value: np.ndarray, alpha: float, done: np.ndarray | bool = True) -> np.ndarray:
    """Exponential averages `ema` updated with `value` where `done` (NaN, no value yet: the first value starts one)."""
    updated = np.where(np.isnan(ema), value, ema + alpha * (value - np.nan_to_num(ema)))
    return np.where(done, updated, ema)


def _run_index(length: np.ndarray) -> np.ndarray:
    """Index of a run of `length` frames (≥ 1): 1…DUR_BINS."""
    return 1 + duration_bin(length)


def _tempo_index(ema: np.ndarray) -> np.ndarray:
    """Quantised tempo of log2 run lengths (0 where no run completed: NaN)."""
    q = 1 + np.clip(np.round(np.nan_to_num(ema) * TEMPO_STEPS), 0, TEMPO_LEVELS - 2).astype(np.int64)
    return np.where(np.isfinite(ema), q, 0)


def speaker_clock(tokens: np.ndarray) -> np.ndarray:
    """(T, PER_SPEAKER) clock columns of one speaker's token track."""
    va = np.asarray(tokens) > 0
    n = len(va)
    out = np.zeros((n, PER_SPEAKER), dtype=np.int64)
    if n == 0:
        return out
    change = np.flatnonzero(va[1:] != va[:-1]) + 1  # first frame of every run after the first
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [n]])
    last_talk, last_sil, ema = 0, 0, np.array(np.nan)
    for i, (s, e) in enumerate(zip(starts, ends)):
        out[s:e, 0 if va[s] else 1] = _run_index(np.arange(1, e - s + 1))
        if i >= 1:  # run i − 1 is complete from frame s on
            length = int(s - starts[i - 1])
            talk = bool(va[starts[i - 1]])
            if talk:
                last_talk = int(_run_index(np.array(length)))
                ema = _average(ema, np.log2(length), TEMPO_ALPHA)
            else:
                last_sil = int(_run_index(np.array(length)))
        out[s:e, 2], out[s:e, 3] = last_talk, last_sil
        out[s:e, 4] = _tempo_index(ema)
    return out


def clock_features(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """(T, N_FEATURES) clock of an (own, partner) token sequence that starts at its first frame."""
    return np.concatenate([speaker_clock(own), speaker_clock(other)], axis=1)


class Clock:
    """`clock_features` one frame at a time for N streams, each holding an (own, partner) pair."""

    def __init__(self, n: int):
        self.t = 0
        self.va = np.zeros((n, 2), dtype=bool)
        self.run = np.zeros((n, 2), dtype=np.int64)
        self.last_talk = np.zeros((n, 2), dtype=np.int64)
        self.last_sil = np.zeros((n, 2), dtype=np.int64)
        self.ema = np.full((n, 2), np.nan)

    def update(self, own: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Take the tokens of the next frame (N,) each and return its clock (N, N_FEATURES)."""
        va = np.stack([np.asarray(own) > 0, np.asarray(other) > 0], axis=1)
        if self.t == 0:
            self.va, self.run = va, np.ones_like(self.run)
        else:
            change = va != self.va  # a run just ended
            talk_done, sil_done = change & self.va, change & ~self.va
            bins = _run_index(np.maximum(self.run, 1))
            self.last_talk = np.where(talk_done, bins, self.last_talk)
            self.last_sil = np.where(sil_done, bins, self.last_sil)
            log_len = np.log2(np.maximum(self.run, 1))
            self.ema = _average(self.ema, log_len, TEMPO_ALPHA, talk_done)
            self.run = np.where(change, 1, self.run + 1)
            self.va = va
        self.t += 1
        current = _run_index(self.run)
        cols = [np.where(self.va, current, 0), np.where(self.va, 0, current), self.last_talk, self.last_sil,
                _tempo_index(self.ema)]
        return np.stack([cols[k][:, s] for s in range(2) for k in range(PER_SPEAKER)], axis=1)

    def select(self, rows: np.ndarray) -> None:
        """Keep the streams `rows` (in this order): replication for rollouts."""
        for name in ("va", "run", "last_talk", "last_sil", "ema"):
            setattr(self, name, getattr(self, name)[rows])


def clock_range(seqs: Iterable[np.ndarray], coverage: float = 0.99) -> np.ndarray:
    """(N_FEATURES, 2) lowest and highest index of each clock column that the training data covers: the central
    `coverage` of its nonzero values (index 0, "not in this state" or "none yet", is kept as is). The sequences are
    read one at a time and counted (the indices are small integers), so a corpus's clocks are never held whole; the
    result is numpy's 'nearest' percentile of all the values."""
    counts = np.zeros((N_FEATURES, max(SIZES)), dtype=np.int64)
    for s in seqs:
        for k in range(N_FEATURES):
            counts[k] += np.bincount(np.asarray(s[:, k], dtype=np.int64), minlength=counts.shape[1])[: counts.shape[1]]
    out = np.zeros((N_FEATURES, 2), dtype=np.int64)
    tail = 100 * (1 - coverage) / 2
    for k in range(N_FEATURES):
        nonzero = counts[k].copy()
        nonzero[0] = 0
        total = int(nonzero.sum())
        if total:
            cum = np.cumsum(nonzero)
            out[k] = [int(np.searchsorted(cum, _nearest_rank(q, total), side="right")) for q in (tail, 100 - tail)]
        else:
            out[k] = 1, SIZES[k] - 1
    return out


def _nearest_rank(q: float, n: int) -> int:
    """The 0-based rank of numpy's 'nearest' q-th percentile among n sorted values."""
    return int(np.around((n - 1) * q / 100))


def knot_weights(size: int, tempo: bool) -> np.ndarray:
    """(size, 1 + len(KNOTS)) weights that make each index of a clock column a mix of learnt vectors: index 0 ("none")
    its own, every other the linear interpolation in log length between the two knots around its run length."""
    index = np.arange(1, size)
    length = 2.0 ** ((index - 1) / TEMPO_STEPS) if tempo else DUR_EDGES[index - 1].astype(float)
    pos = np.interp(np.log(length), np.log(KNOTS), np.arange(len(KNOTS)))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(KNOTS) - 1)
    w = np.zeros((size, 1 + len(KNOTS)))
    w[0, 0] = 1.0
    w[index, 1 + lo] += 1 - (pos - lo)
    w[index, 1 + hi] += pos - lo
    return w
