"""How much a continuation prompt can tell about the rest of a dialogue: the ceiling of the continuation protocol.

Usage:  python bench/maptask_prompts.py ZIP [--prompts 20,30,60,120] [--subsets 200]
ZIP is the NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip). On the word timings of all
dialogues (design VA rules, 50 Hz, as bench/maptask_agent.py reads them), prints per prompt length:
  * the prompt-only baseline: Pearson r, over dialogues, of the prompt's own mean IPU, pause and FTO against the
    true continuation's (continuation.prompt_pearson of metrics.json), on all dialogues and the median and 90th
    percentile over random sets of 16 (a test split's size);
the same r for predictors that read every timing summary of the prompt, not only its own means (per type of event
count and mean duration, per speaker IPU count, mean length and share of the prompt spoken, FTO mean and median):
a ridge regression and a gradient-boosted one (scikit-learn, installed with librosa), each predicting a dialogue's
continuation means from a model fitted on the other dialogues (8 folds, seeded): what a model that reads the prompt
more fully than its means could reach; and, for the continuation after a 20 s prompt, the same r between two parts
of the true continuation (its first and second half; its even and odd minutes): what a model that knew each
dialogue's pace could reach with a continuation of about that length.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from maptask_agent import dialogue_tokens  # noqa: E402

from babbler.corpora.maptask import DIALOGUE_IDS  # noqa: E402
from babbler.evaluate import (  # noqa: E402
    CONTINUATION_TYPES,
    after,
    before,
    continuation_pearson,
    means_table,
    prompt_pearson,
)
from babbler.timing import events_from_tokens, fto_values  # noqa: E402

KINDS = (*CONTINUATION_TYPES, "avg")
EVENT_KINDS = ("ipu", "pause", "gap", "overlap_within", "overlap_between", "backchannel")


def prompt_features(events: pd.DataFrame, prompt: float) -> dict[str, float]:
    """The timing summaries of a dialogue's first `prompt` seconds (NaN where a mean has no events)."""
    ev = before(events, prompt)
    out = {}
    for kind in EVENT_KINDS:
        d = ev.loc[ev["type"] == kind, "duration"].to_numpy(float)
        out[f"{kind}_n"], out[f"{kind}_mean"] = len(d), float(d.mean()) if len(d) else np.nan
    for spk in ("A", "B"):
        d = ev.loc[(ev["type"] == "ipu") & (ev["speaker"] == spk), "duration"].to_numpy(float)
        out[f"{spk}_ipu_n"], out[f"{spk}_share"] = len(d), float(d.sum()) / prompt
        out[f"{spk}_ipu_mean"] = float(d.mean()) if len(d) else np.nan
    fto = fto_values(ev)
    out["fto_mean"], out["fto_median"] = (float(fto.mean()), float(np.median(fto))) if len(fto) else (np.nan, np.nan)
    return out


def regression_pearson(events: dict[str, pd.DataFrame], prompt: float, folds: int = 8) -> dict[str, dict[str, float]]:
    """Continuation Pearson r of ridge and gradient-boosted predictions from the prompt's timing summaries, each
    dialogue predicted by a model fitted on the other folds' dialogues."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = sorted(events)
    x = pd.DataFrame([prompt_features(events[d], prompt) for d in names]).to_numpy(float)
    truth = means_table({d: (after(events[d], prompt), after(events[d], prompt)) for d in names})
    models = {"ridge": lambda: make_pipeline(SimpleImputer(add_indicator=True), StandardScaler(),
                                             RidgeCV(alphas=np.logspace(-2, 3, 11))),
              "boosted": lambda: HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05, max_depth=3,
                                                               random_state=0)}
    out = {}
    for label, make in models.items():
        table = truth.copy()
        for kind in CONTINUATION_TYPES:
            y = truth[f"{kind}_real"].to_numpy(float)
            pred = np.full(len(y), np.nan)
            for fit_rows, test_rows in KFold(folds, shuffle=True, random_state=0).split(x):
                fit_rows = fit_rows[np.isfinite(y[fit_rows])]
                pred[test_rows] = make().fit(x[fit_rows], y[fit_rows]).predict(x[test_rows])
            table[f"{kind}_generated"] = pred
        out[label] = continuation_pearson(table)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--prompts", default="20,30,60,120")
    ap.add_argument("--subsets", type=int, default=200)
    args = ap.parse_args()
    events = {d: events_from_tokens(dialogue_tokens(args.zip, d)) for d in DIALOGUE_IDS}
    rng = np.random.default_rng(0)
    rows = []
    for prompt in (float(p) for p in args.prompts.split(",")):
        r = prompt_pearson(events, sorted(events), prompt)
        sets = [prompt_pearson(events, list(rng.choice(sorted(events), 16, replace=False)), prompt)["avg"]
                for _ in range(args.subsets)]
        rows.append({"prompt (s)": prompt, **{k: round(r[k], 3) for k in KINDS},
                     "avg, sets of 16: median": round(float(np.nanmedian(sets)), 2),
                     "90th percentile": round(float(np.nanquantile(sets, 0.9)), 2)})
    print(f"Prompt-only baseline on {len(events)} dialogues:")
    print(pd.DataFrame(rows).to_markdown(index=False))
    rows = []
    for prompt in (float(p) for p in args.prompts.split(",")):
        for label, r in regression_pearson(events, prompt).items():
            rows.append({"prompt (s)": prompt, "predictor": label, **{k: round(r[k], 3) for k in KINDS}})
    print(f"Predicted from the prompt's timing summaries (8-fold, {len(events)} dialogues):")
    print(pd.DataFrame(rows).to_markdown(index=False))
    halves, minutes = {}, {}
    for d, e in events.items():
        rest = after(e, 20.0)
        mid = (20.0 + float(e["start"].max())) / 2
        halves[d] = (rest[rest["start"] >= mid], rest[rest["start"] < mid])
        odd = ((rest["start"] - 20.0) // 60).astype(int) % 2 == 1
        minutes[d] = (rest[odd], rest[~odd])
    for name, pairs in (("second half against first half", halves), ("odd against even minutes", minutes)):
        r = continuation_pearson(means_table(pairs))
        print(f"Continuation after 20 s, {name}: " + ", ".join(f"{k} {r[k]:.3f}" for k in KINDS))


if __name__ == "__main__":
    main()
