"""Training of the frame Transformer: seeded, resumable, AdamW with warm-up + cosine, early stopping."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from babbler.fileio import atomic_path
from babbler.models.durations import duration_bin, onset_durations
from babbler.models.transformer import FrameTransformer, TransformerConfig, save_transformer
from babbler.selection import TimingSelection, timing_scorer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (config section `train`)."""

    steps: int = 1200
    batch_size: int = 16
    crop: int = 256
    lr: float = 3e-3
    weight_decay: float = 0.01
    warmup: int = 100
    grad_clip: float = 1.0
    epoch_steps: int = 100  # steps between validations and checkpoints
    patience: int = 4  # validations without improvement before stopping
    seed: int = 1
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 0  # torch CPU threads; 0 = torch's default
    select: str = "loss"  # loss | timing: which validation check's weights are kept
    select_every: int = 0  # timing: steps between selfplay checks (a multiple of epoch_steps); 0 = every check
    select_minutes: float = 2.0  # timing: selfplay minutes per validation dialogue at each check
    select_samples: int = 2  # timing: selfplay draws per validation dialogue at each check

    def timing_selection(self, stop: str, run_limits: bool) -> "TimingSelection":
        """The selfplay check of `select: timing` for a model sampled with these sample.stop / run_limits."""
        return TimingSelection(stop=stop, run_limits=run_limits, minutes=self.select_minutes,
                               samples=self.select_samples, seed=self.seed)


def pick_device(name: str) -> torch.device:
    """`auto` → CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("train.device is 'cuda' but torch sees no CUDA device")
    return torch.device(name)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up then cosine decay to 10 % of the peak rate."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def views(dialogues: list[np.ndarray]) -> list[np.ndarray]:
    """Both role assignments of every dialogue: (T, 3) with column 0 = own, 1 = partner, 2 = `onset_durations` of own."""
    out = []
    for tok in dialogues:
        for own, other in ((tok[:, 0], tok[:, 1]), (tok[:, 1], tok[:, 0])):
            out.append(np.stack([own, other, onset_durations(own)], axis=1).astype(np.int64))
    return out


def sample_batch(seqs: list[np.ndarray], cfg: TrainConfig, rng: np.random.Generator) -> np.ndarray:
    """(batch, crop + 1, columns) random crops of `views`, weighted by sequence length; short ones padded with −1
    durations and silence."""
    lengths = np.array([len(s) for s in seqs], dtype=float)
    usable = np.maximum(lengths - cfg.crop - 1, 0) + 1
    idx = rng.choice(len(seqs), size=cfg.batch_size, p=usable / usable.sum())
    out = np.zeros((cfg.batch_size, cfg.crop + 1, seqs[0].shape[1]), dtype=np.int64)
    out[..., 2:] = -1
    for b, i in enumerate(idx):
        s = seqs[i]
        if len(s) <= cfg.crop + 1:
            out[b, : len(s)] = s
        else:
            start = rng.integers(0, len(s) - cfg.crop - 1)
            out[b] = s[start : start + cfg.crop + 1]
    return out


def loss_on(model: FrameTransformer, batch: torch.Tensor) -> torch.Tensor:
    """Training loss (nats per frame) over a batch of (B, T + 1, 3) `views` crops: the mean cross-entropy of the
    next own and partner tokens, plus the run-length cross-entropy of the own onsets in the crop per frame."""
    inp, tgt = batch[:, :-1], batch[:, 1:]
    out = model(inp[..., 0], inp[..., 1])
    ce_self = F.cross_entropy(out.own.reshape(-1, out.own.shape[-1]), tgt[..., 0].reshape(-1))
    ce_other = F.cross_entropy(out.partner.reshape(-1, out.partner.shape[-1]), tgt[..., 1].reshape(-1))
    dur = inp[..., 2]
    onset = dur > 0
    target = torch.as_tensor(duration_bin(dur[onset].cpu().numpy()), device=dur.device)
    ce_dur = F.cross_entropy(out.duration[onset], target, reduction="sum") / dur.numel()
    return 0.5 * (ce_self + ce_other) + ce_dur


@torch.no_grad()
def sequence_nll(model: FrameTransformer, seq: np.ndarray, device: torch.device, block: int | None = None) -> np.ndarray:
    """Per-frame NLL (nats) of the own token at frames 1…T−1 of a (T, 3) `views` sequence, teacher-forced in windows
    of `context`, plus at each frame before an own onset the NLL of that run's length: its mean is the own part of
    the training loss."""
    model.eval()
    ctx = model.cfg.context
    block = block or max(1, ctx // 2)
    t = torch.as_tensor(seq[:, :2], dtype=torch.long, device=device)
    dur = np.asarray(seq[:, 2])
    out = np.zeros(len(seq) - 1)
    for start in range(0, len(seq) - 1, block):
        lo = max(0, start - (ctx - block))
        end = min(start + block, len(seq) - 1)
        out_window = model(t[None, lo:end, 0], t[None, lo:end, 1])
        logp = torch.log_softmax(out_window.own[0, start - lo :].float(), dim=-1)
        target = t[start + 1 : end + 1, 0]
        out[start:end] = -logp.gather(1, target[:, None])[:, 0].cpu().numpy()
        onset = np.flatnonzero(dur[start:end] > 0)
        if len(onset):
            logp_dur = torch.log_softmax(out_window.duration[0, start - lo + onset].float(), dim=-1).cpu().numpy()
            out[start + onset] -= logp_dur[np.arange(len(onset)), duration_bin(dur[start + onset])]
    return out


def validate(model: FrameTransformer, seqs: list[np.ndarray], device: torch.device) -> float:
    """Mean per-frame NLL (nats) of the own token and run lengths (`sequence_nll`) over validation views."""
    nll = [sequence_nll(model, s, device) for s in seqs]
    return float(np.concatenate(nll).mean()) if nll else float("nan")


def data_fingerprint(*groups) -> str:
    """SHA-256 of the arrays a model is trained on: each group (e.g. train, val) in order, with dtypes and shapes."""
    h = hashlib.sha256()
    for group in groups:
        h.update(f"group of {len(group)};".encode())
        for a in group:
            a = np.ascontiguousarray(a)
            h.update(f"{a.dtype.str}{a.shape};".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def config_hash(model_cfg, train_cfg, data_id: str) -> str:
    """Identity of a training run (model and train dataclasses, data): a checkpoint resumes only its own run.

    `data_id` must change whenever the training data does (`data_fingerprint` of the arrays), so that a checkpoint
    left by a run on other data (a changed VAD, sample rate or recording under the same dialogue ids) is never taken
    for a resumable one."""
    blob = json.dumps({"model": asdict(model_cfg), "train": asdict(train_cfg), "data": data_id}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def write_checkpoint(path, run_id: str, model, opt, sched, rng: np.random.Generator, **state) -> None:
    """Atomically save everything a resumed run needs: weights, optimizer, scheduler, RNG, loop state."""
    with atomic_path(path) as tmp:
        torch.save({"run_id": run_id, "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "rng": _rng_state(rng), **state}, tmp)


def load_checkpoint(path, run_id: str, model, opt, sched, rng: np.random.Generator, device) -> dict | None:
    """Restore a run from `path` if it exists and belongs to `run_id`; return its loop state, else None."""
    path = Path(path)
    if not path.exists():
        return None
    # on the CPU: the RNG states must stay CPU byte tensors; the weights and optimizer state move on loading
    ck = torch.load(path, map_location="cpu", weights_only=False)
    if ck.get("run_id") != run_id:
        log.warning("ignoring %s: it belongs to other settings or other training data; starting afresh", path)
        return None
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in ck["model"].items()}
    if want != have:  # same settings, but the code's architecture changed since it was written
        log.warning("ignoring %s: its tensors do not fit this model (the code changed); starting afresh", path)
        return None
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    sched.load_state_dict(ck["scheduler"])
    _set_rng_state(rng, ck["rng"])
    return ck


def _cpu_state(model: torch.nn.Module) -> dict:
    """A copy of the model's weights on the CPU."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _rng_state(rng: np.random.Generator) -> dict:
    return {"numpy": rng.bit_generator.state, "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def _set_rng_state(rng: np.random.Generator, state: dict) -> None:
    rng.bit_generator.state = state["numpy"]
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def train_transformer(
    train: list[np.ndarray],
    val: list[np.ndarray],
    model_cfg: TransformerConfig,
    cfg: TrainConfig,
    out_model: str | Path,
    out_metrics: str | Path,
    checkpoint: str | Path,
    stop_after: int | None = None,
    timing: TimingSelection | None = None,
) -> dict:
    """Train (or resume) and write the best model and the per-step metrics CSV; return a summary.

    `checkpoint` is written at every validation; a later call with the same settings and the same
    training and validation data resumes from it (model, optimizer, scheduler, RNG and sampler
    state, metrics so far); a finished run's checkpoint is only ever reused to rewrite the same
    outputs. `stop_after` ends the run after that many steps without writing the final outputs,
    as an interruption would.

    With `cfg.select` "loss" the weights of the lowest validation loss are kept. With "timing" (and `timing`
    saying how the model will be sampled), the weights whose selfplay is closest to the validation split's
    human timing (`selection.timing_scorer`, checked every `select_every` steps after the warm-up) are kept;
    early stopping still follows the validation loss.
    """
    if cfg.select not in ("loss", "timing"):
        raise ValueError(f"train.select must be 'loss' or 'timing', not {cfg.select!r}")
    if cfg.select == "timing" and timing is None:
        raise ValueError("train.select 'timing' needs the sampling settings it selects for (a TimingSelection)")
    scorer = timing_scorer(train, val, timing) if cfg.select == "timing" else None
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = FrameTransformer(model_cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    train_seqs, val_seqs = views(train), views(val)
    selection_id = timing.ident() if scorer is not None else ""
    run_id = config_hash(model_cfg, cfg, data_fingerprint(train, val) + selection_id)
    step, best, bad, rows, best_state, finished = 0, float("inf"), 0, [], None, False
    best_timing, best_step = float("inf"), 0
    ck = load_checkpoint(checkpoint, run_id, model, opt, sched, rng, device)
    if ck is not None:
        step, best, bad, rows, best_state = ck["step"], ck["best"], ck["bad"], ck["rows"], ck["best_state"]
        finished = bool(ck.get("finished", False))
        best_timing, best_step = ck.get("best_timing", float("inf")), ck.get("best_step", 0)
        log.info("resumed from %s at step %d (best val %.4f)%s", checkpoint, step, best,
                 ": that run had finished" if finished else "")
    log.info("training %d parameters on %s: %d train / %d val views", model.n_params(), device, len(train_seqs),
             len(val_seqs))
    def save_checkpoint(done: bool = False) -> None:
        write_checkpoint(checkpoint, run_id, model, opt, sched, rng, step=step, best=best, bad=bad, rows=rows,
                         best_state=best_state, finished=done, best_timing=best_timing, best_step=best_step)

    t0, frames = time.perf_counter(), 0
    bar = tqdm(total=cfg.steps, initial=step, desc="train", mininterval=5.0)
    stopped_early = finished and step < cfg.steps
    while step < cfg.steps and not finished:
        model.train()
        batch = torch.as_tensor(sample_batch(train_seqs, cfg, rng), device=device)
        loss = loss_on(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip))
        opt.step()
        sched.step()
        step += 1
        frames += batch.shape[0] * (batch.shape[1] - 1)
        row = {"step": step, "train_loss": float(loss.detach()), "lr": sched.get_last_lr()[0], "grad_norm": gnorm,
               "val_loss": float("nan")}
        bar.update(1)
        if step % cfg.epoch_steps == 0 or step == cfg.steps:
            val_loss = validate(model, val_seqs, device) if val_seqs else row["train_loss"]
            row["val_loss"] = val_loss
            improved = val_loss < best - 1e-4
            if improved:
                best, bad = val_loss, 0
            else:
                bad += 1
            if scorer is None:
                if improved:
                    best_state, best_step = _cpu_state(model), step
            elif step >= cfg.warmup and (not cfg.select_every or step % cfg.select_every == 0 or step == cfg.steps
                                         or bad >= cfg.patience):
                ratios = scorer(model)
                row.update({f"val_w1_ratio_{k}": v for k, v in ratios.items() if k != "score"})
                row["val_timing"] = ratios["score"]
                if ratios["score"] < best_timing:
                    best_timing, best_state, best_step = ratios["score"], _cpu_state(model), step
                log.info("step %d: selfplay on val, mean W1 ratio %.3f (best %.3f at step %d)", step,
                         ratios["score"], best_timing, best_step)
            log.info("step %d: train %.4f val %.4f (best %.4f) lr %.2e", step, row["train_loss"], val_loss, best,
                     row["lr"])
            rows.append(row)
            stopped_early = bad >= cfg.patience
            save_checkpoint(done=stopped_early or step >= cfg.steps)
            if stopped_early:
                log.info("early stop at step %d: no validation gain in %d checks", step, cfg.patience)
                break
        else:
            rows.append(row)
        if stop_after is not None and step >= stop_after:
            bar.close()
            save_checkpoint()
            return {"step": step, "interrupted": True}
    bar.close()
    elapsed = time.perf_counter() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    summary = {"step": step, "best_val_loss": best, "stopped_early": stopped_early, "device": str(device),
               "train_frames_per_s": frames / elapsed if elapsed > 0 else float("nan"), "params": model.n_params(),
               "select": cfg.select, "selected_step": best_step}
    if scorer is not None:
        summary["selected_val_timing"] = best_timing
    save_transformer(out_model, model.cpu(), extra={"summary": summary})
    with atomic_path(out_metrics) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    log.info("done: %s", summary)
    return summary
