"""How strongly the count model should adapt to a continuation's prompt: `markov` alone, adapted with a sweep of
`sample.prompt_adapt` values, on the Map Task validation split of configs/maptask-timing.yaml.

Usage:  python bench/maptask_adapt.py ZIP [--values 0,100,300,1000,3000] [--prompt-seconds 20] [--max-minutes 5]

For each A it prints the continuation's Pearson r (IPU, pause, FTO, avg) and its pooled timing as the evaluate stage
scores that system (mean W1 ratio over the five types, |Δ| s/min from the split), two sampling seeds. The agent of the
config is half this chain: `bench/maptask_agent.py --prompt-seconds` scores the same columns for it, with training.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import maptask_agent as agent_bench  # noqa: E402

from babbler.models.baselines import MarkovModel  # noqa: E402
from babbler.sampling import RunLimits, continuation_plan, generate  # noqa: E402
from babbler.timing import events_from_tokens  # noqa: E402
from babbler.va import TOKEN_RATE  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--values", default="0,100,300,1000,3000")
    ap.add_argument("--prompt-seconds", type=float, default=20.0)
    ap.add_argument("--max-minutes", type=float, default=5.0)
    ap.add_argument("--samples", type=int, default=2)
    args = ap.parse_args()
    sc = agent_bench.load_scoring(args.zip, list(agent_bench.DIALOGUE_IDS), 0.125, 0.125, "val")
    train = [sc.tokens[d] for d in sc.by["train"]]
    cut = [sc.tokens[d][: int(args.max_minutes * 60 * TOKEN_RATE)] for d in sc.by["val"]]
    real_cut = [events_from_tokens(t) for t in cut]
    markov, limits = MarkovModel.fit(train, order=8), RunLimits.from_tracks(train)
    prompt = int(args.prompt_seconds * TOKEN_RATE)
    for a in (float(v) for v in args.values.split(",")):
        model = markov.adapted(a, prompt) if a else markov
        continued, lengths = {}, {}
        for s in range(1, args.samples + 1):
            drawn = generate(model.stream, continuation_plan(cut, prompt), np.random.default_rng(s),
                             desc="continuation", limits=limits)
            for i, t in enumerate(cut):
                continued[f"{i}.{s}"], lengths[f"{i}.{s}"] = events_from_tokens(drawn[i, : len(t)]), len(t)
        r = agent_bench.continuation_scores(continued, real_cut, args.prompt_seconds, args.samples)
        timing = agent_bench.continuation_timing(continued, lengths, sc.real, sc.real_min, sc.floor,
                                                 int(args.prompt_seconds))
        print(f"A = {a:g}:", {k: round(v, 3) for k, v in r.items()}, timing, flush=True)


if __name__ == "__main__":
    main()
