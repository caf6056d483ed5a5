"""The agent's odds of changing its voice activity, scaled per turn-taking context: the recalibration fitted on the
validation split by the frame model's own likelihood (config `sample.calibration`), the listener's start odds
(`sample.listen_*_odds`), and the one function that builds the agent's stream factory from them."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy.optimize import brentq
from tqdm import tqdm

from babbler.models import Stream, joint_from_marginals
from babbler.sampling.generate import mixed, sampler

# The contexts of one speaker's next frame, in the order of an odds row:
CONTEXTS = (
    "start_overlap",  # silent while the partner talks: starting now is an overlap (or a backchannel)
    "start_gap",  # both silent, the partner spoke after this speaker last did: starting takes the floor
    "start_pause",  # both silent otherwise (this speaker's own pause, or the opening silence): starting resumes
    "stop_alone",  # talking while the partner is silent: stopping ends an IPU
    "stop_overlap",  # talking while the partner talks: stopping yields
)
START_OVERLAP, START_GAP, START_PAUSE, STOP_ALONE, STOP_OVERLAP = range(len(CONTEXTS))
MIN_EVENTS = 20  # fewer changes of state than this in a context on validation: its odds stay 1


class ContextOdds:
    """A stream whose speakers change voice activity at scaled odds: per seat and context (`CONTEXTS`) the odds of
    starting (while silent) or of stopping (while talking) in the next frame are multiplied by `odds[seat, context]`;
    the spoken tokens keep their shares. Contexts whose odds are 1 are left as the model gives them."""

    def __init__(self, stream: Stream, odds: np.ndarray):
        self.stream, self.odds = stream, np.asarray(odds, dtype=np.float64).reshape(2, len(CONTEXTS))
        self.last: np.ndarray | None = None  # (batch, 2) tokens of the last frame pushed
        self.partner_last: np.ndarray | None = None  # (batch, 2) whether the partner spoke after this seat last did

    def contexts(self) -> np.ndarray:
        """(batch, 2) index into CONTEXTS of each speaker's next frame (after the first push)."""
        talking = self.last > 0
        partner = talking[:, ::-1]
        silent_ctx = np.where(partner, START_OVERLAP, np.where(self.partner_last, START_GAP, START_PAUSE))
        return np.where(talking, np.where(partner, STOP_OVERLAP, STOP_ALONE), silent_ctx)

    def next_probs(self) -> np.ndarray:
        probs = self.stream.next_probs()
        if self.last is None:
            return probs
        k = np.take_along_axis(np.broadcast_to(self.odds, (len(self.last), 2, len(CONTEXTS))),
                               self.contexts()[..., None], axis=-1)[..., 0]
        change = k != 1.0
        if not change.any():
            return probs
        talking = self.last > 0
        silence = probs[..., 0]
        talk = 1.0 - silence
        # silent: the odds of talking scaled; talking: the odds of falling silent scaled
        p = np.where(talking, silence, talk)
        scaled = k * p / np.maximum(1.0 - p + k * p, 1e-30)
        new_talk = np.where(talking, 1.0 - scaled, scaled)
        factor = np.where(talk > 0, new_talk / np.maximum(talk, 1e-30), 1.0)
        out = probs.copy()
        out[..., 1:] = np.where(change[..., None], probs[..., 1:] * factor[..., None], probs[..., 1:])
        out[..., 0] = np.where(change, 1.0 - out[..., 1:].sum(axis=-1), silence)
        return out

    def va_joint(self) -> np.ndarray:
        return joint_from_marginals(1 - self.next_probs()[:, :, 0])

    def push(self, tokens: np.ndarray) -> None:
        self.stream.push(tokens)
        now = np.asarray(tokens) > 0
        if self.partner_last is None:
            self.partner_last = np.zeros(now.shape, dtype=bool)
        self.partner_last = np.where(now, False, self.partner_last | now[:, ::-1])
        self.last = np.array(tokens, copy=True)

    def repeat(self, k: int) -> None:
        """Replicate every dialogue's state k times."""
        self.stream.repeat(k)
        if self.last is not None:
            self.last = np.repeat(self.last, k, axis=0)
            self.partner_last = np.repeat(self.partner_last, k, axis=0)


def agent_odds(calibration: Sequence[float] | None = None, listener: tuple[int, float, float] | None = None
               ) -> np.ndarray | None:
    """The (2, CONTEXTS) odds of an agent: both seats' recalibration (`calibration`, one odds per context), times a
    listener's start odds on its seat (`listener`: seat, odds in the partner's talk, odds after its silence); None
    where every odds is 1."""
    odds = np.ones((2, len(CONTEXTS)))
    if calibration is not None:
        odds *= np.asarray(calibration, dtype=np.float64)[None, :]
    if listener is not None:
        seat, overlap, gap = listener
        odds[int(seat), START_OVERLAP] *= overlap
        odds[int(seat), START_GAP] *= gap
    return None if np.all(odds == 1.0) else odds


def agent_stream(model, markov=None, stop: str = "overlap", weight: float = 0.0, adapt: float = 0.0,
                 prompt: int = 0, odds: np.ndarray | None = None) -> Callable[[int], Stream]:
    """The stream factory the agent is drawn from, wherever it is drawn (sample stage, rule tune, benchmarks, the live
    agent): the frame model mixed with the count model (`mixed`), ending its runs by `stop` (`sampler`), its odds of
    changing state scaled by `odds` (`agent_odds`; None: as the model gives them)."""
    factory = sampler(mixed(model, markov, weight, adapt, prompt), stop)
    if odds is None:
        return factory
    return lambda batch: ContextOdds(factory(batch), odds)


def fit_calibration(stream_factory: Callable[[int], Stream], dialogues: list[np.ndarray],
                    min_events: int = MIN_EVENTS, desc: str = "calibrate") -> tuple[list[float], dict[str, int]]:
    """Per context (`CONTEXTS`, both speakers pooled), the odds by which the stream's probabilities of changing
    voice activity must be scaled for the most likely fit of `dialogues` (teacher-forced: the real frames pushed, as
    in sampling), and the number of changes of state behind each; odds 1 where fewer than `min_events` (or every
    frame) changed. At the fitted odds the stream's expected number of changes in each context equals the actual one.
    """
    lengths = np.array([len(d) for d in dialogues])
    n = int(lengths.max())
    tokens = np.zeros((len(dialogues), n, 2), dtype=np.int64)
    for i, d in enumerate(dialogues):
        tokens[i, : len(d)] = d
    stream = ContextOdds(stream_factory(len(dialogues)), np.ones((2, len(CONTEXTS))))
    stream.push(tokens[:, 0])
    p_change = [[] for _ in CONTEXTS]
    changed = np.zeros(len(CONTEXTS), dtype=np.int64)
    for t in tqdm(range(1, n), desc=desc, mininterval=5.0):
        probs = stream.next_probs()
        talking = tokens[:, t - 1] > 0
        p = np.where(talking, probs[..., 0], 1.0 - probs[..., 0])
        ctx = stream.contexts()
        valid = np.repeat((lengths > t)[:, None], 2, axis=1)
        flips = (tokens[:, t] > 0) != talking
        for c in range(len(CONTEXTS)):
            m = valid & (ctx == c)
            p_change[c].append(p[m])
            changed[c] += int(flips[m].sum())
        stream.push(tokens[:, t])
    odds = []
    for c in range(len(CONTEXTS)):
        p = np.clip(np.concatenate(p_change[c]), 1e-12, 1 - 1e-12)
        y = changed[c]
        if y < min_events or y >= len(p):
            odds.append(1.0)
            continue
        odds.append(float(brentq(lambda k: float((k * p / (1 - p + k * p)).sum()) - y, 1e-4, 1e4, xtol=1e-6)))
    return odds, {name: int(changed[c]) for c, name in enumerate(CONTEXTS)}
