"""Phone-like units for the neural voices (`voice.{voice}.model.units`): discrete sounds learned from the training
speech without labels, and a small model of their sequence, so babble moves through consonant- and vowel-like
sounds instead of one mumbled vowel.

- Units: k-means (seeded) over standardised MFCC 1–13 of the training audio's speech frames, one per 50 Hz frame
  (25 ms windows centred on each 20 ms frame) — the frame-level clustering behind the unit language models of
  generative spoken dialogue (Lakhotia et al. 2021; Nguyen et al. 2023), on MFCCs where they use HuBERT.
- Unit sequence: per training speaker, a first-order chain over 50 Hz speech frames, P(unit | previous unit,
  voiced), with the previous unit "none" after silence; fitted by counting that speaker's frames' units (add-½
  smoothing). A track to render takes the chain of the training speaker nearest its median F0 (a seat of
  `voice.speakers` is rendered at its own pitch, so it takes its own chain). Conditioned on the voicing of the F0
  track, the chain's self-transitions and vowel/consonant alternation carry the speakers' syllable rhythm; one
  chain pooled over all speakers drew other speakers' sounds (docs/experiments/2026-12-07-speech-voices.md).
- Conditioning: a frame's unit enters the voice as its centroid (13 standardised MFCCs; zeros off speech) beside
  the track features. In training the units are the audio's own (nearest centroid); in rendering the chain draws
  them from the tracks, seeded.
The codebook and chain are buffers of the voice's module, saved in its model file with its weights."""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.cluster.vq import kmeans2
from torch import nn

from babbler.va import TOKEN_RATE
from babbler.voices.features import N_LOCAL
from babbler.voices.spec import Tracks

UNIT_DIM = 13  # MFCC 1–13
SMOOTHING = 0.5


def frame_mfcc(audio: np.ndarray, sample_rate: int, n_frames: int) -> np.ndarray:
    """(n_frames, UNIT_DIM) MFCC 1–13 of 25 ms windows centred on each 50 Hz frame."""
    import librosa

    hop = sample_rate // TOKEN_RATE
    n_fft = 1 << int(np.ceil(np.log2(0.025 * sample_rate)))
    y = np.pad(np.asarray(audio, dtype=np.float32), (n_fft // 2 - hop // 2, n_fft))
    m = librosa.feature.mfcc(y=y, sr=sample_rate, n_mfcc=UNIT_DIM + 1, n_fft=n_fft, hop_length=hop,
                             win_length=int(0.025 * sample_rate), n_mels=40, center=False)[1:].T
    out = np.zeros((n_frames, UNIT_DIM), dtype=np.float32)
    k = min(n_frames, len(m))
    out[:k] = m[:k]
    return out


class Units(nn.Module):
    """A codebook of `n` units over standardised frame MFCCs, and per training speaker the chain that draws them
    from tracks: a track to render takes the chain of the training speaker nearest its median F0."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.register_buffer("mean", torch.zeros(UNIT_DIM))
        self.register_buffer("std", torch.ones(UNIT_DIM))
        self.register_buffer("centroids", torch.zeros(n, UNIT_DIM))
        # per training speaker: log2 of its median voiced F0, and log P(unit | previous unit or "none" (index n),
        # voiced): (speakers, 2, n + 1, n)
        self.register_buffer("speaker_log2_f0", torch.zeros(1))
        self.register_buffer("log_chain", torch.full((1, 2, n + 1, n), -float(np.log(n))))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Take the saved number of training speakers (the buffers' first dimension) before loading."""
        for name in ("speaker_log2_f0", "log_chain"):
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def standardised(self, mfcc: np.ndarray) -> np.ndarray:
        """MFCC frames on the codebook's scale."""
        return (mfcc - self.mean.numpy()) / self.std.numpy()

    def fit(self, frames: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]], seed: int) -> None:
        """Fit the codebook and each training speaker's chain on (mfcc (T, UNIT_DIM), va (T,), voiced (T,), median
        voiced F0) of the training tracks."""
        speech = np.concatenate([m[va] for m, va, _, _ in frames])
        if len(speech) < 2 * self.n:
            raise ValueError(f"{len(speech)} speech frames are too few to learn {self.n} units")
        self.mean.copy_(torch.as_tensor(speech.mean(axis=0)))
        self.std.copy_(torch.as_tensor(speech.std(axis=0) + 1e-6))
        rng = np.random.default_rng(seed)
        centroids, _ = kmeans2(self.standardised(speech).astype(np.float64), self.n, minit="++", seed=rng)
        self.centroids.copy_(torch.as_tensor(centroids, dtype=torch.float32))
        counts = np.full((len(frames), 2, self.n + 1, self.n), SMOOTHING)
        for i, (mfcc, va, voiced, _) in enumerate(frames):
            units = self.assign(mfcc, va)
            prev = np.r_[-1, units[:-1]]
            prev = np.where(prev < 0, self.n, prev)
            on = units >= 0
            np.add.at(counts[i], (voiced[on].astype(int), prev[on], units[on]), 1)
        self.speaker_log2_f0 = torch.as_tensor(np.log2([f for *_, f in frames]), dtype=torch.float32)
        self.log_chain = torch.as_tensor(np.log(counts / counts.sum(axis=3, keepdims=True)), dtype=torch.float32)

    def assign(self, mfcc: np.ndarray, va: np.ndarray) -> np.ndarray:
        """The nearest unit of every frame with speech, −1 elsewhere."""
        z = self.standardised(mfcc)
        d = ((z[:, None, :] - self.centroids.numpy()[None]) ** 2).sum(axis=2)
        return np.where(va, np.argmin(d, axis=1), -1)

    def vectors(self, units: np.ndarray) -> np.ndarray:
        """(UNIT_DIM, T) conditioning: each frame's centroid, zeros where there is no unit."""
        c = self.centroids.numpy()
        return np.where(units[None] >= 0, c[np.maximum(units, 0)].T, 0.0).astype(np.float32)

    def speaker(self, tracks: Tracks) -> int:
        """The training speaker whose median voiced F0 is nearest the track's (in octaves)."""
        voiced = tracks.f0[tracks.va & np.isfinite(tracks.f0)]
        f0 = float(np.median(voiced)) if len(voiced) else 150.0
        return int(np.argmin(np.abs(self.speaker_log2_f0.numpy() - np.log2(f0))))

    def sample(self, tracks: Tracks, rng: np.random.Generator) -> np.ndarray:
        """Units drawn by the nearest training speaker's chain along a track's speech frames and voicing (−1 off
        speech)."""
        chain = np.exp(self.log_chain.numpy()[self.speaker(tracks)].astype(np.float64))
        voiced = tracks.va & np.isfinite(tracks.f0)
        out = np.full(len(tracks.va), -1, dtype=np.int64)
        prev = self.n
        for t in np.flatnonzero(tracks.va):
            if t > 0 and not tracks.va[t - 1]:
                prev = self.n
            p = chain[int(voiced[t]), prev]
            out[t] = prev = int(rng.choice(self.n, p=p / p.sum()))
        return out


def item_units(units: Units, audio: np.ndarray, sample_rate: int, tracks: Tracks) -> np.ndarray:
    """(UNIT_DIM, frames) conditioning of a training track: its own audio's units."""
    mfcc = frame_mfcc(audio, sample_rate, len(tracks.va))
    return units.vectors(units.assign(mfcc, tracks.va))


def fit_units(units: Units, items, sample_rate: int, seed: int) -> None:
    """Fit a voice's units on its training items (VoiceItem: audio at the voice's rate and 50 Hz tracks)."""
    frames = [(frame_mfcc(it.audio, sample_rate, len(it.tracks.va)), it.tracks.va,
               it.tracks.va & np.isfinite(it.tracks.f0), it.scale.f0_median) for it in items]
    units.fit(frames, seed)


def drawn_units(units: Units, tracks: list[Tracks], n_frames: int, seed) -> np.ndarray:
    """(B, UNIT_DIM, n_frames) conditioning of tracks to render: units drawn by the chain, seeded."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(tracks), UNIT_DIM, n_frames), dtype=np.float32)
    for i, tr in enumerate(tracks):
        v = units.vectors(units.sample(tr, rng))
        out[i, :, : v.shape[1]] = v
    return out


def n_local(cfg) -> int:
    """Frame conditioning channels of a voice: the track features, and the units' where it has them."""
    return N_LOCAL + (UNIT_DIM if getattr(cfg, "units", 0) else 0)


def with_units(model, local, tracks: list[Tracks], seed):
    """A batch's frame conditioning (B, N_LOCAL, frames), array or tensor, with the units the model's chain draws
    for the tracks appended (unchanged for a voice without units)."""
    units = getattr(model, "units", None)
    if units is None:
        return local
    extra = drawn_units(units, tracks, local.shape[2], seed)
    if isinstance(local, torch.Tensor):
        return torch.cat([local, torch.as_tensor(extra, device=local.device)], dim=1)
    return np.concatenate([local, extra], axis=1)


def unit_items(model, items: list) -> list:
    """Training items with their own audio's units appended to the frame conditioning (as they are for a voice
    without units)."""
    units = getattr(model, "units", None)
    if units is None:
        return items
    out = []
    for it in items:
        new = copy.copy(it)
        new.local = np.concatenate([it.local, item_units(units, it.audio, model.cfg.sample_rate, it.tracks)])
        out.append(new)
    return out
