"""How the frame models time real dialogue: train on Map Task word timings, score selfplay on the validation split.

Usage:  python bench/maptask_agent.py ZIP [--variants NAME:key=value,...;NAME:...] [--seeds 1,2] [--samples 2]
                                        [--device auto|cpu|cuda] [--workers N] [--split val|test] [--trained DIR]
                                        [--max-minutes M] [--prompt-seconds 20,60] [--listen]
ZIP is the NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip). The tokens are the design's 50 Hz
tokens with one fixed speech token (timing only: the rendered prosody of a timing-only corpus carries no turn cues),
the split is the workflow's seeded default (corpus.seed 1, val 0.125, test 0.25). Every variant of the transformer
(keys of `model.transformer`, `train`, `sample.stop`, `sample.markov_weight`, `sample.prompt_adapt` and
`markov_seat`, the interpolated count model's `model.markov.seat`;
`train_dialogues=N`: the variant, its count model and its run limits see a seeded N of the train dialogues) is trained
with each training seed;
`markov` and `independent` are fitted once (`markov` with `model.markov.seat` under --markov-seat). Each system
then babbles `--samples` selfplay dialogues per dialogue of the split (sampling seeds 1…samples). `human.K`
(`--oracle-draws`) stands in real dialogues of the train split for generated ones: what a perfect model of human
timing would score. The script prints per system and training seed:
  * the W1 ratio of IPU, pause, gap, overlap_between and FTO against the split's human dialogues (W1 over the mean W1
    between disjoint halves of the human dialogues of the same size, as the evaluate stage computes it) and their mean;
  * the mean absolute difference of seconds per minute of IPU, pause, gap and overlap (dGSLM/NTPP convention);
  * with --prompt-seconds, per prompt length: continuation Pearson r (IPU, pause, FTO, avg) and the continuation's
    pooled timing as the evaluate stage scores that system (mean W1 ratio, |Δ| s/min; whole dialogues);
  * with --listen, listen mode (the system answers the real A on B): FTO median and overlap-share differences to the
    human B;
  * the best validation loss and the training time.
Variants run in parallel worker processes (one torch thread each on CPU). Choose on `val`; `test` is for the
reported run only.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from babbler.corpora.maptask import DIALOGUE_IDS, timed_units_from_zip, va_from_words  # noqa: E402
from babbler.dataset import VA_ONLY_TOKEN  # noqa: E402
from babbler.evaluate import (  # noqa: E402
    CONTINUATION_TYPES, DISTANCE_TYPES, abs_diff_sec_per_min, bootstrap_ratios, continuation_pearson,
    continuation_table, distance, distance_table, halvings, listen_comparison, minute_rates, noise_floor, pooled,
    prompt_pearson,
)
from babbler.splits import assign_splits  # noqa: E402
from babbler.timing import events_from_tokens, source_stats  # noqa: E402
from babbler.va import SPEAKERS, TOKEN_RATE, VA_PER_TOKEN, ipu_track, n_frames, segments_to_frames  # noqa: E402

SPEECH_TOKEN = VA_ONLY_TOKEN  # as the workflow's dataset.prosody: false


def dialogue_tokens(zip_path: str, dialogue: str) -> np.ndarray:
    """(T, 2) 50 Hz tokens of one dialogue from its word timings (design VA rules, one speech token)."""
    va = va_from_words(timed_units_from_zip(zip_path, dialogue))
    n = n_frames(float(va["end"].max()) + 0.5)
    tracks = [ipu_track(segments_to_frames(va, s, n))[::VA_PER_TOKEN] for s in SPEAKERS]
    return np.stack([np.where(t, SPEECH_TOKEN, 0) for t in tracks], axis=1).astype(np.int64)


def minutes_of(evs: dict[str, pd.DataFrame], lengths: dict[str, int]) -> dict[str, dict[str, float]]:
    """The per-minute rates of a set of dialogues (events, token lengths), as the evaluate stage computes them."""
    return minute_rates(source_stats({k: (evs[k], lengths[k] / TOKEN_RATE) for k in evs}))


@dataclass
class Scoring:
    """The dialogues of a seeded split and what systems are scored against, as the evaluate stage scores them."""

    tokens: dict[str, np.ndarray]
    by: dict[str, list[str]]  # train / val / test → dialogue ids
    human: dict[str, pd.DataFrame]  # events of every dialogue (the noise floor draws from all of them)
    real: dict[str, pd.DataFrame]  # events of the scored split
    pairs: list  # the disjoint halves of the noise floor
    floor: dict  # type → the floor's Distance
    lengths: dict[str, int]  # token frames of every dialogue
    real_min: dict[str, dict[str, float]]  # the scored split's per-minute rates


def load_scoring(zip_path: str, ids: list[str], val_share: float, test_share: float, split: str) -> Scoring:
    """Read the dialogues' tokens, split them (the workflow's seed 1) and build what `split` is scored against."""
    tokens = {d: dialogue_tokens(zip_path, d) for d in ids}
    assigned = assign_splits(ids, 1, val_share, test_share)
    by = {k: [d for d in ids if assigned[d] == k] for k in ("train", "val", "test")}
    human = {d: events_from_tokens(tokens[d]) for d in ids}
    real = {d: human[d] for d in by[split]}
    pairs = halvings(sorted(human), len(by[split]), 20, 1)
    lengths = {d: len(tokens[d]) for d in ids}
    return Scoring(tokens, by, human, real, pairs, noise_floor(human, pairs), lengths, minutes_of(real, lengths))


def parse_variants(text: str) -> dict[str, dict[str, str]]:
    """'name:key=value,key=value;name2:…' → {name: {key: value}}."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, kv = part.partition(":")
        out[name] = dict(item.split("=", 1) for item in filter(None, kv.split(",")))
    return out


AS_BOOL = {"1": True, "true": True, "0": False, "false": False}  # a variant's true/false values


def _typed(cls, settings: dict[str, str]) -> dict:
    """The settings that are fields of dataclass `cls`, converted to the field's type."""
    types = {f.name: float if f.default is None else type(f.default) for f in fields(cls)}  # None: an optional number
    return {k: AS_BOOL[v.lower()] if types[k] is bool else types[k](v) for k, v in settings.items() if k in types}


def _flag(settings: dict[str, str], key: str) -> bool:
    """A true/false setting of a variant (1/0 too), false when absent."""
    return AS_BOOL[settings.get(key, "false").lower()]


def run_system(job: dict) -> dict:
    """Train (or fit) one system, sample selfplay on the split, return its generated events and training facts."""
    import torch

    from babbler.models.baselines import IndependentModel, MarkovModel
    from babbler.models.ensemble import Ensemble
    from babbler.models.transformer import TransformerConfig
    from babbler.sampling import RunLimits, continuation_plan, generate, listen_plan, sampler, selfplay_plan
    from babbler.train import TrainConfig, train_transformer

    torch.set_num_threads(1)
    train, val, split = job["train"], job["val"], job["split_tokens"]
    t0 = time.perf_counter()
    facts = {}
    settings = job["settings"]
    prompt_factory = None  # the continuation's model, given its prompt length (default: the selfplay one)
    lengths = [min(len(t), job["max_frames"] or len(t)) for t in split]
    if job["kind"] == "markov":
        model = MarkovModel.fit(train, order=int(settings.get("order", 8)), seat=_flag(settings, "seat"))
        factory = model.stream
    elif job["kind"] == "independent":
        model = IndependentModel.fit(train)
        factory = model.stream
    elif job["kind"] == "human":  # the oracle: other real dialogues (of the train split) in place of generated ones
        order = np.random.default_rng(job["seed"]).permutation(len(train))
        if len(order) < len(lengths) * job["samples"]:
            raise ValueError("the human oracle needs samples × split size train dialogues")
        events, sizes = {}, {}
        for s in range(1, job["samples"] + 1):
            for i, n in enumerate(lengths):
                tok = train[order[(s - 1) * len(lengths) + i]][:n]
                events[f"{i}.{s}"], sizes[f"{i}.{s}"] = events_from_tokens(tok), len(tok)
        return {"name": job["name"], "seed": job["seed"], "facts": {}, "continued": {}, "listened": {}, "events": events,
                "lengths": sizes}
    else:
        n_train = int(settings.get("train_dialogues", 0))  # data size: a seeded subset of the train split, whole system
        if n_train:
            train = [train[i] for i in sorted(np.random.default_rng(0).choice(len(train), n_train, replace=False))]
        out = Path(job["out"])
        out.mkdir(parents=True, exist_ok=True)
        mcfg = TransformerConfig(**_typed(TransformerConfig, settings))
        tcfg = TrainConfig(**{**_typed(TrainConfig, settings), "seed": job["seed"], "device": job["device"]})
        trained = Path(job["trained"], f"{job['name']}.{job['seed']}") if job["trained"] else None
        if trained is not None and (trained / "model.pt").exists():  # trained elsewhere (e.g. on a GPU machine)
            out = trained
            summary = torch.load(out / "model.pt", map_location="cpu", weights_only=False)["summary"]
        else:
            timing = tcfg.timing_selection(settings.get("stop", "overlap"), True) if tcfg.select == "timing" else None
            summary = train_transformer(train, val, mcfg, tcfg, out / "model.pt", out / "metrics.csv", out / "ck.pt",
                                        timing=timing)
        from babbler.models.io import load_model

        net = load_model(out / "model.pt")  # sampled on the CPU, one thread, as the workflow's sample stage does
        weight = float(settings.get("markov_weight", 0))  # sample.markov_weight: interpolate with the count model
        stop = settings.get("stop", "overlap")
        if weight:
            markov = MarkovModel.fit(train, seat=_flag(settings, "markov_seat"))  # model.markov.seat
            model = Ensemble([net, markov], (1 - weight, weight))
            adapt = float(settings.get("prompt_adapt", 0))  # sample.prompt_adapt: the chain adapts to the prompt

            def prompt_factory(frames: int):
                return sampler(Ensemble([net, markov.adapted(adapt, frames)], (1 - weight, weight)), stop)
        else:
            model = net
        factory = sampler(model, stop)
        facts = {"best_val_loss": summary["best_val_loss"], "steps": summary["step"], "params": summary["params"],
                 "selected_step": summary.get("selected_step", -1)}
    facts["train_s"] = time.perf_counter() - t0
    limits = RunLimits.from_tracks(train)
    cue = float(settings.get("start_cue", 0))  # sample.start_cue: starts inside the partner's talk follow its head
    generated = {}
    for s in range(1, job["samples"] + 1):
        drawn = generate(factory, selfplay_plan(lengths), np.random.default_rng(s), desc="selfplay", limits=limits,
                         start_cue=cue)
        for i, n in enumerate(lengths):
            generated[f"{i}.{s}"] = drawn[i, :n]
    continued: dict[int, dict] = {}
    real = [t[:n] for t, n in zip(split, lengths)]
    for prompt in job["prompt_frames"]:
        continued[prompt] = {}
        for s in range(1, job["samples"] + 1):
            drawn = generate(prompt_factory(prompt) if prompt_factory else factory, continuation_plan(real, prompt),
                             np.random.default_rng(s),
                             desc="continuation", limits=limits, start_cue=cue)
            for i, n in enumerate(lengths):
                continued[prompt][f"{i}.{s}"] = events_from_tokens(drawn[i, :n])
    listened = {}  # listen mode: the real A throughout, the system answers on B (the workflow's listen_agent)
    for s in range(1, job["samples"] + 1) if job["listen"] else ():
        drawn = generate(factory, listen_plan(real, agent=1), np.random.default_rng(s), desc="listen", limits=limits,
                         start_cue=cue)
        for i, n in enumerate(lengths):
            listened[f"{i}.{s}"] = events_from_tokens(drawn[i, :n])
    facts["sample_s"] = time.perf_counter() - t0 - facts["train_s"]
    return {"name": job["name"], "seed": job["seed"], "facts": facts, "continued": continued, "listened": listened,
            "events": {k: events_from_tokens(v) for k, v in generated.items()}, "lengths": {k: len(v) for k, v in generated.items()}}


def continuation_scores(continued: dict[str, pd.DataFrame], real: list[pd.DataFrame], prompt: float,
                        samples: int) -> dict[str, float]:
    """Continuation Pearson r (ipu, pause, fto, avg) of each sampling seed's draws against the real continuations,
    averaged over the seeds."""
    truth = {str(i): ev for i, ev in enumerate(real)}
    per_seed = [continuation_pearson(continuation_table(truth, {d: continued[f"{d}.{s}"] for d in truth}, prompt))
                for s in range(1, samples + 1)]
    return {k: float(np.mean([r[k] for r in per_seed])) for k in (*CONTINUATION_TYPES, "avg")}


def continuation_timing(continued: dict[str, pd.DataFrame], lengths: dict[str, int], real: dict[str, pd.DataFrame],
                        real_min: dict[str, dict[str, float]], floor: dict, seconds: int) -> dict[str, float]:
    """The continuation's pooled timing as the evaluate stage scores that system (whole dialogues, prompt included):
    its mean W1 ratio over the distance types and its mean |Δ| s/min against the split."""
    w1 = distance_table(real, {"continuation": continued}, floor)["w1_ratio"].mean()
    return {f"cont{seconds} W1": round(float(w1), 3),
            f"cont{seconds} s/min": round(abs_diff_sec_per_min(minutes_of(continued, lengths), real_min), 2)}


def listen_scores(listened: dict[str, pd.DataFrame], real: list[pd.DataFrame]) -> dict[str, float]:
    """Listen mode against the human B it replaces (as the evaluate stage scores it): FTO median and overlap share
    differences of the floor transfers to B, every sampling seed's draws pooled."""
    if not listened:
        return {}
    truth = {key: real[int(key.split(".")[0])] for key in listened}
    out = listen_comparison(truth, listened, "B")
    return {"listen FTO diff": round(out["fto_median_diff"], 3), "listen overlap share": round(out["overlap_share"], 3),
            "listen share diff": round(out["overlap_share_diff"], 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--variants", default="default:")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--split", choices=["val", "test"], default="val")
    ap.add_argument("--out", default="/tmp/maptask_agent")
    ap.add_argument("--max-minutes", type=float, default=0.0,
                    help="selfplay dialogues last as long as the split's, at most this long (0: no limit)")
    ap.add_argument("--trained", default="", help="folder of {variant}.{seed}/model.pt trained before: sample only")
    ap.add_argument("--dialogues", type=int, default=0, help="use only the first N dialogues (a quick look)")
    ap.add_argument("--split-shares", default="0.125,0.25",
                    help="validation and test shares of the seeded split (configs/maptask-timing.yaml: 0.125,0.125)")
    ap.add_argument("--bootstrap", type=int, default=0, help="paired resamplings of dialogues against the baselines")
    ap.add_argument("--oracle-draws", type=int, default=1,
                    help="score this many draws of real train-split dialogues as a system (human.K: the oracle a "
                         "perfect model of human timing would be)")
    ap.add_argument("--listen", action="store_true",
                    help="also score listen mode (the system answers the real A on B): FTO median and overlap share")
    ap.add_argument("--markov-seat", action="store_true",
                    help="fit the markov baseline as recorded, A's and B's habits apart (model.markov.seat)")
    ap.add_argument("--prompt-seconds", default="",
                    help="also score continuation with prompts this long (seconds, comma-separated)")
    args = ap.parse_args()

    ids = list(DIALOGUE_IDS)[: args.dialogues or None]
    t0 = time.perf_counter()
    val_share, test_share = (float(x) for x in args.split_shares.split(","))
    sc = load_scoring(args.zip, ids, val_share, test_share, args.split)
    tokens, by, human, real, pairs, floor, lengths, real_min = (sc.tokens, sc.by, sc.human, sc.real, sc.pairs, sc.floor,
                                                                sc.lengths, sc.real_min)
    print(f"{len(ids)} dialogues ({sum(len(t) for t in tokens.values()) / TOKEN_RATE / 60:.0f} min) read in "
          f"{time.perf_counter() - t0:.0f} s; train {len(by['train'])}, val {len(by['val'])}, test {len(by['test'])}",
          flush=True)
    size = len(by[args.split])
    floor_min = np.mean([abs_diff_sec_per_min(minutes_of({d: human[d] for d in a}, lengths),
                                              minutes_of({d: human[d] for d in b}, lengths)) for a, b in pairs])

    base = {"train": [tokens[d] for d in by["train"]], "val": [tokens[d] for d in by["val"]],
            "split_tokens": [tokens[d] for d in by[args.split]], "samples": args.samples, "device": args.device,
            "trained": args.trained, "max_frames": int(args.max_minutes * 60 * TOKEN_RATE), "listen": args.listen,
            "prompt_frames": [int(float(p) * TOKEN_RATE) for p in filter(None, args.prompt_seconds.split(","))]}
    max_frames = base["max_frames"] or None
    real_cut = [events_from_tokens(tokens[d][:max_frames]) for d in by[args.split]]
    for frames in base["prompt_frames"]:
        p = frames / TOKEN_RATE
        prompt_only = prompt_pearson(dict(enumerate(real_cut)), list(range(len(real_cut))), p)
        print(f"prompt-only baseline, {p:g} s prompts:",
              {k: round(prompt_only[k], 3) for k in (*CONTINUATION_TYPES, "avg")})
    baselines = {"markov": {"seat": str(args.markov_seat)}, "independent": {}}
    jobs = [{**base, "kind": k, "name": k, "seed": 0, "settings": settings} for k, settings in baselines.items()]
    jobs += [{**base, "kind": "human", "name": "human", "seed": s, "settings": {}} for s in range(1, args.oracle_draws + 1)]
    for name, settings in parse_variants(args.variants).items():
        for seed in (int(s) for s in args.seeds.split(",")):
            jobs.append({**base, "kind": "transformer", "name": name, "seed": seed, "settings": settings,
                         "out": f"{args.out}/{name}.{seed}"})
    rows, drawn = [], {}
    with ProcessPoolExecutor(args.workers) as pool:
        for res in pool.map(run_system, jobs):
            drawn[f"{res['name']}.{res['seed']}"] = res["events"]
            w1 = {k: distance(pooled(res["events"], k), pooled(real, k)).w1 / floor[k].w1 for k in DISTANCE_TYPES}
            mins = minutes_of(res["events"], res["lengths"])
            rows.append({"system": res["name"], "seed": res["seed"], **{k: round(v, 2) for k, v in w1.items()},
                         "mean": round(float(np.mean(list(w1.values()))), 3),
                         "s/min diff": round(abs_diff_sec_per_min(mins, real_min), 2),
                         **{f"cont{frames // TOKEN_RATE} {k}": round(v, 3)
                            for frames, draws in res["continued"].items()
                            for k, v in continuation_scores(draws, real_cut, frames / TOKEN_RATE, args.samples).items()},
                         **{k: v for frames, draws in res["continued"].items()
                            for k, v in continuation_timing(draws, res["lengths"], real, real_min, floor,
                                                            frames // TOKEN_RATE).items()},
                         **listen_scores(res["listened"], real_cut),
                         **{k: round(v, 4) if isinstance(v, float) else v for k, v in res["facts"].items()}})
            print(rows[-1], flush=True)
    print(f"\nW1 ratios on the {args.split} split ({size} dialogues, {args.samples} selfplay samples each); human floor "
          f"of the s/min difference between halves: {floor_min:.2f}")
    print(pd.DataFrame(rows).to_markdown(index=False))
    if args.bootstrap:
        boot = bootstrap_ratios(real, drawn, floor, args.bootstrap, seed=0)
        shares = [{"system": name, **{f"{k} < {b}": round(float(np.mean(boot[name][k] < boot[f"{b}.0"][k])), 2)
                                      for b in ("markov", "independent") for k in DISTANCE_TYPES}}
                  for name in drawn if not name.startswith(("markov.", "independent."))]
        print(f"\nShare of {args.bootstrap} paired resamplings of dialogues in which the system's W1 ratio is below the "
              "baseline's:")
        print(pd.DataFrame(shares).to_markdown(index=False))


if __name__ == "__main__":
    main()
