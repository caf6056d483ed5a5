"""Training of the frame Transformer: seeded, resumable, AdamW with warm-up + cosine, early stopping."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from babbler.models.clock import clock_features, clock_range
from babbler.models.durations import duration_bin, onset_durations
from babbler.models.selection import Selection, TimingSelection
from babbler.models.spec import FitJob, FrameModel
from babbler.models.training_loop import config_hash, cpu_state, data_fingerprint, fit
from babbler.models.transformer import (
    FrameTransformer,
    TransformerConfig,
    load_transformer,
    save_transformer,
)
from babbler.util.fileio import atomic_path

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

    def timing_selection(self, stop: str, run_limits: bool) -> TimingSelection:
        """The selfplay check of `select: timing` for a model sampled with these sample.stop / run_limits."""
        return TimingSelection(stop=stop, run_limits=run_limits, minutes=self.select_minutes,
                               samples=self.select_samples, seed=self.seed)


CLOCK_COLUMN = 4  # the first clock column of a `views` sequence
VIEWS_BUDGET = 1 << 30  # bytes of training views kept once made (LazyViews)


def views(dialogues: list[np.ndarray], clock: bool = False) -> list[np.ndarray]:
    """Both role assignments of every dialogue: (T, 4) int32 with column 0 = own, 1 = partner, 2 = `onset_durations`
    of own, 3 = own's channel (0 = A, 1 = B); with `clock`, then the N_FEATURES columns of the whole dialogue's clock
    up to each frame (`clock_features`)."""
    lazy = LazyViews(dialogues, clock, budget=0)
    return [lazy[i] for i in range(len(lazy))]


class LazyViews(Sequence):
    """`views` of many dialogues made when read, not all at once: a dialogue's two views are 4 (14 with the clock)
    int32 columns per frame each against the tokens' two int16, so a corpus's views held whole would outgrow its
    tokens 8 (28) times (the Fisher stand-in's train split with the clock: about 29 GB). Views read are kept up to
    `budget` bytes, the least recently read dropped first: a corpus whose views fit (Map Task's: about 0.2 GB)
    makes each once, as before, and a bigger one stays within the budget (a view with the
    clock takes about 8 ms to make for 7 minutes of dialogue)."""

    def __init__(self, dialogues: list[np.ndarray], clock: bool = False, budget: int = VIEWS_BUDGET):
        self.dialogues, self.clock, self.budget = dialogues, clock, budget
        self.lengths = np.repeat([len(t) for t in dialogues], 2)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._held = 0

    def __len__(self) -> int:
        return 2 * len(self.dialogues)

    def __getitem__(self, i: int) -> np.ndarray:
        if not 0 <= i < len(self):
            raise IndexError(i)
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        tok = self.dialogues[i // 2]
        seat = i % 2
        own, other = (tok[:, 0], tok[:, 1]) if seat == 0 else (tok[:, 1], tok[:, 0])
        cols = np.stack([own, other, onset_durations(own), np.full(len(own), seat)], axis=1)
        if self.clock:
            cols = np.concatenate([cols, clock_features(own, other)], axis=1)
        view = cols.astype(np.int32)
        self._cache[i] = view
        self._held += view.nbytes
        while self._held > self.budget and self._cache:
            self._held -= self._cache.popitem(last=False)[1].nbytes
        return view


def sample_batch(seqs: Sequence[np.ndarray], cfg: TrainConfig, rng: np.random.Generator) -> np.ndarray:
    """(batch, crop + 1, columns) random crops of `views` (a list or LazyViews), weighted by sequence length; short
    ones padded with −1 durations, silence, channel A and empty (0) clocks."""
    lengths = np.asarray(seqs.lengths if isinstance(seqs, LazyViews) else [len(s) for s in seqs], dtype=float)
    usable = np.maximum(lengths - cfg.crop - 1, 0) + 1
    idx = rng.choice(len(seqs), size=cfg.batch_size, p=usable / usable.sum())
    out = np.zeros((cfg.batch_size, cfg.crop + 1, seqs[0].shape[1]), dtype=np.int64)
    out[..., 2] = -1
    for b, i in enumerate(idx):
        s = seqs[i]
        if len(s) <= cfg.crop + 1:
            out[b, : len(s)] = s
        else:
            start = rng.integers(0, len(s) - cfg.crop - 1)
            out[b] = s[start : start + cfg.crop + 1]
    return out


def loss_on(model: FrameTransformer, batch: torch.Tensor) -> torch.Tensor:
    """Training loss (nats per frame) over a batch of (B, T + 1, columns) `views` crops: the mean cross-entropy of the
    next own and partner tokens, plus the run-length cross-entropy of the own onsets in the crop per frame."""
    inp, tgt = batch[:, :-1], batch[:, 1:]
    out = model(inp[..., 0], inp[..., 1], inp[..., CLOCK_COLUMN:], inp[:, 0, 3])
    ce_self = F.cross_entropy(out.own.reshape(-1, out.own.shape[-1]), tgt[..., 0].reshape(-1))
    ce_other = F.cross_entropy(out.partner.reshape(-1, out.partner.shape[-1]), tgt[..., 1].reshape(-1))
    dur = inp[..., 2]
    onset = dur > 0
    target = torch.as_tensor(duration_bin(dur[onset].cpu().numpy()), device=dur.device)
    ce_dur = F.cross_entropy(out.duration[onset], target, reduction="sum") / dur.numel()
    return 0.5 * (ce_self + ce_other) + ce_dur


def _windows(n: int, ctx: int, block: int) -> list[tuple[int, int, int]]:
    """(lo, start, end) of the teacher-forced windows that score frames start…end−1 of an n-frame sequence: each
    window reads frames lo…end−1, at most `ctx`, and scores its last `block` (the first window: all of its frames)."""
    return [(max(0, s - (ctx - block)), s, min(s + block, n - 1)) for s in range(0, n - 1, block)]


@torch.no_grad()
def views_nll(model: FrameTransformer, seqs: list[np.ndarray], device: torch.device, block: int | None = None,
              frames_per_batch: int | None = None) -> list[np.ndarray]:
    """Per-frame NLL (nats) of the own token at frames 1…T−1 of each (T, columns) `views` sequence, teacher-forced in
    windows of `context`, plus at each frame before an own onset the NLL of that run's length: its mean is the own
    part of the training loss. The windows of all sequences are batched, about `frames_per_batch` frames per forward
    pass (right-padded: the attention is causal, so padding after a window's frames does not reach them). By default
    one window per pass on the CPU, where batching gains nothing (and the floats stay those of one window), and
    16384 frames on a GPU, where one window per pass leaves it waiting for the launches."""
    model.eval()
    ctx = model.cfg.context
    block = block or max(1, ctx // 2)
    lengths = seqs.lengths if isinstance(seqs, LazyViews) else [len(s) for s in seqs]
    out = [np.zeros(n - 1) for n in lengths]
    jobs = [(i, *w) for i, n in enumerate(lengths) for w in _windows(n, ctx, block)]
    if frames_per_batch is None:
        frames_per_batch = ctx if torch.device(device).type == "cpu" else 16384
    per_batch = max(1, frames_per_batch // ctx)
    for first in range(0, len(jobs), per_batch):
        part = jobs[first : first + per_batch]
        width = max(end - lo for _, lo, _, end in part)
        inp = np.zeros((len(part), width, seqs[0].shape[1]), dtype=np.int64)
        target = np.zeros((len(part), width), dtype=np.int64)  # the own token of each window frame's next frame
        for r, (i, lo, _, end) in enumerate(part):
            inp[r, : end - lo] = seqs[i][lo:end]
            target[r, : end - lo] = seqs[i][lo + 1 : end + 1, 0]
        x = torch.as_tensor(inp, device=device)
        seat = torch.as_tensor(inp[:, 0, 3], device=device)
        logits = model(x[..., 0], x[..., 1], x[..., CLOCK_COLUMN:], seat)
        logp = torch.log_softmax(logits.own.float(), dim=-1)
        nll = -logp.gather(-1, torch.as_tensor(target, device=device)[..., None])[..., 0].cpu().numpy()
        logp_dur = torch.log_softmax(logits.duration.float(), dim=-1).cpu().numpy()
        for r, (i, lo, start, end) in enumerate(part):
            out[i][start:end] = nll[r, start - lo : end - lo]
            dur = seqs[i][start:end, 2]
            onset = np.flatnonzero(dur > 0)
            if len(onset):
                out[i][start + onset] -= logp_dur[r, start - lo + onset, duration_bin(dur[onset])]
    return out


def validate(model: FrameTransformer, seqs: list[np.ndarray], device: torch.device) -> float:
    """Mean per-frame NLL (nats) of the own token and run lengths (`views_nll`) over validation views."""
    nll = views_nll(model, seqs, device)
    return float(np.concatenate(nll).mean()) if nll else float("nan")


def train_transformer(
    train: list[np.ndarray],
    val: list[np.ndarray],
    model_cfg: TransformerConfig,
    cfg: TrainConfig,
    out_model: str | Path,
    out_metrics: str | Path,
    checkpoint: str | Path,
    stop_after: int | None = None,
    selection: Selection | None = None,
) -> dict:
    """Train (or resume) and write the best model and the per-step metrics CSV; return a summary.

    `checkpoint` is written at every validation; a later call with the same settings and the same
    training and validation data resumes from it (model, optimizer, scheduler, RNG and sampler
    state, metrics so far); a finished run's checkpoint is only ever reused to rewrite the same
    outputs. `stop_after` ends the run after that many steps without writing the final outputs,
    as an interruption would.

    With `cfg.select` "loss" the weights of the lowest validation loss are kept. With "timing" (and `selection`
    scoring a model as it will be sampled), the weights whose selfplay is closest to the validation split's
    human timing (`babbler.evaluation.selfplay_timing`, checked every `select_every` steps after the warm-up) are kept;
    early stopping still follows the validation loss.
    """
    if cfg.select not in ("loss", "timing"):
        raise ValueError(f"train.select must be 'loss' or 'timing', not {cfg.select!r}")
    if cfg.select == "timing" and selection is None:
        raise ValueError("train.select 'timing' needs a checkpoint scorer (babbler.evaluation.selfplay_timing)")
    scorer = selection.score if cfg.select == "timing" else None
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = FrameTransformer(model_cfg)
    train_seqs, val_seqs = LazyViews(train, model_cfg.clock), LazyViews(val, model_cfg.clock)
    if model_cfg.clock:
        model.set_clock_range(clock_range(s[:, CLOCK_COLUMN:] for s in train_seqs))
    selection_id = selection.settings.ident() if scorer is not None else ""
    run_id = config_hash(model_cfg, cfg, data_fingerprint(train, val) + selection_id)
    log.info("training %d parameters: %d train / %d val views", model.n_params(), len(train_seqs), len(val_seqs))

    def check(model: FrameTransformer, step: int, row: dict, st: dict) -> bool:
        """Validation loss (early stopping), and the kept weights: best loss, or best selfplay timing."""
        val_loss = validate(model, val_seqs, next(model.parameters()).device) if val_seqs else row["train_loss"]
        row["val_loss"] = val_loss
        improved = val_loss < st["best"] - 1e-4
        if improved:
            st["best"], st["bad"] = val_loss, 0
        else:
            st["bad"] += 1
        if scorer is None:
            if improved:
                st["best_state"], st["best_step"] = cpu_state(model), step
        elif step >= cfg.warmup and (not cfg.select_every or step % cfg.select_every == 0 or step == cfg.steps
                                     or st["bad"] >= cfg.patience):
            ratios = scorer(model)
            row.update({f"val_w1_ratio_{k}": v for k, v in ratios.items() if k != "score"})
            row["val_timing"] = ratios["score"]
            if ratios["score"] < st["best_timing"]:
                st["best_timing"], st["best_state"], st["best_step"] = ratios["score"], cpu_state(model), step
            log.info("step %d: selfplay on val, mean W1 ratio %.3f (best %.3f at step %d)", step, ratios["score"],
                     st["best_timing"], st["best_step"])
        log.info("step %d: train %.4f val %.4f (best %.4f) lr %.2e", step, row["train_loss"], val_loss, st["best"],
                 row["lr"])
        st["stopped_early"] = st["bad"] >= cfg.patience
        if st["stopped_early"]:
            log.info("early stop at step %d: no validation gain in %d checks", step, cfg.patience)
        return st["stopped_early"]

    state = {"best": float("inf"), "bad": 0, "best_state": None, "best_timing": float("inf"), "best_step": 0,
             "stopped_early": False}
    res = fit(model, cfg, run_id, checkpoint,
              next_batch=lambda rng, device: torch.as_tensor(sample_batch(train_seqs, cfg, rng), device=device),
              loss_fn=loss_on, check=check, state=state, units=lambda b: b.shape[0] * (b.shape[1] - 1),
              desc="transformer", betas=(0.9, 0.98), stop_after=stop_after)
    if res.interrupted:
        return {"step": res.step, "interrupted": True}
    st, model = res.state, res.model
    if st["best_state"] is not None:
        model.load_state_dict(st["best_state"])
    summary = {"step": res.step, "best_val_loss": st["best"], "stopped_early": st["stopped_early"],
               "device": str(res.device), "train_frames_per_s": res.units_per_s, "params": model.n_params(),
               "select": cfg.select, "selected_step": st["best_step"]}
    if scorer is not None:
        summary["selected_val_timing"] = st["best_timing"]
    save_transformer(out_model, model.cpu(), extra={"summary": summary})
    with atomic_path(out_metrics) as tmp:
        pd.DataFrame(res.rows).to_csv(tmp, index=False)
    log.info("done: %s", summary)
    return summary


def fit_transformer(job: FitJob) -> dict:
    """Rule train for `transformer`: config `model.transformer` and `train`; with train.select "timing", checkpoints
    are scored by the selfplay scorer the job is handed."""
    cfg = TrainConfig(**job.train_settings)
    if cfg.threads == 0:
        torch.set_num_threads(job.threads)
    selection = None
    if cfg.select == "timing":
        if job.scorer is None:
            raise ValueError("train.select 'timing' needs a checkpoint scorer (babbler.evaluation.selfplay_timing)")
        selection = job.scorer(cfg.timing_selection(**job.select))
    return train_transformer(job.train, job.val, TransformerConfig(**job.settings), cfg, job.model_path,
                             job.metrics_path, job.checkpoint, selection=selection)


FRAME_MODEL = FrameModel("transformer", "the neural agent: a causal Transformer over both speakers' 50 Hz tokens",
                         fit_transformer, load_transformer, neural=True)
