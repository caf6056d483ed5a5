"""Continuation at several prompt lengths on a finished run's test split: does the agent's continuation carry its
prompt (Pearson r of the per-dialogue mean IPU, pause and FTO after the prompt against the true continuation's) as
well as the prompt's own means do (the prompt-only baseline), at 20 s and at longer prompts?

Usage:  python bench/continuation_prompts.py RUN_DIR [--configfile F ...] [--prompts 20 40 60] [--seeds 1 2]

RUN_DIR is the folder a workflow run worked in (its results/ holds the dataset, the frame models and, where the run
chose sample settings on validation, models/{corpus}/sampling.json); --configfile are the run's config files, over
config.yaml, as given to snakemake. The agent is drawn as the run's continuation system is (the same model, mix,
prompt adaptation prior, temperature, stop rule and run limits); each prompt length and sampling seed draws every
test dialogue longer than the prompt once. The workflow itself reports the prompt of `sample.prompt_seconds` only.

    python bench/continuation_prompts.py /tmp/mt --configfile configs/maptask-timing.yaml
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from babbler.config import load_config
from babbler.models.dataset import load_dataset
from babbler.models.registry import load_model
from babbler.sampling.generate import RunLimits, generate
from babbler.sampling.modes.continuation import (
    continuation_pearson,
    continuation_plan,
    continuation_table,
    prompt_pearson,
)
from babbler.sampling.odds import agent_odds, agent_stream
from babbler.sampling.systems import agent_system, system_spec
from babbler.sampling.tunables import calibration_odds, system_settings
from babbler.timing.events import events_from_tokens
from babbler.util.seeds import derived_seed
from babbler.va import TOKEN_RATE
from babbler.workflow.paths import path
from babbler.workflow.plan import RunPlan

ROOT = Path(__file__).resolve().parents[1]


def agent_settings(config: dict, results: str) -> tuple[str, dict[str, float], list[float] | None]:
    """The continuation system's frame model, the tunable settings it is drawn with in this run and the odds it
    takes recalibrated."""
    system = agent_system("continuation")
    if system is None:
        raise SystemExit("no agent system in continuation mode is registered")
    corpus = config["corpus"]["name"]
    values = RunPlan(config, corpus, [], {}).tunable_values(system)
    tuned = Path(path("sampling", root=results, corpus=corpus))
    record = json.loads(tuned.read_text()) if tuned.exists() else None
    settings = system_settings(values, record["chosen"] if record else None)
    return (system_spec(system).model, settings,
            calibration_odds(record, settings["markov_weight"], settings["calibration"]))


def continuation_at(model, markov, tokens: dict[str, np.ndarray], settings: dict[str, float], sample: dict,
                    limits: RunLimits | None, prompt_seconds: float, seed: int,
                    calibration: list[float] | None = None) -> dict:
    """Pearson r of the agent's continuation and of the prompt alone, over the test dialogues longer than the
    prompt, at one prompt length and sampling seed."""
    prompt = int(round(prompt_seconds * TOKEN_RATE))
    ids = [d for d in sorted(tokens) if len(tokens[d]) > prompt]
    if not ids:
        undefined = {"ipu": math.nan, "pause": math.nan, "fto": math.nan, "avg": math.nan, "n_dialogues": 0}
        return {"prompt_seconds": prompt_seconds, "seed": seed, "dialogues": 0, "agent": undefined,
                "prompt_only": undefined}
    real_tokens = [tokens[d] for d in ids]
    agent = agent_stream(model, markov, sample["stop"], settings["markov_weight"], settings["prompt_adapt"], prompt,
                         agent_odds(calibration))
    rng = np.random.default_rng(derived_seed(seed, "continuation", f"{prompt_seconds:g}s"))
    drawn = generate(agent, continuation_plan(real_tokens, prompt), rng,
                     temperature=settings["temperature"], desc=f"prompt {prompt_seconds:g} s, seed {seed}",
                     limits=limits)
    real = {d: events_from_tokens(t) for d, t in zip(ids, real_tokens)}
    generated = {d: events_from_tokens(drawn[i, : len(t)]) for i, (d, t) in enumerate(zip(ids, real_tokens))}
    return {"prompt_seconds": prompt_seconds, "seed": seed, "dialogues": len(ids),
            "agent": continuation_pearson(continuation_table(real, generated, prompt_seconds)),
            "prompt_only": prompt_pearson(real, ids, prompt_seconds)}


def fmt(value: float) -> str:
    """A Pearson r as the table prints it (n/a where undefined)."""
    return "n/a" if value is None or math.isnan(value) else f"{value:+.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="the folder the workflow ran in")
    ap.add_argument("--configfile", type=Path, nargs="*", default=[])
    ap.add_argument("--prompts", type=float, nargs="+", default=[20.0, 40.0, 60.0], help="prompt lengths (s)")
    ap.add_argument("--seeds", type=int, nargs="+", default=None, help="sampling seeds (default: sample.seed)")
    args = ap.parse_args()
    config = load_config(args.configfile, ROOT / "config.yaml")
    results, corpus = str(args.run / "results"), config["corpus"]["name"]
    frames, splits = path("frames", root=results, corpus=corpus), path("splits", root=results, corpus=corpus)
    for needed in (frames, splits):
        if not Path(needed).exists():
            raise SystemExit(f"{needed} is missing: run the workflow in {args.run} with these config files first")
    name, settings, calibration = agent_settings(config, results)
    data = load_dataset(frames, splits)
    model = load_model(path("model", root=results, corpus=corpus, model=name))
    markov = load_model(path("model", root=results, corpus=corpus, model="markov")) \
        if settings["markov_weight"] > 0 else None
    sample = config["sample"]
    limits = RunLimits.from_tracks([data.tokens[d] for d in data.ids("train")]) if sample["run_limits"] else None
    test = {d: data.tokens[d] for d in data.ids("test")}
    print(f"{corpus}: {len(test)} test dialogues; agent {name}, markov_weight {settings['markov_weight']:g}, "
          f"prompt_adapt {settings['prompt_adapt']:g}, temperature {settings['temperature']:g}", flush=True)
    print("| prompt | seed | dialogues | agent r IPU / pause / FTO | agent r avg | prompt-only r avg | agent ≥ prompt-only |")
    print("|---|---|---|---|---|---|---|")
    for seconds in args.prompts:
        for seed in args.seeds or [sample["seed"]]:
            row = continuation_at(model, markov, test, settings, sample, limits, seconds, seed, calibration)
            agent, alone = row["agent"], row["prompt_only"]
            holds = "n/a" if math.isnan(agent["avg"]) or math.isnan(alone["avg"]) else \
                ("yes" if agent["avg"] >= alone["avg"] else "no")
            print(f"| {seconds:g} s | {seed} | {row['dialogues']} | "
                  f"{' / '.join(fmt(agent[k]) for k in ('ipu', 'pause', 'fto'))} | {fmt(agent['avg'])} | "
                  f"{fmt(alone['avg'])} | {holds} |", flush=True)


if __name__ == "__main__":
    main()
