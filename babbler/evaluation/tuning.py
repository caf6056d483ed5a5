"""Sampling settings chosen on the validation split (config `sample.{key}: auto`, rule `tune`, sample stage): the
agent's odds recalibrated on validation (fitted by its own likelihood there), its mix with the count model, its
temperature and how much of the recalibration it takes by its selfplay timing, the prompt adaptation's prior by its
continuation, the listener's start odds by its turn-taking beside the real partner — with the timing distance
checkpoint selection uses, so that a corpus gets its own settings without hand tuning."""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np

from babbler.evaluation.selfplay_timing import TimingTarget, selfplay_lengths, timing_target
from babbler.sampling.generate import RunLimits, generate
from babbler.sampling.modes.continuation import (
    continuation_pearson,
    continuation_plan,
    continuation_table,
)
from babbler.sampling.modes.listen import LISTEN_TOLERANCE, listen_comparison, listen_plan
from babbler.sampling.modes.selfplay import selfplay_plan
from babbler.sampling.odds import CONTEXTS, agent_odds, agent_stream, fit_calibration
from babbler.sampling.tunables import LISTEN_ODDS, TUNABLES, TuneSettings, calibration_key, calibration_odds
from babbler.timing.events import events_from_tokens
from babbler.va import TOKEN_RATE

log = logging.getLogger(__name__)

def _draw(model, markov, plan: np.ndarray, settings: TuneSettings, temperature: float, limits, desc: str,
          weight: float = 0.0, adapt: float = 0.0, prompt: int = 0, calibration: list[float] | None = None,
          listen: tuple[float, float] | None = None) -> np.ndarray:
    """One seeded draw of a plan by the agent (every candidate gets the same random stream): mixed at `weight`, its
    odds recalibrated by `calibration`, and, with `listen`, the listener's start odds on its seat."""
    listener = ("AB".index(settings.listen_agent), *listen) if listen is not None else None
    factory = agent_stream(model, markov, settings.stop, weight, adapt, prompt, agent_odds(calibration, listener))
    return generate(factory, plan, np.random.default_rng(settings.seed), temperature=temperature, desc=desc,
                    limits=limits)


class Calibrations:
    """The recalibration odds of the agent, fitted on the first `minutes` of every validation dialogue at a mix weight
    when first asked for (`babbler.sampling.odds.fit_calibration`); `record` is sampling.json's `calibration`."""

    def __init__(self, model, markov, val: list[np.ndarray], settings: TuneSettings):
        self.model, self.markov, self.settings = model, markov, settings
        self.cut = [d[:n] for d, n in zip(val, selfplay_lengths(val, settings.minutes))]
        self.record = {"contexts": list(CONTEXTS), "odds": {}, "events": {}}

    def odds(self, weight: float, strength: float) -> list[float] | None:
        """The odds the agent takes at `weight` and calibration `strength` (None at strength 0)."""
        if strength <= 0:
            return None
        key = calibration_key(weight)
        if key not in self.record["odds"]:
            odds, events = fit_calibration(agent_stream(self.model, self.markov, self.settings.stop, weight), self.cut,
                                           desc=f"calibrate w={weight:g}")
            self.record["odds"][key], self.record["events"][key] = odds, events
            log.info("odds recalibrated on validation at markov_weight %g: %s (changes of state: %s)", weight,
                     ", ".join(f"{c} {o:.3f}" for c, o in zip(CONTEXTS, odds)), events)
        return calibration_odds({"calibration": self.record}, weight, strength)


def _repeated(cut: list[np.ndarray], samples: int) -> tuple[list[str], dict[str, int]]:
    """Keys of `samples` draws of each dialogue of `cut` (all first draws, then all second ones, as a plan of
    `cut * samples` rows), and the dialogue each key draws."""
    keys = [f"{i}.{s}" for s in range(samples) for i in range(len(cut))]
    return keys, {k: j % len(cut) for j, k in enumerate(keys)}


def _events(drawn: np.ndarray, cut: list[np.ndarray], keys: list[str], source: dict[str, int]) -> dict:
    """Each draw's events, over its dialogue's own length."""
    return {k: events_from_tokens(drawn[j, : len(cut[source[k]])]) for j, k in enumerate(keys)}


def _no_worse(rows: list[dict], reference: dict, tolerance: float = 0.0) -> list[dict]:
    """The candidates whose timing is no further from human (mean W1 ratio) than the reference candidate's (by more
    than `tolerance`, a share of it)."""
    return [r for r in rows if r["score"] <= reference["score"] * (1 + tolerance) + 1e-12]


# A listener's timing may be this much further from human (a share of odds 1's mean W1 ratio) if its turn-taking
# comes closer to the human it replaces: the draws on validation are too few to tell smaller differences apart.
LISTEN_W1_TOLERANCE = 0.1


def selfplay_search(model, markov, val: list[np.ndarray], target: TimingTarget, settings: TuneSettings,
                    limits: RunLimits | None, calibrations: Calibrations) -> list[dict]:
    """Selfplay W1 ratios against the validation timing: every (markov_weight, temperature) candidate at the first
    calibration candidate, then every other calibration with every temperature at the best of those weights."""
    lengths = selfplay_lengths(val, settings.minutes) * settings.samples
    rows = []

    def run(weight: float, temperature: float, strength: float) -> None:
        drawn = _draw(model, markov, selfplay_plan(lengths), settings, temperature, limits,
                      f"tune w={weight:g} T={temperature:g} c={strength:g}", weight,
                      calibration=calibrations.odds(weight, strength))
        ratios = target.ratios({str(j): events_from_tokens(drawn[j, :n]) for j, n in enumerate(lengths)})
        rows.append({"markov_weight": weight, "temperature": temperature, "calibration": strength, **ratios})
        log.info("selfplay on validation, markov_weight %g, temperature %g, calibration %g: mean W1 ratio %.3f",
                 weight, temperature, strength, ratios["score"])

    first, *others = settings.candidates["calibration"]
    for weight, temperature in itertools.product(settings.candidates["markov_weight"],
                                                 settings.candidates["temperature"]):
        run(weight, temperature, first)
    weight = min(rows, key=lambda r: r["score"])["markov_weight"]
    for strength, temperature in itertools.product(others, settings.candidates["temperature"]):
        run(weight, temperature, strength)
    return rows


def continuation_search(model, markov, val: list[np.ndarray], target: TimingTarget, settings: TuneSettings,
                        limits: RunLimits | None, weight: float, temperature: float,
                        calibration: list[float] | None = None) -> list[dict]:
    """Every prompt_adapt candidate's continuation on validation (prompts of sample.prompt_seconds, then `minutes`):
    its Pearson r against the true continuations (as the evaluation's) and its W1 ratios."""
    prompt = int(round(settings.prompt_seconds * TOKEN_RATE))
    cut = [d[: prompt + max(2, int(settings.minutes * 60 * TOKEN_RATE))] for d in val]
    cut = [d for d in cut if len(d) > prompt]
    if not cut:
        return []
    real = [events_from_tokens(d) for d in cut]
    keys, source = _repeated(cut, settings.samples)
    truth = {k: real[source[k]] for k in keys}
    plan = continuation_plan(cut * settings.samples, prompt)
    rows = []
    for adapt in settings.candidates["prompt_adapt"]:
        drawn = _draw(model, markov, plan, settings, temperature, limits, f"tune prompt_adapt={adapt:g}", weight,
                      adapt, prompt, calibration)
        generated = _events(drawn, cut, keys, source)
        table = continuation_table(truth, generated, settings.prompt_seconds)
        r = continuation_pearson(table)
        ratios = target.ratios(generated)
        rows.append({"prompt_adapt": adapt, "pearson_avg": r["avg"], **{f"pearson_{k}": r[k] for k in
                                                                         ("ipu", "pause", "fto")}, **ratios})
        log.info("continuation on validation, prompt_adapt %g: Pearson r avg %.3f, mean W1 ratio %.3f", adapt,
                 r["avg"], ratios["score"])
    return rows


def best_adaptation(rows: list[dict]) -> dict:
    """The continuation candidate kept: the largest Pearson r among those whose timing is no further from human
    (mean W1 ratio) than the first candidate's (the least adapted); by the W1 ratio alone where r is undefined."""
    finite = [r for r in _no_worse(rows, rows[0]) if not math.isnan(r["pearson_avg"])]
    if finite:
        return max(finite, key=lambda r: r["pearson_avg"])
    return min(rows, key=lambda r: r["score"])


def listen_search(model, markov, val: list[np.ndarray], target: TimingTarget, settings: TuneSettings,
                  limits: RunLimits | None, weight: float, temperature: float,
                  calibration: list[float] | None = None) -> list[dict]:
    """The listener beside each validation dialogue's real partner (`minutes` of it) at each start-odds candidate:
    first every overlap odds with the gap odds at 1 (or at their one value where the config fixes them), then every
    gap odds with the best overlap odds (`best_listener`), then every overlap odds again with the best gap odds;
    per candidate its FTO median and overlap share against the human it replaces, and its W1 ratios."""
    agent = settings.listen_agent
    cut = [d[: max(2, int(settings.minutes * 60 * TOKEN_RATE))] for d in val]
    keys, source = _repeated(cut, settings.samples)
    real = {k: events_from_tokens(cut[source[k]]) for k in keys}
    plan = listen_plan(cut * settings.samples, "AB".index(agent))
    rows: dict[tuple[float, float], dict] = {}

    def run(odds: tuple[float, float]) -> None:
        if odds in rows:
            return
        drawn = _draw(model, markov, plan, settings, temperature, limits, f"tune listen odds {odds[0]:g}/{odds[1]:g}",
                      weight, calibration=calibration, listen=odds)
        generated = _events(drawn, cut, keys, source)
        turn = listen_comparison(real, generated, agent)
        rows[odds] = {"listen_overlap_odds": odds[0], "listen_gap_odds": odds[1],
                      **{k: turn[k] for k in ("fto_median", "fto_median_human", "fto_median_diff", "overlap_share",
                                              "overlap_share_human", "overlap_share_diff")},
                      "miss": listen_miss(turn), **target.ratios(generated)}
        log.info("listen on validation, start odds %g in the partner's talk, %g after its silence: FTO median %+.3f "
                 "s, overlap share %+.3f off the human's; mean W1 ratio %.3f", *odds, turn["fto_median_diff"],
                 turn["overlap_share_diff"], rows[odds]["score"])

    gaps = settings.candidates["listen_gap_odds"]
    for overlap in settings.candidates["listen_overlap_odds"]:
        run((overlap, 1.0 if 1.0 in gaps else gaps[0]))  # the model's own gap odds where they are a candidate
    overlap = best_listener(list(rows.values()))["listen_overlap_odds"]
    for gap in settings.candidates["listen_gap_odds"]:
        run((overlap, gap))
    gap = best_listener(list(rows.values()))["listen_gap_odds"]
    for overlap in settings.candidates["listen_overlap_odds"]:
        run((overlap, gap))
    return list(rows.values())


def listen_miss(turn: dict) -> float:
    """How far a listener is from the human it replaces: the larger of its FTO median's and overlap share's
    differences in units of their targets (< 1: both met); infinite where either is undefined."""
    misses = [abs(turn[k]) / tol for k, tol in LISTEN_TOLERANCE.items()]
    return max(misses) if all(math.isfinite(m) for m in misses) else math.inf


def best_listener(rows: list[dict]) -> dict:
    """The start odds kept: the smallest miss (`listen_miss`) among the candidates whose timing is no further from
    human (mean W1 ratio) than odds 1's (the model's own starts; the first candidate where 1 was not tried) by more
    than LISTEN_W1_TOLERANCE."""
    neutral = next((r for r in rows if (r["listen_overlap_odds"], r["listen_gap_odds"]) == (1.0, 1.0)), rows[0])
    return min(_no_worse(rows, neutral, LISTEN_W1_TOLERANCE), key=lambda r: (r["miss"], r["score"]))


def choose_settings(model, markov, train: list[np.ndarray], val: list[np.ndarray], settings: TuneSettings) -> dict:
    """The agent's sampling settings for a corpus: each searched key chosen on validation, each fixed key as the
    config gives it; the record of every candidate tried (what `models/{corpus}/sampling.json` holds)."""
    searched = [k for k, c in settings.candidates.items() if len(c) > 1]
    chosen = {k: c[0] for k, c in settings.candidates.items() if len(c) == 1}
    how = {k: "fixed in the config" for k in chosen}
    record = {"validation_dialogues": len(val), "minutes": settings.minutes, "samples": settings.samples,
              "seed": settings.seed, "candidates": {k: list(settings.candidates[k]) for k in searched},
              "selfplay": [], "continuation": [], "listen": []}
    if len(val) < settings.min_dialogues:
        for k in searched:
            chosen[k], how[k] = TUNABLES[k].neutral, (f"neutral: {len(val)} validation dialogue(s), fewer than "
                                                      f"tune.min_dialogues = {settings.min_dialogues}, to choose on")
        log.info("%s", how[searched[0]] if searched else "nothing to choose")
        return {**record, "chosen": {k: chosen[k] for k in TUNABLES}, "how": {k: how[k] for k in TUNABLES}}
    target = timing_target(train, val, settings.floor_draws, settings.seed)
    limits = RunLimits.from_tracks(train) if settings.run_limits else None
    calibrations = Calibrations(model, markov, val, settings)
    by_selfplay = [k for k, t in TUNABLES.items() if t.judged_by == "selfplay"]
    if set(by_selfplay) & set(searched):
        rows = selfplay_search(model, markov, val, target, settings, limits, calibrations)
        best = min(rows, key=lambda r: r["score"])
        record["selfplay"] = rows
        for k in by_selfplay:
            if k in searched:
                chosen[k], how[k] = best[k], f"selfplay on validation: mean W1 ratio {best['score']:.3f}"
    odds = calibrations.odds(chosen["markov_weight"], chosen["calibration"])
    if calibrations.record["odds"]:
        record["calibration"] = calibrations.record
    if odds is not None:
        how["calibration"] += "; odds " + ", ".join(f"{c} {o:.2f}" for c, o in zip(CONTEXTS, odds))
    if "prompt_adapt" in searched:
        if chosen["markov_weight"] <= 0:
            chosen["prompt_adapt"], how["prompt_adapt"] = 0.0, "no count model in the agent's mix to adapt"
        else:
            rows = continuation_search(model, markov, val, target, settings, limits, chosen["markov_weight"],
                                       chosen["temperature"], odds)
            record["continuation"] = rows
            if rows:
                best = best_adaptation(rows)
                chosen["prompt_adapt"] = best["prompt_adapt"]
                how["prompt_adapt"] = (f"continuation on validation: Pearson r avg {best['pearson_avg']:.3f}, "
                                       f"mean W1 ratio {best['score']:.3f}")
            else:
                chosen["prompt_adapt"], how["prompt_adapt"] = 0.0, "no validation dialogue outlasts the prompt"
    if set(LISTEN_ODDS) & set(searched):
        rows = listen_search(model, markov, val, target, settings, limits, chosen["markov_weight"],
                             chosen["temperature"], odds)
        record["listen"] = rows
        best = best_listener(rows)
        for k in LISTEN_ODDS:
            if k in searched:
                chosen[k], how[k] = best[k], (f"listen on validation: FTO median {best['fto_median_diff']:+.3f} s, "
                                              f"overlap share {best['overlap_share_diff']:+.3f} off the human's")
    for k in searched:
        log.info("sample.%s = %g (%s)", k, chosen[k], how[k])
    return {**record, "chosen": {k: chosen[k] for k in TUNABLES}, "how": {k: how[k] for k in TUNABLES}}

