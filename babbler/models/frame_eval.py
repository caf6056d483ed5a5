"""Frame-model evaluation on held-out dialogues: bits per frame and VAP-style shift/hold prediction."""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import stats
from tqdm import tqdm

from babbler.models import Stream, sample_token
from babbler.va import TOKEN_RATE, runs

EVENT_CONTEXT = TOKEN_RATE  # 1 s of single-speaker activity before and after a silence (VAP event condition)
ROLLOUTS = 16  # sampled futures per event
HORIZON = 2 * TOKEN_RATE  # frames a rollout may run before someone speaks (VAP's 2 s projection window)
HISTORY = 4 * TOKEN_RATE  # frames of true history the model sees before the silence


def joint_state(tokens: np.ndarray) -> np.ndarray:
    """Joint VA state per frame: 0 none, 1 A, 2 B, 3 both."""
    return (tokens[..., 0] > 0).astype(np.int64) + 2 * (tokens[..., 1] > 0).astype(np.int64)


def teacher_forced(stream_factory: Callable[[int], Stream], dialogues: list[np.ndarray], desc: str = "eval"):
    """Run a model over dialogues; per frame 1…T−1: VA bits and token bits, and the mask of scored frames."""
    batch = len(dialogues)
    lengths = np.array([len(d) for d in dialogues])
    t_max = int(lengths.max())
    padded = np.zeros((batch, t_max, 2), dtype=np.int64)
    for i, d in enumerate(dialogues):
        padded[i, : len(d)] = d
    stream = stream_factory(batch)
    stream.push(padded[:, 0])
    va_bits = np.zeros((batch, t_max))
    tok_bits = np.zeros((batch, t_max))
    rows = np.arange(batch)
    for t in tqdm(range(1, t_max), desc=desc, mininterval=5.0):
        joint = stream.va_joint()
        probs = stream.next_probs()
        state = joint_state(padded[:, t])
        va_bits[:, t] = -np.log2(np.maximum(joint[rows, state], 1e-12))
        tok_bits[:, t] = -np.log2(np.maximum(probs[rows, 0, padded[:, t, 0]], 1e-12)) - np.log2(
            np.maximum(probs[rows, 1, padded[:, t, 1]], 1e-12))
        stream.push(padded[:, t])
    mask = np.arange(t_max)[None, :] < lengths[:, None]
    mask[:, 0] = False
    return va_bits, tok_bits, mask


SCORING_CHUNK = 256  # dialogues teacher-forced at once: memory bounded by the chunk, not the corpus


def scored_bits(stream_factory: Callable[[int], Stream], dialogues: list[np.ndarray], desc: str = "eval",
                chunk: int | None = None) -> tuple[float, float, int]:
    """Mean VA bits and token bits per scored frame, and the number of scored frames, teacher-forced `chunk`
    dialogues at a time (one chunk: numpy's means over all frames; more: the chunks' sums over their frames)."""
    chunk = chunk or SCORING_CHUNK
    va_sum = tok_sum = 0.0
    frames = 0
    for k in range(0, len(dialogues), chunk):
        va_bits, tok_bits, mask = teacher_forced(stream_factory, dialogues[k : k + chunk], desc=desc)
        if len(dialogues) <= chunk:
            return float(va_bits[mask].mean()), float(tok_bits[mask].mean()), int(mask.sum())
        va_sum += float(va_bits[mask].sum())
        tok_sum += float(tok_bits[mask].sum())
        frames += int(mask.sum())
    return va_sum / frames, tok_sum / frames, frames


def shift_hold_events(tokens: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(silence start, silence end, speaker before, speaker after) with ≥ 1 s single-speaker talk either side."""
    state = joint_state(tokens)
    events = []
    for s, e in zip(*runs(state == 0)):
        if s < EVENT_CONTEXT or e + EVENT_CONTEXT > len(state):
            continue
        before, after = state[s - EVENT_CONTEXT : s], state[e : e + EVENT_CONTEXT]
        if before[0] in (1, 2) and (before == before[0]).all() and after[0] in (1, 2) and (after == after[0]).all():
            events.append((int(s), int(e), int(before[0]) - 1, int(after[0]) - 1))
    return events


def p_shift_batch(stream_factory: Callable[[int], Stream], starts: list[tuple[np.ndarray, int, int]],
                  rng: np.random.Generator) -> np.ndarray:
    """P(the partner breaks the silence first) per (tokens, silence start, speaker before), by model rollouts.

    Every event gets ROLLOUTS sampled futures from the same HISTORY frames of true context (silence
    padded at a dialogue's start); all events and rollouts run as one batch.
    """
    n = len(starts)
    hist = np.zeros((n, HISTORY, 2), dtype=np.int64)
    for i, (tok, s, _b) in enumerate(starts):
        piece = tok[max(0, s - HISTORY) : s]
        hist[i, HISTORY - len(piece) :] = piece
    before = np.repeat(np.array([b for _t, _s, b in starts]), ROLLOUTS)
    stream = stream_factory(n)
    for t in range(HISTORY):
        stream.push(hist[:, t])
    stream.repeat(ROLLOUTS)
    first = np.full(n * ROLLOUTS, -1)
    for _ in range(HORIZON):
        drawn = sample_token(stream.next_probs(), rng)
        on = drawn > 0
        undecided = first < 0
        only = on[:, 0] ^ on[:, 1]
        first = np.where(undecided & only, np.where(on[:, 0], 0, 1), first)
        first = np.where(undecided & on[:, 0] & on[:, 1], 2, first)  # both at once: no vote
        if (first >= 0).all():
            break
        stream.push(drawn)  # the drawn tokens themselves: a speech frame's token is one the model can draw
    first, before = first.reshape(n, ROLLOUTS), before.reshape(n, ROLLOUTS)
    votes = (first == 0) | (first == 1)
    shift = votes & (first != before)
    return np.where(votes.sum(1) > 0, shift.sum(1) / np.maximum(votes.sum(1), 1), 0.5)


def shift_auc(p_shift: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve of P(shift) for telling shifts from holds: the chance that a random shift event
    scores above a random hold event, ties counting half (Mann–Whitney); NaN without both kinds."""
    shifts, holds = p_shift[truth], p_shift[~truth]
    if not len(shifts) or not len(holds):
        return float("nan")
    return float(stats.mannwhitneyu(shifts, holds).statistic / (len(shifts) * len(holds)))


def shift_probs(stream_factory: Callable[[int], Stream], dialogues: list[np.ndarray], seed: int = 0,
                max_events: int = 200, chunk: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """The model's P(shift) at (at most `max_events`, a seeded draw of) the dialogues' shift/hold events, and whether
    each event was a shift."""
    rng = np.random.default_rng(seed)
    events = [(i, *ev) for i, tok in enumerate(dialogues) for ev in shift_hold_events(tok)]
    if len(events) > max_events:
        events = [events[j] for j in sorted(rng.choice(len(events), max_events, replace=False))]
    truth = np.array([after != before for _i, _s, _e, before, after in events], dtype=bool)
    p = np.concatenate([
        p_shift_batch(stream_factory, [(dialogues[i], s, before) for i, s, _e, before, _a in events[k : k + chunk]],
                      rng)
        for k in tqdm(range(0, len(events), chunk), desc="shift/hold", mininterval=5.0)
    ]) if events else np.zeros(0)
    return p, truth


def recalls(p_shift: np.ndarray, truth: np.ndarray, threshold: float) -> tuple[float, float]:
    """Recall of shifts and of holds when P(shift) > `threshold` predicts a shift (NaN where a kind is absent)."""
    pred = p_shift > threshold
    n_shift, n_hold = int(truth.sum()), int((~truth).sum())
    return (float((pred & truth).sum() / n_shift) if n_shift else float("nan"),
            float((~pred & ~truth).sum() / n_hold) if n_hold else float("nan"))


def validation_threshold(p_shift: np.ndarray, truth: np.ndarray) -> float | None:
    """The P(shift) threshold with the best balanced accuracy on (validation) events: a midpoint between two of their
    P(shift) values, or 0.5; ties go to the one nearest 0.5. None without both shifts and holds."""
    if not truth.any() or truth.all():
        return None
    values = np.unique(p_shift)
    candidates = np.unique(np.concatenate([(values[:-1] + values[1:]) / 2, [0.5]]))
    scores = np.array([np.mean(recalls(p_shift, truth, t)) for t in candidates])
    best = np.flatnonzero(np.isclose(scores, scores.max()))
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])


def shift_hold_accuracy(stream_factory: Callable[[int], Stream], dialogues: list[np.ndarray], seed: int = 0,
                        max_events: int = 200, threshold: float = 0.5) -> dict[str, float]:
    """How well the model's own rollouts predict shift vs hold at VAP events: the AUC of P(shift), which tells models
    apart without a threshold, and the balanced accuracy of P(shift) > `threshold`."""
    p, truth = shift_probs(stream_factory, dialogues, seed, max_events)
    rec_shift, rec_hold = recalls(p, truth, threshold)
    return {"shift_hold_balanced_accuracy": float(np.nanmean([rec_shift, rec_hold])) if truth.size else float("nan"),
            "shift_hold_auc": shift_auc(p, truth), "shift_hold_threshold": threshold,
            "shift_recall": rec_shift, "hold_recall": rec_hold, "n_shift": int(truth.sum()),
            "n_hold": int((~truth).sum())}


def evaluate_frame_model(stream_factory: Callable[[int], Stream], dialogues: list[np.ndarray], name: str,
                         seed: int = 0, max_events: int = 200, val: list[np.ndarray] | None = None) -> dict:
    """Test bits per frame (joint VA, and full tokens) and shift/hold prediction of one model; the shift/hold
    threshold is chosen on the `val` dialogues' events (0.5 where they lack shifts or holds)."""
    va, tok, frames = scored_bits(stream_factory, dialogues, desc=name)
    threshold = validation_threshold(*shift_probs(stream_factory, val or [], seed, max_events))
    chosen = "validation" if threshold is not None else "0.5: the validation split lacks shift or hold events"
    return {"model": name, "test_bits_per_frame": va, "test_token_bits_per_frame": tok, "test_frames": frames,
            **shift_hold_accuracy(stream_factory, dialogues, seed, max_events,
                                  0.5 if threshold is None else threshold),
            "shift_hold_threshold_from": chosen}
