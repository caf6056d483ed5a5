"""Generate two-speaker token tracks with any frame model, frame by frame: the stream factory, run limits, the
sampling loop over a plan of given and free frames (a mode makes the plan: `babbler.sampling.modes`), and the
generated tracks written like a corpus."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm import tqdm

from babbler.models import Stream, sample_token
from babbler.models.dataset import SpeakerScale, token_values
from babbler.models.ensemble import Ensemble
from babbler.util.fileio import atomic_path, write_va
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


def mixed(model, markov, weight: float, adapt: float = 0.0, prompt: int = 0):
    """The agent's frame model: `model` alone, or (1 − w) × it + w × the count model (adapting to the first `prompt`
    frames with prior `adapt`), as the sample stage draws it."""
    if weight <= 0:
        return model
    return Ensemble([model, markov.adapted(adapt, prompt)], (1 - weight, weight))


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
