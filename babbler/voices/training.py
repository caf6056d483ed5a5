"""Training of every neural voice on the shared loop (`babbler.models.training_loop.fit`): aligned crops of the train split's
speaker audio, a validation loss on fixed validation crops, resumable checkpoints, and saving/loading."""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import torch

from babbler.errors import InputError
from babbler.models.files import load_torch, save_torch
from babbler.models.training_loop import config_hash, data_fingerprint, fit
from babbler.util.fileio import atomic_path
from babbler.voices.features import Crop, VoiceItem, crop_items
from babbler.voices.units import fit_units, unit_items

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceTrainConfig:
    """Optimisation of a neural voice (config section `voice.{voice}.train`)."""

    steps: int = 300
    batch_size: int = 8
    crop: int = 2000  # samples with a loss per crop (after the voice's context)
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup: int = 40
    grad_clip: float = 1.0
    epoch_steps: int = 100
    speech_share: float = 0.7  # share of crops that start inside speech
    seed: int = 1
    device: str = "auto"


class NeuralVoice(Protocol):
    """What the loop needs of a voice model (an nn.Module): its sizes, context and loss on a batch of crops."""

    kind: str
    cfg: object  # a dataclass with at least `sample_rate`
    hop: int  # samples per 50 Hz frame

    def context_frames(self) -> int:
        """50 Hz frames of audio before a crop's loss starts (receptive field, warm-up of recurrent state)."""

    def loss(self, batch: dict) -> torch.Tensor:
        """Training loss of a batch of crops (`crop_tensors`)."""


def crop_tensors(crop: Crop, device) -> dict:
    """A Crop as tensors on `device` (context stays an int)."""
    return {"audio": torch.as_tensor(crop.audio, device=device), "local": torch.as_tensor(crop.local, device=device),
            "glob": torch.as_tensor(crop.glob, device=device), "f0": torch.as_tensor(crop.f0, device=device),
            "phase": torch.as_tensor(crop.phase, device=device), "context": crop.context}


def voice_crops(model: NeuralVoice, items: list[VoiceItem], cfg: VoiceTrainConfig, rng: np.random.Generator) -> Crop:
    """One training batch of crops for `model`: its own context, then `cfg.crop` samples (whole frames)."""
    return crop_items(items, model.hop, math.ceil(cfg.crop / model.hop), model.context_frames(), cfg.batch_size,
                      cfg.speech_share, rng)


def model_items(model, items: list[VoiceItem]) -> list[VoiceItem]:
    """The items as `model` trains on them: with its units (`voices.units`) and its own `prepare_items` (extra
    frame conditioning) where it has them."""
    items = unit_items(model, items)
    prepare = getattr(model, "prepare_items", None)
    return prepare(items) if prepare is not None else items


def item_arrays(items: list[VoiceItem]) -> list[np.ndarray]:
    """The arrays that identify a voice's training data (for the run id)."""
    return [a for it in items for a in (it.audio, it.tracks.va, it.tracks.f0, it.tracks.intensity,
                                        np.array([it.scale.f0_median, it.scale.db_median]))]


def train_voice(model: NeuralVoice, train: list[VoiceItem], val: list[VoiceItem], cfg: VoiceTrainConfig, out_model, out_metrics,
                checkpoint, stop_after: int | None = None) -> dict:
    """Train (or resume) a neural voice built by the caller after `torch.manual_seed(cfg.seed)`; write the model and
    per-step metrics; return a summary. A checkpoint resumes only a run with the same settings on the same data."""
    if not train:
        raise ValueError(f"{model.kind}: no training audio (the train split is empty)")
    if getattr(model, "units", None) is not None:  # the units and their chain, learned from the training speech
        fit_units(model.units, train, model.cfg.sample_rate, cfg.seed)
        log.info("%s: %d units learned from %d training tracks", model.kind, model.units.n, len(train))
    train, val = model_items(model, train), model_items(model, val)
    val_rng = np.random.default_rng(cfg.seed + 1)
    val_crops = [voice_crops(model, val or train, cfg, val_rng) for _ in range(4)]
    run_id = config_hash(model.cfg, cfg, data_fingerprint(item_arrays(train), item_arrays(val)))
    n_params = sum(p.numel() for p in model.parameters())
    log.info("%s: %d parameters at %d Hz, %d train / %d val speaker tracks", model.kind, n_params,
             model.cfg.sample_rate, len(train), len(val))

    def check(model, step: int, row: dict, state: dict) -> bool:
        device = next(model.parameters()).device
        with torch.no_grad():
            row["val_loss"] = float(np.mean([float(model.loss(crop_tensors(c, device))) for c in val_crops]))
        state["best"] = min(state["best"], row["val_loss"])
        log.info("step %d: train %.3f val %.3f", step, row["train_loss"], row["val_loss"])
        return False

    res = fit(model, cfg, run_id, checkpoint,
              next_batch=lambda rng, device: crop_tensors(voice_crops(model, train, cfg, rng), device),
              loss_fn=lambda m, b: m.loss(b), check=check, state={"best": float("inf")},
              units=lambda b: b["audio"].shape[0] * (b["audio"].shape[1] - 1 - b["context"]), desc=model.kind,
              stop_after=stop_after)
    if res.interrupted:
        return {"step": res.step, "interrupted": True}
    summary = {"step": res.step, "final_val_loss": res.rows[-1]["val_loss"], "best_val_loss": res.state["best"],
               "params": n_params, "device": str(res.device), "train_samples_per_s": res.units_per_s}
    save_voice(out_model, res.model.cpu().eval(), extra={"summary": summary})
    with atomic_path(out_metrics) as tmp:
        pd.DataFrame(res.rows).to_csv(tmp, index=False)
    log.info("done: %s", summary)
    return summary


def save_voice(path: str | Path, model, extra: dict | None = None) -> None:
    """Save a neural voice: its kind, config and weights."""
    save_torch(path, {"kind": model.kind, "config": asdict(model.cfg), "state": model.state_dict(), **(extra or {})})


def load_voice_state(path: str | Path, kind: str) -> dict:
    """A saved voice's dict, checked to be of `kind`."""
    state = load_torch(path)
    if state.get("kind") != kind:
        raise InputError(path, f"a saved {state.get('kind')!r} model, not a {kind!r} voice")
    return state
