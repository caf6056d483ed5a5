"""Baseline frame models: `independent` (semi-Markov per speaker) and `markov` (chain over the joint VA state)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from babbler.models import joint_from_marginals
from babbler.models.dataset import VOCAB
from babbler.models.files import save_torch
from babbler.models.frame_eval import scored_bits
from babbler.models.spec import FitJob, FrameModel
from babbler.util.fileio import atomic_path
from babbler.va import runs


def _token_counts(tokens: np.ndarray) -> np.ndarray:
    """How often each speech token 1…VOCAB−1 occurs (index 0 unused): counted a dialogue at a time, so that a fit
    never holds a copy of the corpus's tokens."""
    return np.bincount(tokens[tokens > 0].astype(np.int64), minlength=VOCAB)


def _token_dist(counts: np.ndarray) -> np.ndarray:
    """Add-one smoothed distribution over speech tokens 1…VOCAB−1 (index 0 unused) from their counts."""
    counts = counts.astype(float)
    counts[1:] += 1.0
    counts[0] = 0.0
    return counts / counts.sum()


def _hazard(lengths: np.ndarray, censored: np.ndarray, max_len: int) -> np.ndarray:
    """Discrete hazard h[d] = P(run ends at length d | length ≥ d), d = 1…max_len, smoothed."""
    ended = np.bincount(lengths[~censored], minlength=max_len + 2)[1 : max_len + 1].astype(float)
    at_least = np.array([(lengths >= d).sum() for d in range(1, max_len + 1)], dtype=float)
    prior = (len(lengths[~censored]) + 1) / (lengths.sum() + 2)  # mean hazard
    return (ended + 2 * prior) / (at_least + 2)


@dataclass
class IndependentModel:
    """Each speaker a talk/silence semi-Markov process with empirical run lengths, blind to the partner."""

    hazard_on: np.ndarray  # by run length in frames
    hazard_off: np.ndarray
    p_on: float
    speech_tokens: np.ndarray  # (VOCAB,) distribution of the token given speech
    name: str = "independent"

    @classmethod
    def fit(cls, dialogues: list[np.ndarray], max_len: int = 1500) -> "IndependentModel":
        """Run-length hazards and token distribution from (T, 2) token arrays, both speakers pooled."""
        lens = {True: [], False: []}
        cens = {True: [], False: []}
        token_counts, on = np.zeros(VOCAB, dtype=np.int64), []
        for tok in dialogues:
            for s in range(2):
                va = tok[:, s] > 0
                on.append(va.mean())
                token_counts += _token_counts(tok[:, s])
                for value in (True, False):
                    st, en = runs(va if value else ~va)
                    lens[value].append(en - st)
                    cens[value].append((st == 0) | (en == len(va)))
        h = {}
        for value in (True, False):
            lengths = np.minimum(np.concatenate(lens[value]), max_len)
            h[value] = _hazard(lengths, np.concatenate(cens[value]), max_len)
        return cls(h[True], h[False], float(np.mean(on)), _token_dist(token_counts))

    def stream(self, batch: int) -> "IndependentStream":
        """A fresh stream for `batch` dialogues."""
        return IndependentStream(self, batch)

    def state_dict(self) -> dict:
        """Arrays that define the model (for torch.save)."""
        return {"kind": self.name, "hazard_on": self.hazard_on, "hazard_off": self.hazard_off, "p_on": self.p_on,
                "speech_tokens": self.speech_tokens}


class IndependentStream:
    """Per speaker: current VA value and how long it has lasted."""

    def __init__(self, model: IndependentModel, batch: int):
        self.m = model
        self.value = np.zeros((batch, 2), dtype=bool)
        self.length = np.zeros((batch, 2), dtype=np.int64)  # 0 = no history yet

    def _p_on(self) -> np.ndarray:
        d = np.clip(self.length, 1, len(self.m.hazard_on)) - 1
        p_end_on = self.m.hazard_on[d]
        p_end_off = self.m.hazard_off[d]
        p = np.where(self.value, 1 - p_end_on, p_end_off)
        return np.where(self.length == 0, self.m.p_on, p)

    def next_probs(self) -> np.ndarray:
        p_on = self._p_on()
        out = p_on[:, :, None] * self.m.speech_tokens[None, None, :]
        out[:, :, 0] = 1 - p_on
        return out

    def va_joint(self) -> np.ndarray:
        return joint_from_marginals(self._p_on())

    def repeat(self, k: int) -> None:
        """Replicate every dialogue's state k times."""
        self.value = np.repeat(self.value, k, axis=0)
        self.length = np.repeat(self.length, k, axis=0)

    def push(self, tokens: np.ndarray) -> None:
        va = tokens > 0
        same = va == self.value
        self.length = np.where(same & (self.length > 0), self.length + 1, 1)
        self.value = va


@dataclass
class MarkovModel:
    """Order-k Markov chain over the joint VA state, hierarchically smoothed; prosody drawn per state."""

    order: int
    counts: list[np.ndarray]  # counts[j]: (4**j, 4) transitions after j frames of context
    beta: float
    speech_tokens: np.ndarray  # (4, 2, VOCAB): token distribution of each speaker given the joint state
    name: str = "markov"
    adapt: float = 0.0  # > 0: each stream adapts to its dialogue's first frames, the fitted chain a prior this strong
    adapt_frames: int = 0  # how many of a dialogue's first frames it adapts to (a continuation's prompt)

    @classmethod
    def fit(cls, dialogues: list[np.ndarray], order: int = 8, beta: float = 2.0) -> "MarkovModel":
        """Transition counts of every order up to `order` and per-state token dists, over both role assignments (a
        chain symmetric in the two speakers)."""
        if not 1 <= order <= 10:
            raise ValueError(f"markov order must be 1…10, got {order}")
        counts = [np.zeros((4**j, 4)) for j in range(order + 1)]
        token_counts = np.zeros((4, 2, VOCAB), dtype=np.int64)  # per joint state and speaker
        for tok in dialogues:
            for view in (tok, tok[:, ::-1]):  # speaker-swap: symmetric in the two roles
                va = view > 0
                state = va[:, 0].astype(np.int64) + 2 * va[:, 1].astype(np.int64)
                for j in range(order + 1):
                    ctx = np.zeros(len(state) - j, dtype=np.int64)
                    for i in range(j):  # most recent frame is the lowest digit
                        ctx += state[j - 1 - i : len(state) - 1 - i] * 4**i
                    np.add.at(counts[j], (ctx, state[j:]), 1)
            state = (tok[:, 0] > 0).astype(np.int64) + 2 * (tok[:, 1] > 0).astype(np.int64)
            for st in range(4):
                for s in range(2):
                    token_counts[st, s] += _token_counts(tok[state == st, s])
        speech = np.zeros((4, 2, VOCAB))
        for st in range(4):
            for s in range(2):
                speech[st, s] = _token_dist(token_counts[st, s])
        return cls(order, counts, beta, speech)

    def adapted(self, prior_frames: float, frames: int) -> "MarkovModel":
        """The same chain whose streams adapt to the first `frames` frames of their dialogue (a continuation's
        prompt): at a full context, the next state's distribution is (the dialogue's transition counts there +
        A × the fitted chain's) / (their sum + A), A = `prior_frames`; A = 0 or no frames = no adaptation.
        Frames after those are not counted: a chain that adapts to its own draws drifts."""
        if prior_frames < 0 or frames < 0:
            raise ValueError(f"the adaptation's prior strength and frames must be ≥ 0, got {prior_frames}, {frames}")
        return replace(self, adapt=float(prior_frames), adapt_frames=int(frames))

    def probs(self, history: np.ndarray) -> np.ndarray:
        """(batch, 4) next-state distribution given (batch, k) recent states (column 0 = most recent), k ≤ order."""
        batch, k = history.shape
        p = np.broadcast_to((self.counts[0][0] + 1) / (self.counts[0][0].sum() + 4), (batch, 4)).copy()
        ctx = np.zeros(batch, dtype=np.int64)
        for j in range(1, k + 1):
            ctx = ctx + history[:, j - 1] * 4 ** (j - 1)
            c = self.counts[j][ctx]
            p = (c + self.beta * p) / (c.sum(axis=1, keepdims=True) + self.beta)
        return p

    def stream(self, batch: int) -> "MarkovStream":
        """A fresh stream for `batch` dialogues."""
        return MarkovStream(self, batch)

    def state_dict(self) -> dict:
        """Arrays that define the model (for torch.save)."""
        return {"kind": self.name, "order": self.order, "counts": self.counts, "beta": self.beta,
                "speech_tokens": self.speech_tokens}


class MarkovStream:
    """The last `order` joint states of each dialogue and, when the model adapts, each dialogue's own transition
    counts after every full context among its first `adapt_frames` frames."""

    def __init__(self, model: MarkovModel, batch: int):
        self.m = model
        self.history = np.zeros((batch, 0), dtype=np.int64)
        adapting = model.adapt > 0 and model.adapt_frames > model.order
        self.own = np.zeros((batch, 4**model.order, 4), dtype=np.float32) if adapting else None
        self.pushed = 0

    def _context(self) -> np.ndarray:
        """Index of each dialogue's full context (most recent frame the lowest digit)."""
        return (self.history * 4 ** np.arange(self.m.order)).sum(axis=1)

    def va_joint(self) -> np.ndarray:
        p = self.m.probs(self.history)
        if self.own is None or self.history.shape[1] < self.m.order:
            return p
        own = self.own[np.arange(len(p)), self._context()]
        return (own + self.m.adapt * p) / (own.sum(axis=1, keepdims=True) + self.m.adapt)

    def next_probs(self) -> np.ndarray:
        joint = self.va_joint()
        p_on = np.stack([joint[:, 1] + joint[:, 3], joint[:, 2] + joint[:, 3]], axis=1)
        # token given speech: mix the per-state distributions by the state's probability
        out = np.zeros((len(joint), 2, VOCAB))
        for s, states in ((0, (1, 3)), (1, (2, 3))):
            w = joint[:, states] / np.maximum(p_on[:, s : s + 1], 1e-12)
            out[:, s] = p_on[:, s : s + 1] * (w[:, :1] * self.m.speech_tokens[states[0], s]
                                               + w[:, 1:] * self.m.speech_tokens[states[1], s])
            out[:, s, 0] = 1 - p_on[:, s]
        return out

    def repeat(self, k: int) -> None:
        """Replicate every dialogue's state k times."""
        self.history = np.repeat(self.history, k, axis=0)
        if self.own is not None:
            self.own = np.repeat(self.own, k, axis=0)

    def push(self, tokens: np.ndarray) -> None:
        state = (tokens[:, 0] > 0).astype(np.int64) + 2 * (tokens[:, 1] > 0).astype(np.int64)
        if self.own is not None and self.history.shape[1] == self.m.order and self.pushed < self.m.adapt_frames:
            self.own[np.arange(len(state)), self._context(), state] += 1
        self.pushed += 1
        self.history = np.concatenate([state[:, None], self.history], axis=1)[:, : self.m.order]


def _array(x) -> np.ndarray:
    """A saved array (a tensor in files saved to load without code, an array in memory) as numpy."""
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def load_independent(state: dict) -> IndependentModel:
    """Rebuild the independent baseline from its state_dict (as saved, tensors in place of arrays)."""
    return IndependentModel(_array(state["hazard_on"]), _array(state["hazard_off"]), float(state["p_on"]),
                            _array(state["speech_tokens"]))


def load_markov(state: dict) -> MarkovModel:
    """Rebuild the Markov baseline from its state_dict (as saved, tensors in place of arrays)."""
    if state.get("seat"):
        raise ValueError("fitted with model.markov.seat, an option this version removed; fit it again")
    return MarkovModel(int(state["order"]), [_array(c) for c in state["counts"]], float(state["beta"]),
                       _array(state["speech_tokens"]))


def save_baseline(path: str | Path, model) -> None:
    """Save a baseline's arrays (as tensors: the file loads without running code)."""
    save_torch(path, model.state_dict())


def write_fitted(job: FitJob, name: str, model) -> dict:
    """Save a fitted baseline and its one metrics row: bits per frame on the train and validation splits."""
    row = {"model": name}
    for split, seqs in (("train", job.train), ("val", job.val)):
        if seqs:
            row[f"{split}_bits_per_frame"] = scored_bits(model.stream, seqs, desc=split)[0]
    save_baseline(job.model_path, model)
    with atomic_path(job.metrics_path) as tmp:
        pd.DataFrame([row]).to_csv(tmp, index=False)
    return row


def fit_markov(job: FitJob) -> dict:
    """Rule train for `markov` (config model.markov.order)."""
    return write_fitted(job, "markov", MarkovModel.fit(job.train, order=job.settings["order"]))


def fit_independent(job: FitJob) -> dict:
    """Rule train for `independent` (config model.independent.max_run)."""
    return write_fitted(job, "independent", IndependentModel.fit(job.train, max_len=job.settings["max_run"]))


FRAME_MODELS = (
    FrameModel("markov", "baseline: joint-state Markov chain", fit_markov, load_markov),
    FrameModel("independent", "baseline: speakers ignore each other", fit_independent, load_independent),
)
