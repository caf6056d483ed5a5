"""A toy of every extension point, kept outside the package and registered through BABBLER_PLUGINS: a corpus, a frame
model, a system on an existing mode and a voice (docs/extending.md walks through it). tests/test_extending.py runs
it through the tiny DAG."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babbler.corpora.common import Corpus, write_dialogue
from babbler.models.baselines import write_fitted
from babbler.models.dataset import VOCAB
from babbler.models.spec import FitJob, FrameModel
from babbler.sampling.spec import System
from babbler.synth.mixing import P_REF, mix_stereo
from babbler.voices.spec import Tracks, Voice

# ---------------------------------------------------------------------------------------------------- a corpus


def toy_turns(duration: float, rng: np.random.Generator) -> pd.DataFrame:
    """Alternating turns: each speaker talks 1–2 s, then the other answers after a 0.2–0.6 s gap."""
    rows, t, speaker = [], 0.3, "A"
    while t < duration - 2.5:
        length = rng.uniform(1.0, 2.0)
        rows.append((speaker, round(t, 2), round(t + length, 2)))
        t += length + rng.uniform(0.2, 0.6)
        speaker = "B" if speaker == "A" else "A"
    return pd.DataFrame(rows, columns=["speaker", "start", "end"])


def toy_channel(va: pd.DataFrame, speaker: str, f0: float, n: int, sample_rate: int) -> np.ndarray:
    """One speaker's channel: a harmonic tone at `f0` (65 dB re 20 µPa) over its turns, silence elsewhere."""
    t = np.arange(n) / sample_rate
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    gate = np.zeros(n)
    for row in va[va["speaker"] == speaker].itertuples():
        gate[int(row.start * sample_rate) : int(row.end * sample_rate)] = 1.0
    return P_REF * 10 ** (65 / 20) * tone / np.sqrt(np.mean(tone**2)) * gate


def prepare(settings: dict, dialogue: str, inputs: dict, wav_out, va_out, info_out) -> dict:
    """Make one toy dialogue: its stereo WAV, its true VA and its info record."""
    rng = np.random.default_rng([settings["seed"], int(dialogue.removeprefix("t"))])
    sample_rate, duration = 16000, settings["toy"]["duration"]
    va = toy_turns(duration, rng)
    n = int(duration * sample_rate)
    a, b = (toy_channel(va, s, f0, n, sample_rate) for s, f0 in (("A", 120.0), ("B", 210.0)))
    audio = mix_stereo(a, b, sample_rate, rng)
    return write_dialogue(dialogue, audio, sample_rate, va, wav_out, va_out, info_out)


CORPUS = Corpus(
    "toy",
    dialogue_ids=lambda corpus_cfg: [f"t{i:02d}" for i in range(1, corpus_cfg["toy"]["n_dialogues"] + 1)],
    prepare=prepare,
    settings=lambda config: {"toy": config["corpus"]["toy"], "seed": config["corpus"]["seed"]},
    schema={"type": "object", "default": {}, "additionalProperties": False, "properties": {
        "n_dialogues": {"type": "integer", "minimum": 1, "default": 4, "description": "toy dialogues"},
        "duration": {"type": "number", "minimum": 5, "default": 20, "description": "seconds per toy dialogue"}}},
)

# ------------------------------------------------------------------------------------------------ a frame model


class CoinModel:
    """Each speaker talks in a frame with its own fixed probability, with the speech tokens of the train split."""

    def __init__(self, p_on: np.ndarray, tokens: np.ndarray):
        self.p_on, self.tokens = np.asarray(p_on, float), np.asarray(tokens, float)

    def stream(self, batch: int) -> CoinStream:
        """A fresh stream for `batch` dialogues."""
        return CoinStream(self, batch)

    def state_dict(self) -> dict:
        """What is saved: its arrays (as tensors) and its kind."""
        return {"kind": "coin", "p_on": self.p_on, "tokens": self.tokens}


class CoinStream:
    """The same next-frame distribution whatever came before."""

    def __init__(self, model: CoinModel, batch: int):
        self.m, self.batch = model, batch

    def next_probs(self) -> np.ndarray:
        p = self.m.p_on[None, :, None] * self.m.tokens[None, None, :] * np.ones((self.batch, 2, 1))
        p[:, :, 0] = 1 - self.m.p_on
        return p

    def va_joint(self) -> np.ndarray:
        a, b = self.m.p_on
        return np.tile([(1 - a) * (1 - b), a * (1 - b), (1 - a) * b, a * b], (self.batch, 1))

    def push(self, tokens: np.ndarray) -> None:
        pass

    def repeat(self, k: int) -> None:
        self.batch *= k


def fit_coin(job: FitJob) -> dict:
    """Each speaker's speech share and the speech tokens' distribution over the train split."""
    frames = np.concatenate(job.train)
    counts = np.bincount(frames[frames > 0], minlength=VOCAB).astype(float) + job.settings.get("smoothing", 0.5)
    counts[0] = 0.0
    return write_fitted(job, "coin", CoinModel((frames > 0).mean(axis=0), counts / counts.sum()))


FRAME_MODEL = FrameModel("coin", "toy: each speaker a biased coin per frame", fit_coin,
                         load=lambda state: CoinModel(state["p_on"].numpy(), state["tokens"].numpy()),
                         schema={"type": "object", "default": {}, "additionalProperties": False, "properties": {
                             "smoothing": {"type": "number", "minimum": 0, "default": 0.5,
                                           "description": "count added to every speech token"}}})

# ------------------------------------------------------------------------------------ a system on an existing mode

SYSTEMS = (System("coin_selfplay", "coin", "selfplay", True, "toy: two coins talking"),)

# -------------------------------------------------------------------------------------------------------- a voice


def beep(tracks: list[Tracks], sample_rate: int, seed: int, model=None, settings: dict | None = None) -> list:
    """Each track as a few harmonics at its F0 (200 Hz where unvoiced) at its intensity, where VA is on."""
    out = []
    for tr in tracks:
        n = int(round(tr.duration * sample_rate))
        frame = np.minimum((np.arange(n) / sample_rate * tr.frame_rate).astype(int), len(tr.va) - 1)
        f0 = np.where(np.isfinite(tr.f0), tr.f0, 200.0)[frame]
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate
        tone = sum(np.sin(k * phase) / k for k in range(1, (settings or {}).get("harmonics", 3) + 1))
        level = P_REF * 10 ** (np.nan_to_num(tr.intensity, nan=0.0)[frame] / 20)
        out.append(tone / np.sqrt(np.mean(tone**2) + 1e-12) * level * tr.va[frame])
    return out


VOICE = Voice("beep", trains=False, note="toy: harmonics at the track's F0", render=beep,
              schema={"type": "object", "default": {}, "additionalProperties": False, "properties": {
                  "harmonics": {"type": "integer", "minimum": 1, "default": 3, "description": "harmonics"}}})
