"""Benchmark the frame models (issue 4 targets): sampling speed, live step latency, training throughput.

Usage:  python bench/bench_agent.py [--corpus demo] [--device cpu|cuda] [--run-limits]
Uses results/models/{corpus}/transformer.pt when the workflow has trained it (else the default
config, untrained: speed does not depend on the weights). One CPU thread for sampling and steps.
Reports, from one run:
  * selfplay sampling frames/s for 1 dialogue and for 8 dialogues batched (target >= 1000 frames/s),
  * Agent.step latency, median and p90 over 2000 steps (target median < 5 ms),
  * training throughput in frames/s (CPU with the default threads, or CUDA), with attention dropout 0.1 (the default's)
    and 0 (configs/maptask-timing.yaml), steps alternating,
  * test bits per frame of every model the workflow evaluated (target transformer < markov < independent),
  * with --run-limits first: selfplay duration W1 with and without sample.run_limits, under each sample.stop rule,
    and the train split's own W1; the test VA bits/frame of the distribution each stop rule samples from.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

from babbler.evaluation.metrics import distance, pooled
from babbler.live.agent import Agent
from babbler.models.dataset import load_dataset
from babbler.models.frame_eval import teacher_forced
from babbler.models.registry import load_model
from babbler.models.train_transformer import TrainConfig, loss_on, sample_batch, views
from babbler.models.transformer import FrameTransformer, TransformerConfig
from babbler.sampling.generate import STOP_RULES, RunLimits, generate, sampler
from babbler.sampling.modes.selfplay import selfplay_plan
from babbler.timing.events import events_from_tokens


def compare_run_limits(results: Path, corpus: str) -> None:
    """W1 (s) of the duration distributions of selfplay's driving VA against the test split's VA, with and without
    the run limits, for the trained transformer under each sample.stop rule and the independent baseline (seeds 1
    and 2, two dialogues per test dialogue), after the same W1 of the train split's own tracks: the distance that
    even a perfect model of the training data would keep."""
    data = load_dataset(results / f"dataset/{corpus}/frames.npz", results / f"dataset/{corpus}/splits.csv")
    test = [data.tokens[d] for d in data.ids("test")]
    limits = RunLimits.from_tracks([data.tokens[d] for d in data.ids("train")])

    kinds = ("ipu", "pause", "gap", "overlap_between", "fto")

    real = {i: events_from_tokens(t) for i, t in enumerate(test)}
    train = {i: events_from_tokens(data.tokens[d]) for i, d in enumerate(data.ids("train"))}
    print(f"run limits from the train split: {limits}")
    print("train split's tracks        : W1 (s) "
          + ", ".join(f"{k} {distance(pooled(train, k), pooled(real, k)).w1:.3f}" for k in kinds))
    torch.set_num_threads(2)
    trained = load_model(results / f"models/{corpus}/transformer.pt")
    setups = [(f"stop={stop}", sampler(trained, stop), lim) for stop in STOP_RULES for lim in (None, limits)]
    setups += [("independent", load_model(results / f"models/{corpus}/independent.pt").stream, lim)
             for lim in (None, limits)]
    for name, factory, limited in setups:
        for seed in (1, 2):
            drawn = generate(factory, selfplay_plan([len(t) for t in test] * 2), np.random.default_rng(seed),
                             desc="selfplay", limits=limited)
            gen = {i: events_from_tokens(drawn[i]) for i in range(len(drawn))}
            w1 = {k: distance(pooled(gen, k), pooled(real, k)).w1 for k in kinds}
            print(f"{name:14s} limits {'on ' if limited else 'off'} seed {seed}: W1 (s) "
                  + ", ".join(f"{k} {v:.3f}" for k, v in w1.items()))
    for stop in STOP_RULES:  # the model's scores are of its per-frame probabilities; this is what each rule samples
        va_bits, _tok, mask = teacher_forced(sampler(trained, stop), test, desc=stop)
        print(f"test VA bits/frame of the transformer under stop={stop}: {va_bits[mask].mean():.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="demo")
    ap.add_argument("--results", default=str(ROOT / "results"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--frames", type=int, default=3000, help="frames per sampled dialogue")
    ap.add_argument("--steps", type=int, default=2000, help="agent steps timed (after 100 to warm up)")
    ap.add_argument("--train-steps", type=int, default=20, help="training steps timed per setting (after 5)")
    ap.add_argument("--run-limits", action="store_true",
                    help="also compare selfplay with and without sample.run_limits (needs the workflow's dataset)")
    args = ap.parse_args()
    if args.run_limits:
        compare_run_limits(Path(args.results), args.corpus)
    res = Path(args.results) / "models" / args.corpus
    path = res / "transformer.pt"
    model = load_model(path) if path.exists() else FrameTransformer(TransformerConfig()).eval()
    print(f"model: {path if path.exists() else 'default config, untrained'}; {model.n_params()} parameters")

    torch.set_num_threads(1)
    for batch in (1, 8):
        generate(model.stream, selfplay_plan([200] * batch), np.random.default_rng(0), desc="warm-up")
        t0 = time.perf_counter()
        generate(model.stream, selfplay_plan([args.frames] * batch), np.random.default_rng(1), desc="bench")
        dt = time.perf_counter() - t0
        fps = batch * args.frames / dt
        print(f"selfplay sampling, {batch} dialogue(s) batched, 1 thread: {fps:.0f} frames/s in all, "
              f"each dialogue {fps / 50 / batch:.1f}x real time (target >= 1000 frames/s)")

    agent = Agent(model, seed=0)
    partner = np.random.default_rng(2).integers(0, 2, args.steps + 100) * 5
    lat = []
    for i, tok in enumerate(partner):
        t0 = time.perf_counter()
        agent.step(int(tok))
        if i >= 100:
            lat.append(time.perf_counter() - t0)
    lat_ms = np.array(lat) * 1e3
    print(f"Agent.step latency, 1 thread: median {np.median(lat_ms):.3f} ms, p90 {np.percentile(lat_ms, 90):.3f} ms,"
          f" max {lat_ms.max():.3f} ms (target median < 5 ms; a frame is 20 ms)")

    torch.set_num_threads(torch.get_num_threads() if args.device == "cuda" else 2)
    device = torch.device(args.device)
    cfg = TrainConfig()
    seqs = views([np.random.default_rng(i).integers(0, 137, (6000, 2)) for i in range(2)])
    settings = {p: replace(model.cfg, attention_dropout=p) for p in (0.1, 0.0)}
    models = {p: FrameTransformer(c).to(device).train() for p, c in settings.items()}
    opts = {p: torch.optim.AdamW(m.parameters(), lr=1e-3) for p, m in models.items()}
    times: dict[float, list[float]] = {p: [] for p in models}
    rng = np.random.default_rng(0)
    for step in range(args.train_steps + 5):  # the settings alternate step by step, so load on the machine hits both alike
        batch = torch.as_tensor(sample_batch(seqs, cfg, rng), device=device)
        for p, train_model in models.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            loss = loss_on(train_model, batch)
            opts[p].zero_grad()
            loss.backward()
            opts[p].step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            if step >= 5:
                times[p].append(time.perf_counter() - t0)
    fps = {p: cfg.batch_size * cfg.crop / np.median(t) for p, t in times.items()}
    for p, f in fps.items():
        print(f"training throughput on {device} ({torch.get_num_threads()} threads), attention_dropout {p:g}: "
              f"{f:.0f} frames/s (median of {args.train_steps} steps, batch {cfg.batch_size} x {cfg.crop})")
    print(f"  attention dropout off / 0.1: {fps[0.0] / fps[0.1]:.2f}x the frames/s")

    rows = []
    for f in sorted(res.glob("*.test.json")):  # every frame model the workflow evaluated
        r = json.loads(f.read_text())
        rows.append((r["model"], r["test_bits_per_frame"], r["test_token_bits_per_frame"],
                     r["shift_hold_balanced_accuracy"], r.get("shift_hold_auc", float("nan"))))
    if rows:
        print(f"{'model':12s} {'VA bits/frame':>14s} {'token bits/frame':>17s} {'shift/hold bal. acc':>20s} "
              f"{'shift/hold AUC':>15s}")
        for name, b, tb, acc, auc in rows:
            print(f"{name:12s} {b:14.4f} {tb:17.4f} {acc:20.3f} {auc:15.3f}")


if __name__ == "__main__":
    main()
