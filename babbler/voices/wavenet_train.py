"""Training data and the resumable training loop of the WaveNet voice."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile as sf
import torch
import torch.nn.functional as F
from tqdm import tqdm

from babbler.dataset import SpeakerScale, token_values
from babbler.fileio import atomic_path
from babbler.train import config_hash, data_fingerprint, load_checkpoint, lr_factor, pick_device, write_checkpoint
from babbler.voices.wavenet import (WaveNet, WaveNetConfig, global_features, local_features, mu_law_encode,
                                    save_wavenet)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaveNetTrainConfig:
    """Optimisation of the WaveNet voice (config section `voice.wavenet.train`)."""

    steps: int = 300
    batch_size: int = 8
    crop: int = 2000  # samples with a loss per crop (after a receptive field of context)
    lr: float = 2e-3
    warmup: int = 40
    grad_clip: float = 1.0
    epoch_steps: int = 100
    speech_share: float = 0.7  # share of crops that start inside speech
    seed: int = 1
    device: str = "auto"


@dataclass
class VoiceItem:
    """One speaker track for the voice: μ-law classes at the voice's rate and 50 Hz conditioning."""

    classes: np.ndarray  # (n,) int16
    local: np.ndarray  # (N_LOCAL, frames)
    glob: np.ndarray  # (N_GLOBAL,)
    speech_frames: np.ndarray  # indices of 50 Hz frames with VA


def track_conditioning(tokens: np.ndarray, scale: SpeakerScale) -> tuple[np.ndarray, np.ndarray]:
    """Local and global conditioning from one speaker's 50 Hz tokens, as generated tracks carry them."""
    va, f0, db = token_values(tokens, scale)
    return local_features(va, f0, db, scale.db_median), global_features(scale.f0_median, scale.db_median)


def voice_item(wav: str | Path, tokens: np.ndarray, scale: SpeakerScale, sample_rate: int) -> VoiceItem:
    """Read a mono track, resample it to the voice's rate and pair it with its conditioning."""
    y, sr = sf.read(str(wav), dtype="float32")
    if sr != sample_rate:
        y = librosa.resample(y, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq")
    local, glob = track_conditioning(tokens, scale)
    return VoiceItem(mu_law_encode(y).astype(np.int16), local, glob, np.flatnonzero(tokens > 0))


def crop_batch(items: list[VoiceItem], model: WaveNet, cfg: WaveNetTrainConfig, rng: np.random.Generator):
    """Frame-aligned random crops: (x, target, local, glob) with a receptive field of left context."""
    hop = model.hop
    ctx_frames = math.ceil((model.cfg.receptive_field - 1) / hop)
    crop_frames = math.ceil(cfg.crop / hop)
    n_frames = ctx_frames + crop_frames
    xs, locs, globs = [], [], []
    for _ in range(cfg.batch_size):
        item = items[rng.integers(len(items))]
        last = item.local.shape[1] - crop_frames - 1
        if rng.random() < cfg.speech_share and len(item.speech_frames):
            first = int(np.clip(rng.choice(item.speech_frames) - crop_frames // 2, 0, max(last, 0)))
        else:
            first = int(rng.integers(0, max(last, 1)))
        f0 = first - ctx_frames  # may be negative: pad with silence
        seg = np.full(n_frames * hop + 1, 128, dtype=np.int64)
        loc = np.zeros((item.local.shape[0], n_frames + 1), dtype=np.float32)
        lo = max(f0, 0)
        src = item.classes[lo * hop : (f0 + n_frames) * hop + 1].astype(np.int64)
        seg[(lo - f0) * hop : (lo - f0) * hop + len(src)] = src
        fl = item.local[:, lo : f0 + n_frames + 1]
        loc[:, lo - f0 : lo - f0 + fl.shape[1]] = fl
        xs.append(seg)
        locs.append(loc)
        globs.append(item.glob)
    x = torch.as_tensor(np.stack(xs))
    return x[:, :-1], x[:, 1:], torch.as_tensor(np.stack(locs)), torch.as_tensor(np.stack(globs)), ctx_frames * hop


def crop_loss(model: WaveNet, batch, device) -> torch.Tensor:
    """Cross-entropy (nats) on the crop part of each sequence (after the context)."""
    x, target, local, glob, skip = (b.to(device) if torch.is_tensor(b) else b for b in batch)
    cond = model.conditioning(local, glob, x.shape[1])
    logits = model(x, cond)
    return F.cross_entropy(logits[:, :, skip:], target[:, skip:])


def train_wavenet(train: list[VoiceItem], val: list[VoiceItem], model_cfg: WaveNetConfig, cfg: WaveNetTrainConfig,
                  out_model, out_metrics, checkpoint, stop_after: int | None = None) -> dict:
    """Train (or resume) the WaveNet voice; write the model and per-step metrics; return a summary.

    A checkpoint resumes only a run with the same settings on the same audio and conditioning."""
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = WaveNet(model_cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    val_rng = np.random.default_rng(cfg.seed + 1)
    val_batches = [crop_batch(val or train, model, cfg, val_rng) for _ in range(4)]
    run_id = config_hash(model_cfg, cfg, data_fingerprint(*([a for it in items for a in (it.classes, it.local, it.glob)]
                                                            for items in (train, val))))
    step, rows, best = 0, [], float("inf")
    ck = load_checkpoint(checkpoint, run_id, model, opt, sched, rng, device)
    if ck is not None:
        step, rows, best = ck["step"], ck["rows"], ck["best"]
        log.info("resumed WaveNet training at step %d", step)

    def save_checkpoint() -> None:
        write_checkpoint(checkpoint, run_id, model, opt, sched, rng, step=step, rows=rows, best=best)

    n_params = sum(p.numel() for p in model.parameters())
    log.info("WaveNet: %d parameters, receptive field %d samples (%.0f ms) at %d Hz, on %s", n_params,
             model_cfg.receptive_field, 1000 * model_cfg.receptive_field / model_cfg.sample_rate,
             model_cfg.sample_rate, device)
    t0, samples = time.perf_counter(), 0
    bar = tqdm(total=cfg.steps, initial=step, desc="wavenet", mininterval=5.0)
    while step < cfg.steps:
        model.train()
        batch = crop_batch(train, model, cfg, rng)
        loss = crop_loss(model, batch, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        step += 1
        samples += cfg.batch_size * (batch[0].shape[1] - batch[4])
        row = {"step": step, "train_loss": float(loss.detach()), "lr": sched.get_last_lr()[0],
               "val_loss": float("nan")}
        bar.update(1)
        if step % cfg.epoch_steps == 0 or step == cfg.steps:
            model.eval()
            with torch.no_grad():
                row["val_loss"] = float(np.mean([float(crop_loss(model, b, device)) for b in val_batches]))
            best = min(best, row["val_loss"])
            log.info("step %d: train %.3f val %.3f nats/sample", step, row["train_loss"], row["val_loss"])
            rows.append(row)
            save_checkpoint()
        else:
            rows.append(row)
        if stop_after is not None and step >= stop_after:
            save_checkpoint()
            bar.close()
            return {"step": step, "interrupted": True}
    bar.close()
    elapsed = time.perf_counter() - t0
    summary = {"step": step, "final_val_loss": rows[-1]["val_loss"], "params": n_params, "device": str(device),
               "train_samples_per_s": samples / elapsed if elapsed > 0 else float("nan")}
    save_wavenet(out_model, model.cpu(), extra={"summary": summary})
    with atomic_path(out_metrics) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    log.info("done: %s", summary)
    return summary
