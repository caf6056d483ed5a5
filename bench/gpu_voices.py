"""Train the neural voices on a GPU for as many steps as a time budget allows, and measure GPU samples per second.

The workflow's `train_voice` rule trains a voice wherever it runs (`voice.{voice}.train.device: cuda` on a GPU
node). This script does the same training outside Snakemake, for a GPU machine that has PyTorch but not the
workflow's other tools (Praat, Snakemake): it carries the train and validation speaker tracks there, trains each
voice with the workflow's own loop (`babbler.voices.training.train_voice`), and brings the weights back, so that
rendering and the fidelity table run in the workflow on any machine.

Usage:
  python bench/gpu_voices.py pack --results results --configfile configs/voices.yaml --out .gpu/voices
      (the mono tracks as FLAC, their prosody, the splits and the resolved voice settings; after the workflow has
      made the train/val dialogues' `prosody` and the `dataset`)
  python bench/gpu_voices.py train --pack .gpu/voices --out DIR --budget-s 240 [--batch 32] [--voices a,b]
      (on the GPU: per voice, time a few steps, train for the steps that fit the budget, all voices at once on
      the one GPU; then time batched generation: samples/s)
  python bench/gpu_voices.py speed --models DIR [--gen-batches 1,128]   (the generation timing alone)
Then copy DIR/{voice}.pt and DIR/{voice}.metrics.csv to results/models/{corpus}/ and run the workflow with the
settings that were used (printed, and written to DIR/settings.yaml).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

NEURAL = ("wavenet", "samplernn", "tacotron")


def resolved_voice_settings(configfiles: list[str]) -> dict:
    """`voice.{voice}.{model,train,temperature}` of config.yaml and the given config files, with the schema's
    defaults filled in, as the workflow's rules receive them."""
    from snakemake.utils import update_config, validate

    config: dict = {}
    for f in ["config.yaml", *configfiles]:
        update_config(config, yaml.safe_load((ROOT / f).read_text()))
    validate(config, str(ROOT / "schemas" / "config.schema.yaml"))
    return {v: config["voice"][v] for v in NEURAL}


def pack(args: argparse.Namespace) -> None:
    """Copy what training the voices needs into one folder small enough to carry: FLAC tracks, prosody, splits."""
    import soundfile as sf

    res, out = Path(args.results), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = pd.read_csv(res / "dataset" / args.corpus / "splits.csv")
    shutil.copy(res / "dataset" / args.corpus / "splits.csv", out / "splits.csv")
    shutil.copy(res / "dataset" / args.corpus / "frames.npz", out / "frames.npz")
    for dlg in splits.loc[splits["split"].isin(["train", "val"]), "dialogue"]:
        for spk in "AB":
            y, sr = sf.read(res / "audio" / args.corpus / f"{dlg}.{spk}.wav", dtype="int16")
            sf.write(out / f"{dlg}.{spk}.flac", y, sr, subtype="PCM_16")
            shutil.copy(res / "prosody" / args.corpus / f"{dlg}.{spk}.parquet", out / f"{dlg}.{spk}.parquet")
    (out / "settings.json").write_text(json.dumps(resolved_voice_settings(args.configfile), indent=1))
    size = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    print(f"packed {len(list(out.glob('*.flac')))} tracks into {out} ({size:.1f} MiB)")


def items_of(pack_dir: Path, sample_rate: int) -> dict:
    """The train and val VoiceItems at `sample_rate` (as workflow_scripts/train_voice.py builds them)."""
    from babbler.dataset import load_dataset
    from babbler.voices.features import voice_item

    data = load_dataset(pack_dir / "frames.npz", pack_dir / "splits.csv")
    return {split: [voice_item(pack_dir / f"{d}.{s}.flac", pack_dir / f"{d}.{s}.parquet", data.scales[d][i],
                               sample_rate) for d in data.ids(split) for i, s in enumerate("AB")]
            for split in ("train", "val")}


def step_seconds(voice_name: str, model_settings: dict, train_settings: dict, items: list, n: int = 30) -> float:
    """Median seconds of one optimiser step of a fresh model on the training device (after 10 warm-up steps)."""
    import torch

    from babbler.voices.registry import VOICES
    from babbler.voices.training import VoiceTrainConfig, crop_tensors, model_items, voice_crops

    cfg = VoiceTrainConfig(**train_settings)
    device = torch.device(cfg.device)
    model = VOICES[voice_name].build(model_settings).to(device).train()
    items = model_items(model, items)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(0)
    times = []
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for i in range(n + 10):
        sync()
        t0 = time.perf_counter()
        loss = model.loss(crop_tensors(voice_crops(model, items, cfg, rng), device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        if i >= 10:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def train_one(job: dict) -> dict:
    """Probe the step time of one voice, then train it for the steps that fit its budget; return the summary."""
    import torch

    from babbler.voices.registry import VOICES
    from babbler.voices.training import VoiceTrainConfig, train_voice

    torch.set_num_threads(2)
    name, out = job["voice"], Path(job["out"])
    settings = job["settings"]
    model_settings = settings["model"]
    rate = model_settings["sample_rate"]  # resolved with the schema's defaults (settings.json)
    t0 = time.perf_counter()
    items = items_of(Path(job["pack"]), rate)
    load_s = time.perf_counter() - t0
    train = {**settings["train"], "batch_size": job["batch"], "device": job["device"]}
    per_step = step_seconds(name, model_settings, train, items["train"])
    left = job["budget_s"] - (time.perf_counter() - t0)
    steps = max(job["min_steps"], int(left * 0.8 / per_step) // 500 * 500)  # validation checks and the loop's own costs: 20 %
    train.update(steps=steps, epoch_steps=max(10, steps // 20), warmup=max(train["warmup"], steps // 50))
    cfg = VoiceTrainConfig(**train)
    torch.manual_seed(cfg.seed)
    model = VOICES[name].build(model_settings)
    t1 = time.perf_counter()
    summary = train_voice(model, items["train"], items["val"], cfg, out / f"{name}.pt", out / f"{name}.metrics.csv",
                          out / f"{name}.ckpt")
    (out / f"{name}.ckpt").unlink(missing_ok=True)
    return {"voice": name, "train": train, "probe_step_s": per_step, "load_s": load_s,
            "train_s": time.perf_counter() - t1, **summary}


def generation_speed(names: list[str], out: Path, device: str, batches: list[int]) -> list[str]:
    """Batched generation on the GPU of each trained voice: samples per second in all, per batch size."""
    import torch
    from bench_voices import generation_rtf

    from babbler.voices.registry import VOICES

    lines = []
    for name in names:
        model = VOICES[name].load(str(out / f"{name}.pt")).eval()
        for batch in batches:
            rtf = generation_rtf(model, batch, 1.0, device)
            lines.append(f"{name} {device} generation, batch {batch}: RTF per channel {rtf:.4f}; "
                         f"{batch * model.cfg.sample_rate / rtf:,.0f} samples/s in all")
            print(lines[-1], flush=True)
        del model
        if device == "cuda":
            torch.cuda.empty_cache()
    return lines


def train(args: argparse.Namespace) -> None:
    """Train every voice of `--voices` in parallel on the one GPU, then time their generation."""
    import torch

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = json.loads((Path(args.pack) / "settings.json").read_text())
    gpu = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    print(f"device: {gpu}; torch {torch.__version__}", flush=True)
    jobs = [{"voice": v, "settings": settings[v], "pack": args.pack, "out": str(out), "batch": args.batch,
             "budget_s": args.budget_s, "device": args.device, "min_steps": args.min_steps} for v in args.voices.split(",")]
    with ProcessPoolExecutor(len(jobs), mp_context=get_context("spawn")) as pool:
        results = list(pool.map(train_one, jobs))
    lines = []
    for r in results:
        lines.append(f"{r['voice']}: {r['step']} steps of batch {r['train']['batch_size']} in {r['train_s']:.0f} s "
                     f"(probe {1000 * r['probe_step_s']:.1f} ms/step), best val loss {r['best_val_loss']:.4f}, "
                     f"{r['train_samples_per_s']:,.0f} training samples/s")
    print("\n".join(lines), flush=True)
    lines += generation_speed([r["voice"] for r in results], out, args.device,
                              [int(b) for b in args.gen_batches.split(",")])
    (out / "summary.json").write_text(json.dumps(results, indent=1))
    (out / "settings.yaml").write_text(yaml.safe_dump(
        {"voice": {r["voice"]: {"train": r["train"]} for r in results}}, sort_keys=False))
    (out / "speed.txt").write_text("\n".join(lines) + "\n")


def speed(args: argparse.Namespace) -> None:
    """Time batched generation of voices trained before (DIR/{voice}.pt)."""
    generation_speed(args.voices.split(","), Path(args.models), args.device, [int(b) for b in args.gen_batches.split(",")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--results", default=str(ROOT / "results"))
    p.add_argument("--corpus", default="demo")
    p.add_argument("--configfile", nargs="*", default=["configs/voices.yaml"])
    p.add_argument("--out", default=str(ROOT / ".gpu" / "voices"))
    t = sub.add_parser("train")
    t.add_argument("--pack", default=str(ROOT / ".gpu" / "voices"))
    t.add_argument("--out", required=True)
    t.add_argument("--budget-s", type=float, default=240.0, help="seconds per voice (probe, data and training)")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--voices", default=",".join(NEURAL))
    t.add_argument("--device", default="cuda")
    t.add_argument("--min-steps", type=int, default=500)
    t.add_argument("--gen-batches", default="1,128", help="batch sizes of the generation timing")
    s = sub.add_parser("speed")
    s.add_argument("--models", required=True)
    s.add_argument("--voices", default=",".join(NEURAL))
    s.add_argument("--device", default="cuda")
    s.add_argument("--gen-batches", default="1,128")
    args = ap.parse_args()
    {"pack": pack, "train": train, "speed": speed}[args.mode](args)


if __name__ == "__main__":
    main()
