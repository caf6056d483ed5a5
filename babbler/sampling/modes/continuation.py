"""Mode `continuation`: both speakers generated after a real prompt of `sample.prompt_seconds` (the protocol of
SyncLLM, Table 2): how well the generated continuation's mean durations follow each dialogue's true continuation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from markupsafe import Markup
from scipy import stats

from babbler.sampling.generate import FREE
from babbler.sampling.modes.spec import Mode, ModeEvents, ModeResult
from babbler.timing.events import durations
from babbler.util.html import fmt, table
from babbler.va import TOKEN_RATE

CONTINUATION_TYPES = ("ipu", "pause", "fto")  # per-dialogue means correlated (SyncLLM Table 2)


def prompt_frames(settings: dict) -> int:
    """The prompt's length in 50 Hz frames."""
    return int(round(settings["prompt_seconds"] * TOKEN_RATE))


def continuation_plan(dialogues: list[np.ndarray], prompt_frames: int) -> np.ndarray:
    """The first `prompt_frames` of each dialogue are given, the rest of both channels is free."""
    plan = np.full((len(dialogues), max(len(d) for d in dialogues), 2), FREE, dtype=np.int64)
    for i, d in enumerate(dialogues):
        plan[i, :prompt_frames] = d[:prompt_frames]
    return plan


def plan(real: list[np.ndarray], settings: dict) -> np.ndarray:
    """The prompt given, both speakers free after it."""
    return continuation_plan(real, prompt_frames(settings))


def kept(n_frames: int, settings: dict) -> dict[str, np.ndarray]:
    """Both speakers' real recording during the prompt."""
    prompt = np.arange(n_frames) < prompt_frames(settings)
    return {"A": prompt, "B": prompt}


def after(events: pd.DataFrame, start: float) -> pd.DataFrame:
    """The events that start at or after `start` (s): a continuation's own events."""
    return events[events["start"] >= start - 1e-9]


def before(events: pd.DataFrame, end: float) -> pd.DataFrame:
    """The events that start before `end` (s): a prompt's own events."""
    return events[events["start"] < end - 1e-9]


def dialogue_means(events: pd.DataFrame) -> dict[str, float]:
    """Mean IPU, pause and FTO duration of one dialogue (NaN where it has none)."""
    out = {}
    for kind in CONTINUATION_TYPES:
        d = durations(events, kind)
        out[kind] = float(d.mean()) if len(d) else math.nan
    return out


def means_table(pairs: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Per dialogue, the mean durations of the true events and of the events set against them (generated)."""
    rows = []
    for dlg, (true_events, other_events) in sorted(pairs.items()):
        true, gen = dialogue_means(true_events), dialogue_means(other_events)
        rows.append({"dialogue": dlg, **{f"{k}_real": true[k] for k in true}, **{f"{k}_generated": gen[k] for k in gen}})
    return pd.DataFrame(rows, columns=["dialogue", *(f"{k}_{s}" for s in ("real", "generated") for k in CONTINUATION_TYPES)])


def continuation_table(real: dict[str, pd.DataFrame], generated: dict[str, pd.DataFrame], prompt: float) -> pd.DataFrame:
    """Per dialogue, the mean durations of the true and of the generated continuation after the prompt."""
    return means_table({d: (after(real[d], prompt), after(generated[d], prompt)) for d in generated})


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r over the pairs where both are finite; NaN with fewer than 3 pairs or no variance."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.pearsonr(x, y).statistic)


def continuation_pearson(table: pd.DataFrame) -> dict[str, float]:
    """Pearson r of generated vs true per-dialogue means for ipu, pause, fto, and their average."""
    out = {k: pearson(table[f"{k}_generated"], table[f"{k}_real"]) for k in CONTINUATION_TYPES}
    finite = [v for v in out.values() if not math.isnan(v)]
    out["avg"] = float(np.mean(finite)) if len(finite) == len(CONTINUATION_TYPES) else math.nan
    out["n_dialogues"] = int(len(table))
    return out


def prompt_pearson(real: dict[str, pd.DataFrame], dialogues: list[str], prompt: float) -> dict[str, float]:
    """The prompt-only baseline of the continuation protocol: Pearson r between each test dialogue's mean durations
    in the prompt and in its true continuation (a model that conditions well beats it)."""
    return continuation_pearson(means_table({d: (after(real[d], prompt), before(real[d], prompt)) for d in dialogues}))


def evaluate(events: ModeEvents) -> ModeResult:
    """Pearson r of the continuation (the mode's first system), of the resynthesis topline and of the prompt alone."""
    prompt = events.settings["prompt_seconds"]
    generated = events.first("continuation")
    cont = continuation_table(events.real, generated, prompt)
    topline = continuation_table(events.real, events.first("resynth"), prompt)
    metrics = {
        "prompt_seconds": prompt,
        "pearson": continuation_pearson(cont),
        "pearson_resynth": continuation_pearson(topline),
        "prompt_pearson": prompt_pearson(events.real, sorted(generated), prompt),
    }
    return ModeResult(metrics, {"continuation": cont})


def warnings(events: ModeEvents) -> list[str]:
    """Test dialogues no longer than the prompt: nothing to continue there."""
    prompt = events.settings["prompt_seconds"]
    stats_table = events.real_stats
    minutes = dict(zip(stats_table["dialogue"], stats_table["minutes"])) if "minutes" in stats_table else {}
    short = [f"{d} ({60 * minutes[d]:.1f} s)" for d in sorted(events.real) if d in minutes
             and 60 * minutes[d] <= prompt]
    if not short:
        return []
    return [f"test dialogue(s) {', '.join(short)} last no longer than sample.prompt_seconds = {prompt:g} s: the "
            "continuation protocol has nothing to continue there"]


def report(metrics: dict, tables: dict[str, pd.DataFrame]) -> tuple[str, Markup]:
    """Pearson r of the continuation protocol, the resynthesis topline and the published anchors."""
    c = metrics["continuation"]
    keys = ["ipu", "pause", "fto", "avg"]
    rows = [["continuation (neural agent)", *(fmt(c["pearson"].get(k), 2) for k in keys),
             fmt(c["pearson"].get("n_dialogues"))],
            ["resynth (this voice, true tracks)", *(fmt(c["pearson_resynth"].get(k), 2) for k in keys),
             fmt(c["pearson_resynth"].get("n_dialogues"))],
            ["prompt only (its own means, no model)", *(fmt(c.get("prompt_pearson", {}).get(k), 2) for k in keys),
             fmt(c.get("prompt_pearson", {}).get("n_dialogues"))],
            ["dGSLM on Fisher (SyncLLM, Table 2)", "", "", "", "0.33", ""],
            ["resynthesized ground truth on Fisher (SyncLLM, Table 2)", "", "", "", "0.79", ""]]
    out = Markup("<p class='muted'>Pearson r over test dialogues between the generated and the true continuation's "
                 "mean durations; with few test dialogues r is very uncertain.</p>")
    out += table(["system", "IPU r", "pause r", "FTO r", "average", "dialogues"], rows)
    continuation = tables.get("continuation", pd.DataFrame())
    if len(continuation):
        per = [[r.dialogue, *(fmt(getattr(r, f"{k}_{s}")) for k in CONTINUATION_TYPES for s in ("real", "generated"))]
               for r in continuation.itertuples()]
        out += Markup("<p class='muted'>Per test dialogue, mean durations (s) after the prompt:</p>") + table(
            ["dialogue", "IPU real", "IPU gen.", "pause real", "pause gen.", "FTO real", "FTO gen."], per)
    return f"Continuation protocol (prompt {fmt(c['prompt_seconds'], 0)} s)", out


MODE = Mode("continuation", "both speakers generated after a real prompt", plan, settings=("prompt_seconds",),
            kept=kept, given_frames=prompt_frames, evaluate=evaluate, tables=("continuation",), warnings=warnings,
            report=report)
