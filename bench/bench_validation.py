"""Time the training's validation pass, one window per forward pass against batched windows, and its training step.

Usage:  python bench/bench_validation.py ZIP --model PATH [--device cpu|cuda] [--batched-frames 16384]
                                        [--batch-size 16] [--crop 256] [--repeats 3] [--steps 100]
ZIP is the Map Task NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip); the validation dialogues are
those of configs/maptask-timing.yaml's seeded split (16 dialogues, both seats: 32 views). PATH is a trained frame
transformer (e.g. results/models/maptask/transformer.pt); speed does not depend on its weights. Reports, from one run:
  * the validation pass (`babbler.train.validate`, run every `train.epoch_steps` steps): median seconds with one
    window per forward pass (the CPU's default) and with `--batched-frames` frames per pass (a GPU's default),
    their ratio, and the validation loss of each;
  * the median time of a training step (`sample_batch`, `loss_on`, backward, clipping, AdamW) with the given batch
    size and crop, on the validation views (the same shapes as the training views).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from maptask_agent import load_scoring  # noqa: E402

from babbler.corpora.maptask import DIALOGUE_IDS  # noqa: E402
from babbler.models.io import load_model  # noqa: E402
from babbler.train import TrainConfig, loss_on, sample_batch, views, views_nll  # noqa: E402


def timed(device: torch.device, fn):
    """(result, seconds) of fn(), waiting for the GPU's queued work on both sides."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batched-frames", type=int, default=16384)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    device = torch.device(args.device)

    sc = load_scoring(args.zip, list(DIALOGUE_IDS), 0.125, 0.125, "val")
    model = load_model(args.model).to(device).eval()
    seqs = views([sc.tokens[d] for d in sc.by["val"]], clock=model.cfg.clock or model.cfg.style)
    ctx = model.cfg.context
    print(f"{len(seqs)} validation views, {sum(map(len, seqs))} frames; {model.n_params()} parameters, context {ctx}; "
          f"{device}", flush=True)

    def mean_nll(frames_per_batch: int) -> float:
        return float(np.concatenate(views_nll(model, seqs, device, frames_per_batch=frames_per_batch)).mean())

    views_nll(model, seqs[:1], device)  # warm-up (kernels, allocator)
    one, batched = [], []
    for _ in range(args.repeats):  # alternating, so drifts of the machine's speed reach both
        loss_one, s = timed(device, lambda: mean_nll(ctx))
        one.append(s)
        loss_batched, s = timed(device, lambda: mean_nll(args.batched_frames))
        batched.append(s)
    print(f"validation pass: one window per pass {np.median(one):.2f} s, {args.batched_frames} frames per pass "
          f"{np.median(batched):.2f} s, "
          f"ratio {np.median(one) / np.median(batched):.1f} (median of {args.repeats}); loss {loss_one:.10f} vs "
          f"{loss_batched:.10f}")

    cfg = TrainConfig(batch_size=args.batch_size, crop=args.crop)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)

    def step() -> None:
        batch = torch.as_tensor(sample_batch(seqs, cfg, rng), device=device)
        loss = loss_on(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))  # the loop reads the norm: a sync per step
        opt.step()

    for _ in range(5):
        step()
    times = [timed(device, step)[1] for _ in range(args.steps)]
    print(f"training step (batch {cfg.batch_size} x {cfg.crop}): median {1000 * np.median(times):.1f} ms over "
          f"{args.steps} steps")


if __name__ == "__main__":
    main()
