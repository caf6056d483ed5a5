"""Rendering shared by the neural voices: batched conditioning from tracks, seeded generation, resampling."""

from __future__ import annotations

import math

import librosa
import numpy as np
import torch

from babbler.seeds import torch_seed
from babbler.va import TOKEN_RATE
from babbler.voices.features import render_conditioning
from babbler.voices.source_filter import Tracks
from babbler.voices.spec import Render, Voice
from babbler.voices.training import load_voice_state

N_SAMPLE = 2  # per-sample conditioning: the sine excitation at the F0, and log2(F0 / 100 Hz) (0 unvoiced)
EXCITATION_LEVEL = 0.5  # amplitude of the sine on voiced samples


def sample_conditioning(f0: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """(B, N_SAMPLE, n) per-sample conditioning from per-sample F0 (B, n) in Hz (0 unvoiced): a sine at the F0
    (phase 0 at the first sample) and the continuous log2(F0 / 100 Hz)."""
    voiced = f0 > 0
    phase = 2 * math.pi * torch.cumsum(f0.double(), dim=1) / sample_rate
    sine = (EXCITATION_LEVEL * torch.sin(phase)).float() * voiced
    logf0 = torch.where(voiced, torch.log2(torch.where(voiced, f0, 100.0) / 100.0), 0.0)
    return torch.stack([sine, logf0.float()], dim=1)


def render_neural(model, tracks: list[Tracks], sample_rate: int, seed: int, temperature: float = 1.0) -> list:
    """Every track's waveform at `sample_rate`, generated as one batch by a model with
    `generate(local, glob, f0, temperature, generator)` at its own rate (soxr resampling after)."""
    local, glob, f0, _ = render_conditioning(tracks, model.cfg.sample_rate)
    gen = torch.Generator().manual_seed(torch_seed(seed))
    y = model.generate(torch.as_tensor(local), torch.as_tensor(glob), torch.as_tensor(f0), temperature, gen)
    y = y.cpu().numpy().astype(np.float32)
    if model.cfg.sample_rate != sample_rate:
        y = librosa.resample(y, orig_sr=model.cfg.sample_rate, target_sr=sample_rate, res_type="soxr_hq")
    return [y[i, : int(round(len(t.va) / TOKEN_RATE * sample_rate))] for i, t in enumerate(tracks)]


def neural_voice(name: str, model_cls, cfg_cls, note: str, render: Render | None = None) -> Voice:
    """The registry entry of a trainable voice: built from `voice.{name}.model`, saved by `training.save_voice`,
    rendered by `render_neural` at `voice.{name}.temperature` unless the voice brings its own `render`."""

    def build(settings: dict):
        return model_cls(cfg_cls(**settings))

    def load(path: str):
        state = load_voice_state(path, name)
        model = model_cls(cfg_cls(**state["config"]))
        model.load_state_dict(state["state"])
        return model.eval()

    def sampled(tracks, sample_rate: int, seed: int, model, settings: dict) -> list:
        return render_neural(model, tracks, sample_rate, seed, settings.get("temperature", 1.0))

    return Voice(name, trains=True, note=note, render=render or sampled, build=build, load=load)
