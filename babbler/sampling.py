"""Generate two-speaker token tracks with any frame model: selfplay, continuation, listen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm import tqdm

from babbler.dataset import SpeakerScale, token_values
from babbler.fileio import atomic_path, write_va
from babbler.models import Stream
from babbler.systems import system_spec
from babbler.va import TOKEN_RATE, frames_to_segments, runs

FREE = -1  # marks a frame/speaker the model generates
STOP_RULES = ("duration", "frame", "overlap")  # config sample.stop


def sampler(model, stop: str = "overlap") -> Callable[[int], Stream]:
    """The stream factory sampling uses: with stop "duration", a model that predicts run lengths (the transformer)
    ends its speech runs by them; with "overlap", by them while the partner is silent and by the per-frame
    probabilities while the partner talks; the baselines and stop "frame" use the model's per-frame probabilities."""
    if stop not in STOP_RULES:
        raise ValueError(f"sample.stop must be one of {STOP_RULES}, not {stop!r}")
    if stop != "frame" and getattr(model, "predicts_durations", False):
        return partial(model.stream, durations=True, yield_in_overlap=stop == "overlap")
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


class RunTracker:
    """Per speaker: whether it talks now, the frames it has spent in that VA state, and whether it has spoken yet
    (the bookkeeping behind RunLimits, for a batch in `generate` and for one live agent alike)."""

    def __init__(self, tokens: np.ndarray):
        self.talking = np.asarray(tokens) > 0
        self.run = np.ones(self.talking.shape, dtype=np.int64)
        self.spoke = self.talking.copy()  # silence after speech is limited, the opening silence is not

    def restrict(self, probs: np.ndarray, limits: RunLimits | None) -> np.ndarray:
        """`probs` with the tokens that would end a run too early removed (as they are without limits)."""
        return probs if limits is None else limits.restrict(probs, self.talking, self.run, self.spoke)

    def update(self, tokens: np.ndarray) -> None:
        """Account for the tokens of the next frame."""
        now = np.asarray(tokens) > 0
        self.run = np.where(now == self.talking, self.run + 1, 1)
        self.spoke = self.spoke | now
        self.talking = now


def generate(
    stream_factory: Callable[[int], Stream],
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
    runs_now = RunTracker(out[:, 0])
    for t in tqdm(range(1, t_max), desc=desc, mininterval=5.0):
        probs = stream.next_probs()
        drawn = sample_token(runs_now.restrict(probs, limits), rng, temperature)
        out[:, t] = np.where(fixed[:, t] == FREE, drawn, fixed[:, t])
        runs_now.update(out[:, t])
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


def system_plan(system: str, real: list[np.ndarray], prompt_frames: int, listen_agent: str) -> np.ndarray | None:
    """The given/free frames a generated system's sampler fills, by its mode (None for resynthesis: the real tracks
    are used as they are)."""
    mode = system_spec(system).mode
    if mode == "resynth":
        return None
    if mode == "continuation":
        return continuation_plan(real, prompt_frames)
    if mode == "listen":
        return listen_plan(real, "AB".index(listen_agent))
    return selfplay_plan([len(r) for r in real])


def tracks_table(tokens: np.ndarray, scales: tuple[SpeakerScale, SpeakerScale]) -> pd.DataFrame:
    """50 Hz tracks of a generated dialogue: time, then per speaker token, va, f0 (Hz, NaN) and intensity (dB)."""
    cols = {"time": np.arange(len(tokens)) / TOKEN_RATE}
    for s, spk in enumerate("AB"):
        va, f0, db = token_values(tokens[:, s], scales[s])
        cols[f"token_{spk}"] = tokens[:, s].astype(np.int16)
        cols[f"va_{spk}"] = va
        cols[f"f0_{spk}"] = f0.astype(np.float32)
        cols[f"intensity_{spk}"] = db.astype(np.float32)
    return pd.DataFrame(cols)


def write_generated(folder: str | Path, key: str, tokens: np.ndarray, scales) -> None:
    """Write `tracks/{key}.parquet` and the VA that drove it, `va/{key}.csv`."""
    folder = Path(folder)
    table = tracks_table(tokens, scales)
    with atomic_path(folder / "tracks" / f"{key}.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    va = frames_to_segments({"A": table["va_A"].to_numpy(), "B": table["va_B"].to_numpy()}, rate=TOKEN_RATE)
    write_va(folder / "va" / f"{key}.csv", va)
