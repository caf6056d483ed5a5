"""Rendering shared by the neural voices: batched conditioning from tracks, seeded generation, resampling."""

from __future__ import annotations

import math

import librosa
import numpy as np
import torch

from babbler.util.seeds import torch_seed
from babbler.va import TOKEN_RATE
from babbler.voices.features import render_conditioning
from babbler.voices.spec import Render, Tracks, Voice
from babbler.voices.training import load_voice_state
from babbler.voices.units import with_units

N_SAMPLE = 2  # per-sample conditioning: the sine excitation at the F0, and log2(F0 / 100 Hz) (0 unvoiced)
EXCITATION_LEVEL = 0.5  # amplitude of the sine on voiced samples


def sample_conditioning(f0: torch.Tensor, sample_rate: int, harmonics: int = 1,
                        phase: torch.Tensor | None = None) -> torch.Tensor:
    """(B, N_SAMPLE, n) per-sample conditioning from per-sample F0 (B, n) in Hz (0 unvoiced): the excitation at
    the F0 (phase 0 at the first sample) and the continuous log2(F0 / 100 Hz). With `harmonics` > 1 the
    excitation is band-limited Σ sin(kφ)/k over the first `harmonics` harmonics below 0.45 × the sample rate
    (a sawtooth's spectrum, like a glottal source after lip radiation; Wang & Yamagishi's harmonic NSF source),
    so a voice only has to filter it; with 1 it is the plain sine. `phase` (B, n), where given, replaces the
    phase integrated from the F0 (training on the real audio's fundamental: `features.fundamental_phase`)."""
    voiced = f0 > 0
    if phase is None:
        phase = 2 * math.pi * torch.cumsum(f0.double(), dim=1) / sample_rate
    sine = torch.sin(phase)
    for k in range(2, harmonics + 1):
        fade = ((0.45 * sample_rate - k * f0) / (0.05 * sample_rate)).clamp(0, 1)  # no harmonic above the limit
        sine = sine + torch.sin(k * phase) * fade / k
    sine = (EXCITATION_LEVEL * sine).float() * voiced
    logf0 = torch.where(voiced, torch.log2(torch.where(voiced, f0, 100.0) / 100.0), 0.0)
    return torch.stack([sine, logf0.float()], dim=1)


def render_neural(model, tracks: list[Tracks], sample_rate: int, seed: int, temperature: float = 1.0) -> list:
    """Every track's waveform at `sample_rate`, generated as one batch by a model with
    `generate(local, glob, f0, temperature, generator)` at its own rate (soxr resampling after)."""
    local, glob, f0, _ = render_conditioning(tracks, model.cfg.sample_rate)
    local = with_units(model, local, tracks, seed)
    gen = torch.Generator().manual_seed(torch_seed(seed))
    f0 = torch.as_tensor(f0)
    y = model.generate(torch.as_tensor(local), torch.as_tensor(glob), f0, temperature, gen)
    return at_rate(y.cpu().numpy().astype(np.float32), model.cfg.sample_rate, sample_rate, tracks)


def at_rate(y: np.ndarray, model_rate: int, sample_rate: int, tracks: list[Tracks]) -> list[np.ndarray]:
    """A batch of waveforms (B, n) made at `model_rate` as one waveform per track at `sample_rate` (soxr), each
    as long as its track."""
    if model_rate != sample_rate:
        y = librosa.resample(y, orig_sr=model_rate, target_sr=sample_rate, res_type="soxr_hq")
    return [y[i, : int(round(len(t.va) / TOKEN_RATE * sample_rate))] for i, t in enumerate(tracks)]


def neural_voice(name: str, model_cls, cfg_cls, note: str, render: Render | None = None,
                 legacy: dict | None = None) -> Voice:
    """The registry entry of a trainable voice: built from `voice.{name}.model`, saved by `training.save_voice`,
    rendered by `render_neural` at `voice.{name}.temperature` unless the voice brings its own `render`. `legacy`:
    the values of config fields added later, for models saved without them (not today's defaults)."""

    def build(settings: dict):
        return model_cls(cfg_cls(**settings))

    def load(path: str):
        state = load_voice_state(path, name)
        model = model_cls(cfg_cls(**{**(legacy or {}), **state["config"]}))
        model.load_state_dict(state["state"])
        return model.eval()

    def sampled(tracks, sample_rate: int, seed: int, model, settings: dict) -> list:
        return render_neural(model, tracks, sample_rate, seed, settings.get("temperature", 1.0))

    return Voice(name, trains=True, note=note, render=render or sampled, build=build, load=load)
