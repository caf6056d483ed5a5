"""Peak memory of the corpus-wide steps at a big corpus's size: the dataset's tokens, fitting the frame models,
sampling a batch of generated dialogues and the evaluation, each in a fresh process, on the tokens of a stand-in
corpus.

Usage:  python bench/scale_memory.py STANDIN_DIR [--configfile F ...] [--steps 20] [--work DIR] [--only STEP ...]

STANDIN_DIR is what `bench/standin_corpus.py` wrote (its va/ folder). The tokens are made from each conversation's
VA directly (one token per speech frame, as `dataset.prosody: false` makes them), not through the audio and prosody
stages, which would take days at Fisher's size: the memory of the steps depends on the number of frames, not on
their values. The split, the models' settings and the sampling settings are the config's (config.yaml, then every
--configfile over it); the transformer trains `--steps` steps with one validation on the workflow's validation draw
(`train.val_dialogues`; train.select: loss), the count model is fitted in one pass, one batch of `batch.dialogues`
test dialogues is sampled in selfplay by the count model, and the evaluation scores every evaluated system against
the test split with the noise floor over every dialogue (the human test tracks stand in for each system's generated
set: the sets of a whole test split would take days to sample here, and the evaluation's memory depends on their
number of events, not their values). Each step prints its wall time and peak resident memory.

    python bench/standin_corpus.py /tmp/fisher --size fisher
    python bench/scale_memory.py /tmp/fisher --configfile configs/maptask-timing.yaml
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from babbler.config import load_config
from babbler.corpora.splits import assign_splits
from babbler.evaluation.metrics import evaluate
from babbler.models.dataset import (
    VA_ONLY_TOKEN,
    FrameData,
    SpeakerScale,
    load_dataset,
    save_dataset,
)
from babbler.models.registry import FRAME_MODELS, load_model
from babbler.models.spec import FitJob
from babbler.sampling.generate import generate, sampler
from babbler.sampling.modes.registry import MODES, mode_settings
from babbler.sampling.systems import SYSTEMS
from babbler.sampling.tunables import TUNABLES, system_settings
from babbler.timing.events import events_from_tokens, source_stats
from babbler.util.fileio import read_va
from babbler.va import TOKEN_RATE, segments_to_frames
from babbler.workflow.models import training_settings, validation_draw

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("dataset", "markov", "transformer", "sample", "evaluate")


def build(standin: Path, work: Path, config: dict) -> str:
    """frames.npz and splits.csv of the stand-in's conversations, split as the config splits a corpus."""
    files = sorted((standin / "va").glob("*.csv"))
    ids = [f.stem for f in files]
    split = assign_splits(ids, config["corpus"]["seed"], config["corpus"]["split"]["val"],
                          config["corpus"]["split"]["test"])
    tokens = {}
    for f in tqdm(files, desc="tokens", unit="conversation"):
        va = read_va(f)
        n = int(np.ceil(va["end"].max() * TOKEN_RATE)) + TOKEN_RATE
        tokens[f.stem] = np.stack([np.where(segments_to_frames(va, s, n, rate=TOKEN_RATE), VA_ONLY_TOKEN, 0)
                                   for s in "AB"], axis=1).astype(np.int16)
    scale = SpeakerScale(150.0, 60.0)
    data = FrameData(tokens, {d: (scale, scale) for d in tokens}, split)
    save_dataset(data, work / "frames.npz", work / "splits.csv")
    frames = sum(len(t) for t in tokens.values())
    return f"{len(tokens)} conversations, {frames / 1e6:.1f} M frames ({frames / TOKEN_RATE / 3600:.0f} h)"


def fit(name: str, work: Path, config: dict, steps: int) -> str:
    """Fit one frame model on the train split (the workflow's train rule, without the selfplay scorer)."""
    data = load_dataset(work / "frames.npz", work / "splits.csv")
    train = [data.tokens[d] for d in data.ids("train")]
    val = [data.tokens[d] for d in validation_draw(data.ids("val"), config)]
    neural = FRAME_MODELS[name].neural
    settings = {**training_settings(config), "steps": steps, "epoch_steps": steps, "select": "loss", "warmup": 1} if neural \
        else {}
    job = FitJob(train=train, val=val, settings=config["model"][name], train_settings=settings,
                 select={k: config["sample"][k] for k in ("stop", "run_limits")}, model_path=work / f"{name}.pt",
                 metrics_path=work / f"{name}.metrics.csv", checkpoint=work / f"{name}.ckpt", threads=2)
    summary = FRAME_MODELS[name].fit(job)
    return f"{len(train)} train / {len(val)} val dialogues: {json.dumps(summary, default=str)[:200]}"


def baseline_temperature(config: dict) -> float:
    """The temperature a baseline is sampled at: sample.temperature, or its neutral value where that is auto (the
    value chosen on validation is the agent's)."""
    values = {**{k: t.neutral for k, t in TUNABLES.items()}, "temperature": config["sample"]["temperature"]}
    return system_settings(values, None)["temperature"]


def sample(work: Path, config: dict) -> str:
    """Selfplay by the count model for one batch of test dialogues, as a sample job does."""
    data = load_dataset(work / "frames.npz", work / "splits.csv")
    ids = data.ids("test")[: config["batch"]["dialogues"]]
    real = [data.tokens[d] for d in ids]
    mode = MODES["selfplay"]
    plan = mode.plan(real, mode_settings(config, "selfplay"))
    model = load_model(work / "markov.pt")
    drawn = generate(sampler(model, config["sample"]["stop"]), plan, np.random.default_rng(1),
                     temperature=baseline_temperature(config), desc="selfplay")
    return f"{len(ids)} test dialogues, {drawn.shape[0]} × {drawn.shape[1]} frames drawn"


def evaluate_all(work: Path, config: dict) -> str:
    """The evaluate rule's scoring: every dialogue's events (the noise floor draws from all), each evaluated system's
    set (the test tracks' events in its place) and the stats tables, scored with the config's draws and bootstrap."""
    data = load_dataset(work / "frames.npz", work / "splits.csv")
    human = {d: events_from_tokens(t) for d, t in tqdm(data.tokens.items(), desc="events", unit="dialogue")}
    test_ids = data.ids("test")
    systems = [s for s, spec in SYSTEMS.items() if spec.evaluated]
    generated = {s: {d: human[d].copy() for d in test_ids} for s in systems}
    duration = {d: len(t) / TOKEN_RATE for d, t in data.tokens.items()}
    stats = {"real": source_stats({d: (human[d], duration[d]) for d in human}),
             **{s: source_stats({d: (ev, duration[d]) for d, ev in generated[s].items()}) for s in systems}}
    opts = config["eval"]
    result = evaluate(human, test_ids, generated, stats, {}, {}, {m: mode_settings(config, m) for m in MODES},
                      opts["noise_floor_draws"], opts["seed"], opts["bootstrap"])
    events = sum(len(e) for e in human.values()) + sum(len(e) for g in generated.values() for e in g.values())
    return (f"{len(human)} human dialogues, {len(systems)} systems × {len(test_ids)} test dialogues, "
            f"{events / 1e6:.1f} M events, {len(result.distances)} distances")


def run_step(step: str, standin: Path, work: Path, config: dict, steps: int) -> None:
    """One step in this process; prints what it did, its wall time and its peak memory."""
    start = time.perf_counter()
    if step == "dataset":
        what = build(standin, work, config)
    elif step == "sample":
        what = sample(work, config)
    elif step == "evaluate":
        what = evaluate_all(work, config)
    else:
        what = fit(step, work, config, steps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB → GiB
    print(f"{step:12s} {time.perf_counter() - start:8.1f} s  peak {peak:5.2f} GiB  {what}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("standin", type=Path)
    ap.add_argument("--configfile", type=Path, nargs="*", default=[])
    ap.add_argument("--steps", type=int, default=20, help="transformer training steps")
    ap.add_argument("--work", type=Path, default=None, help="where the dataset and models go (default: STANDIN/scale)")
    ap.add_argument("--only", choices=STEPS, nargs="+", default=list(STEPS), help="the steps to run (each needs "
                    "the dataset step's files in --work)")
    ap.add_argument("--step", choices=STEPS, default=None, help=argparse.SUPPRESS)  # one step, in this process
    args = ap.parse_args()
    work = args.work or args.standin / "scale"
    work.mkdir(parents=True, exist_ok=True)
    config = load_config(args.configfile, ROOT / "config.yaml")
    if args.step:
        run_step(args.step, args.standin, work, config, args.steps)
        return
    for step in args.only:
        cmd = [sys.executable, __file__, str(args.standin), "--step", step, "--steps", str(args.steps),
               "--work", str(work), "--configfile", *map(str, args.configfile)]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
