"""The one training loop of every neural model (frame Transformer and neural voices): device choice, AdamW with
linear warm-up and cosine decay, gradient clipping, periodic checks, and resumable checkpoints that only their own
run (settings and data) may resume."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from tqdm import tqdm

from babbler.errors import InputError
from babbler.models.files import load_torch, save_torch

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 2  # part of every run id: a checkpoint of an older loop is never resumed


def pick_device(name: str) -> torch.device:
    """`auto` → CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device is 'cuda' but torch sees no CUDA device")
    return torch.device(name)


def lr_factor(step: int, cfg) -> float:
    """Linear warm-up then cosine decay to 10 % of the peak rate (cfg has `warmup` and `steps`)."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


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
    blob = json.dumps({"model": asdict(model_cfg), "train": asdict(train_cfg), "data": data_id,
                       "format": CHECKPOINT_FORMAT}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def write_checkpoint(path, run_id: str, model, opt, sched, rng: np.random.Generator, **state) -> None:
    """Atomically save everything a resumed run needs: weights, optimizer, scheduler, RNG, loop state."""
    save_torch(path, {"run_id": run_id, "model": model.state_dict(), "optimizer": opt.state_dict(),
                      "scheduler": sched.state_dict(), "rng": _rng_state(rng), **state})


def load_checkpoint(path, run_id: str, model, opt, sched, rng: np.random.Generator, device) -> dict | None:
    """Restore a run from `path` if it exists and belongs to `run_id`; return its loop state, else None."""
    path = Path(path)
    if not path.exists():
        return None
    # on the CPU: the RNG states must stay CPU byte tensors; the weights and optimizer state move on loading
    try:
        ck = load_torch(path)
    except InputError as exc:  # never unpickled as code: an older loop's checkpoint, or a damaged file
        log.warning("ignoring %s; starting afresh", exc)
        return None
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


class ConsoleProgress:
    """One line on the console (the terminal behind a rule's redirected stderr) and in the log at least every
    `every` seconds: step, loss and the time left, so a long training is never silent where the user looks."""

    def __init__(self, desc: str, total: int, start: int, every: float = 60.0):
        self.desc, self.total, self.start, self.every = desc, total, start, every
        self.t0 = self.last = time.perf_counter()

    def update(self, step: int, loss: float, force: bool = False) -> None:
        """Say where training stands if `every` seconds have passed since the last line (or `force`)."""
        now = time.perf_counter()
        if not force and now - self.last < self.every:
            return
        self.last = now
        done = step - self.start
        left = (now - self.t0) / done * (self.total - step) if done > 0 else float("nan")
        line = (f"{self.desc}: step {step}/{self.total}, loss {loss:.4f}, {_clock(now - self.t0)} elapsed, "
                f"about {_clock(left)} left")
        log.info(line)
        console = sys.__stderr__
        if console is not None and console is not sys.stderr:  # under rule_logging: the log has it already
            print(f"babbler {line}", file=console, flush=True)


def _clock(seconds: float) -> str:
    """m:ss (or h:mm:ss) of a duration; ? when unknown."""
    if not math.isfinite(seconds):
        return "?"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def cpu_state(model: torch.nn.Module) -> dict:
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


class LoopSettings(Protocol):
    """What the loop reads from a model's train config (TrainConfig, a voice's train config)."""

    steps: int
    lr: float
    weight_decay: float
    warmup: int
    grad_clip: float
    epoch_steps: int
    seed: int
    device: str


@dataclass
class FitResult:
    """What a finished or interrupted `fit` leaves: the trained model (on its device), loop state and speed."""

    model: torch.nn.Module
    state: dict
    step: int
    interrupted: bool
    device: torch.device
    elapsed: float
    units: int  # training units seen in this call (frames, samples)
    rows: list = field(default_factory=list)

    @property
    def units_per_s(self) -> float:
        """Training throughput of this call."""
        return self.units / self.elapsed if self.elapsed > 0 else float("nan")


def fit(
    model: torch.nn.Module,
    cfg: LoopSettings,
    run_id: str,
    checkpoint: str | Path,
    next_batch: Callable[[np.random.Generator, torch.device], Any],
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    check: Callable[[torch.nn.Module, int, dict, dict], bool],
    state: dict,
    units: Callable[[Any], int],
    desc: str = "train",
    betas: tuple[float, float] = (0.9, 0.999),
    stop_after: int | None = None,
) -> FitResult:
    """Train `model` for `cfg.steps` steps, resuming from `checkpoint` when it belongs to `run_id`.

    Every `cfg.epoch_steps` steps (and at the last) `check(model, step, row, state)` runs (validation, selection);
    it may add to the step's metrics `row` and to `state` (saved in the checkpoint) and returns True to stop early.
    `state["finished"]` marks a run that ended, so its checkpoint only ever rewrites the same outputs.
    `stop_after` ends the call after that many steps, as an interruption would. The caller seeds torch and builds
    the model before calling, so the initial weights are the seed's."""
    device = pick_device(cfg.device)
    model.to(device)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=betas)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    step, rows = 0, []
    state = {"finished": False, **state}
    ck = load_checkpoint(checkpoint, run_id, model, opt, sched, rng, device)
    if ck is not None:
        step, rows = ck["step"], ck["rows"]
        state.update(ck["state"])
        log.info("%s: resumed from %s at step %d%s", desc, checkpoint, step,
                 " (that run had finished)" if state["finished"] else "")
    def save(done: bool = False) -> None:
        state["finished"] = done
        write_checkpoint(checkpoint, run_id, model, opt, sched, rng, step=step, rows=rows, state=state)

    t0, seen = time.perf_counter(), 0
    bar = tqdm(total=cfg.steps, initial=step, desc=desc, mininterval=5.0)
    console = ConsoleProgress(desc, cfg.steps, step)
    while step < cfg.steps and not state["finished"]:
        model.train()
        batch = next_batch(rng, device)
        loss = loss_fn(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip))
        opt.step()
        sched.step()
        step += 1
        seen += units(batch)
        row = {"step": step, "train_loss": float(loss.detach()), "lr": sched.get_last_lr()[0], "grad_norm": gnorm,
               "val_loss": float("nan")}
        bar.update(1)
        console.update(step, row["train_loss"], force=step in (console.start + 1, cfg.steps))
        if step % cfg.epoch_steps == 0 or step == cfg.steps:
            model.eval()
            stop = check(model, step, row, state)
            rows.append(row)
            save(done=stop or step >= cfg.steps)
            if stop:
                break
        else:
            rows.append(row)
        if stop_after is not None and step >= stop_after and not state["finished"]:
            bar.close()
            save()
            return FitResult(model, state, step, True, device, time.perf_counter() - t0, seen, rows)
    bar.close()
    return FitResult(model, state, step, False, device, time.perf_counter() - t0, seen, rows)
