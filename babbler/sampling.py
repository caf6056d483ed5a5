"""Generate two-speaker token tracks with any frame model: selfplay, continuation, listen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm import tqdm

from babbler.dataset import RATE, SpeakerScale, bin_centres, decode
from babbler.fileio import atomic_path, write_va
from babbler.va import frames_to_segments, runs

FREE = -1  # marks a frame/speaker the model generates
STOP_RULES = ("duration", "frame")  # config sample.stop


def sampler(model, stop: str = "duration") -> Callable[[int], object]:
    """The stream factory sampling uses: with stop "duration", a model that predicts run lengths (the transformer)
    ends its speech runs by them; the baselines and stop "frame" use the model's per-frame probabilities."""
    if stop not in STOP_RULES:
        raise ValueError(f"sample.stop must be one of {STOP_RULES}, not {stop!r}")
    if stop == "duration" and hasattr(model, "head_dur"):
        return partial(model.stream, durations=True)
    return model.stream


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


@dataclass(frozen=True)
class RunLimits:
    """Shortest VA runs of the training tracks, in frames: speech runs, and silences between speech."""

    speech: int = 1
    silence: int = 1

    @classmethod
    def from_tracks(cls, dialogues: list[np.ndarray]) -> "RunLimits":
        """The shortest speech run and the shortest silence between two speech runs over both speakers."""
        speech, silence = [], []
        for tokens in dialogues:
            for c in range(tokens.shape[1]):
                starts, ends = runs(tokens[:, c] > 0)
                speech.extend(ends - starts)
                silence.extend(starts[1:] - ends[:-1])
        return cls(int(min(speech, default=1)), int(min(silence, default=1)))

    def restrict(self, probs: np.ndarray, talking: np.ndarray, run: np.ndarray, spoke: np.ndarray) -> np.ndarray:
        """`probs` (..., VOCAB) renormalised so that no speaker leaves a speech run, or a silence after its
        speech, shorter than the limit; talking, run (frames in the current state), spoke have shape (...)."""
        keep_speech = talking & (run < self.speech)
        keep_silence = ~talking & spoke & (run < self.silence)
        if not (keep_speech.any() or keep_silence.any()):
            return probs
        silent_token = np.arange(probs.shape[-1]) == 0
        banned = (keep_speech[..., None] & silent_token) | (keep_silence[..., None] & ~silent_token)
        probs = np.where(banned, 0.0, probs)
        return probs / probs.sum(axis=-1, keepdims=True)


def generate(
    stream_factory: Callable[[int], object],
    fixed: np.ndarray,
    rng: np.random.Generator,
    temperature: float = 1.0,
    desc: str = "sample",
    limits: RunLimits | None = None,
) -> np.ndarray:
    """Fill the FREE entries of `fixed` (batch, T, 2) frame by frame; given entries are pushed as they are.

    With `limits`, a generated speaker cannot end a speech run, or a silence after speech, before it
    is as long as the shortest such run in the training tracks (tracks never hold shorter ones: the
    VA rules of the design drop them), so the draw is renormalised over the allowed tokens.
    """
    batch, t_max, _ = fixed.shape
    out = np.zeros_like(fixed)
    stream = stream_factory(batch)
    first = fixed[:, 0]
    out[:, 0] = np.where(first == FREE, 0, first)  # every dialogue starts in silence unless given
    stream.push(out[:, 0])
    run = np.ones((batch, 2), dtype=np.int64)  # frames in the current VA state
    spoke = out[:, 0] > 0  # silence after speech is limited, the opening silence is not
    for t in tqdm(range(1, t_max), desc=desc, mininterval=5.0):
        probs = stream.next_probs()
        va = out[:, t - 1] > 0
        if limits is not None:
            probs = limits.restrict(probs, va, run, spoke)
        drawn = sample_token(probs, rng, temperature)
        out[:, t] = np.where(fixed[:, t] == FREE, drawn, fixed[:, t])
        now = out[:, t] > 0
        run = np.where(now == va, run + 1, 1)
        spoke |= now
        stream.push(out[:, t])
    return out


def selfplay_plan(lengths: list[int]) -> np.ndarray:
    """Everything free: two agents babble from silence."""
    plan = np.full((len(lengths), max(lengths), 2), FREE, dtype=np.int64)
    return plan


def continuation_plan(dialogues: list[np.ndarray], prompt_frames: int) -> np.ndarray:
    """The first `prompt_frames` of each dialogue are given, the rest of both channels is free."""
    plan = np.full((len(dialogues), max(len(d) for d in dialogues), 2), FREE, dtype=np.int64)
    for i, d in enumerate(dialogues):
        plan[i, :prompt_frames] = d[:prompt_frames]
    return plan


def listen_plan(dialogues: list[np.ndarray], agent: int) -> np.ndarray:
    """The partner channel is the real speaker throughout; the agent's channel is free."""
    plan = np.full((len(dialogues), max(len(d) for d in dialogues), 2), FREE, dtype=np.int64)
    for i, d in enumerate(dialogues):
        plan[i, : len(d), 1 - agent] = d[:, 1 - agent]
    return plan


def tracks_table(tokens: np.ndarray, scales: tuple[SpeakerScale, SpeakerScale]) -> pd.DataFrame:
    """50 Hz tracks of a generated dialogue: time, then per speaker token, va, f0 (Hz, NaN) and intensity (dB)."""
    cols = {"time": np.arange(len(tokens)) / RATE}
    for s, spk in enumerate("AB"):
        va, f0b, ib = decode(tokens[:, s])
        f0_c, db_c = bin_centres(scales[s])
        voiced = va & (f0b < len(f0_c))
        cols[f"token_{spk}"] = tokens[:, s].astype(np.int16)
        cols[f"va_{spk}"] = va
        cols[f"f0_{spk}"] = np.where(voiced, f0_c[np.clip(f0b, 0, len(f0_c) - 1)], np.nan).astype(np.float32)
        cols[f"intensity_{spk}"] = np.where(va, db_c[np.clip(ib, 0, len(db_c) - 1)], np.nan).astype(np.float32)
    return pd.DataFrame(cols)


def write_generated(folder: str | Path, key: str, tokens: np.ndarray, scales) -> None:
    """Write `tracks/{key}.parquet` and the VA that drove it, `va/{key}.csv`."""
    folder = Path(folder)
    table = tracks_table(tokens, scales)
    with atomic_path(folder / "tracks" / f"{key}.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    va = frames_to_segments({"A": table["va_A"].to_numpy(), "B": table["va_B"].to_numpy()}, rate=RATE)
    write_va(folder / "va" / f"{key}.csv", va)
