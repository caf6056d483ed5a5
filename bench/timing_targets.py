"""The real-timing targets (issue 13) read from one or more workflow runs' `eval/{corpus}/metrics.json`.

Usage:  python bench/timing_targets.py results/eval/maptask/metrics.json [OTHER_RUN/metrics.json ...] [--labels a,b]

Per run (e.g. two training seeds × two sampling seeds), one row per target with the measured value and whether it
holds:
  * selfplay W1 ratio ≤ 1.5 for each of IPU, pause, gap, overlap_between and FTO;
  * selfplay mean |Δ| seconds per minute at or below the human floor (two disjoint halves of human dialogues);
  * selfplay closer than `markov` and `independent` on every type, in ≥ 90 % of the paired bootstrap draws (beside
    it, in brackets, the same for real dialogues outside the test split scored in selfplay's place, metrics.json's
    `human_reference`: the bar a perfect model would reach);
  * continuation Pearson avg (IPU, pause, FTO) ≥ 0.55, beside the prompt-only baseline;
  * listen: FTO median within 50 ms of the human speaker's, overlap share within 0.05.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from babbler.sampling.modes.listen import LISTEN_TOLERANCE

TYPES = ("ipu", "pause", "gap", "overlap_between", "fto")
BASELINES = ("markov", "independent")


def fmt(value, spec: str = ".2f") -> str:
    """A number as the table prints it; n/a where a run had too few events to measure it (None or NaN)."""
    return "n/a" if not measured(value) else format(value, spec)


def measured(*values) -> bool:
    """Every value is a number (a tiny run leaves some distances unmeasured: None or NaN)."""
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def targets(metrics: dict) -> list[dict]:
    """(target, value, holds) rows of one run's metrics; a target whose numbers are unmeasured does not hold."""
    rows = []
    dist = metrics["distance"]
    for kind in TYPES:
        ratio = dist["selfplay"][f"{kind}_w1_ratio"]
        rows.append({"target": f"selfplay W1 ratio {kind} ≤ 1.5", "value": fmt(ratio),
                     "holds": measured(ratio) and ratio <= 1.5})
    minutes = metrics["minutes"]
    diff, floor = minutes["selfplay"]["abs_diff_sec_per_min"], minutes["human_floor"]["abs_diff_sec_per_min"]
    rows.append({"target": "selfplay |Δ| s/min ≤ human floor", "value": f"{fmt(diff)} vs {fmt(floor)}",
                 "holds": measured(diff, floor) and diff <= floor})
    for base in BASELINES:
        for kind in TYPES:
            versus = metrics["selfplay_vs_baselines"].get(kind, {})
            share = versus.get("p_closer", {}).get(base)
            own, theirs = dist["selfplay"][f"{kind}_w1_ratio"], dist[base][f"{kind}_w1_ratio"]
            value = f"{fmt(own)} vs {fmt(theirs)}" + (f", bootstrap {fmt(share)}" if share is not None else "")
            reference = metrics.get("human_reference", {})
            if reference.get("p_closer", {}).get(base):  # what real dialogues in selfplay's place reach
                value += (f" (real dialogues {fmt(reference[f'{kind}_w1_ratio'])}, "
                          f"bootstrap {fmt(reference['p_closer'][base][kind])})")
            holds = measured(own, theirs) and own < theirs and (share is None or share >= 0.9)
            rows.append({"target": f"selfplay closer than {base} on {kind}", "value": value, "holds": holds})
    cont = metrics["continuation"]
    avg, prompt = cont["pearson"]["avg"], cont["prompt_pearson"]["avg"]
    rows.append({"target": "continuation Pearson avg ≥ 0.55 (prompt-only baseline beside)",
                 "value": f"{fmt(avg)} (prompt {fmt(prompt)}, n={cont['pearson']['n_dialogues']})",
                 "holds": measured(avg) and avg >= 0.55})
    listen, tol = metrics["listen"], LISTEN_TOLERANCE
    rows.append({"target": f"listen FTO median within {1000 * tol['fto_median_diff']:g} ms of the human's",
                 "value": f"{fmt(listen['fto_median'], '.3f')} vs {fmt(listen['fto_median_human'], '.3f')} s",
                 "holds": measured(listen["fto_median_diff"])
                 and abs(listen["fto_median_diff"]) <= tol["fto_median_diff"] + 1e-9})
    rows.append({"target": f"listen overlap share within {tol['overlap_share_diff']:g}",
                 "value": f"{fmt(listen['overlap_share'])} vs {fmt(listen['overlap_share_human'])}",
                 "holds": measured(listen["overlap_share_diff"])
                 and abs(listen["overlap_share_diff"]) <= tol["overlap_share_diff"] + 1e-9})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics", nargs="+", help="metrics.json of each run")
    ap.add_argument("--labels", default="", help="comma-separated column names (default: the files' parent folders)")
    args = ap.parse_args()
    labels = args.labels.split(",") if args.labels else [Path(p).parent.name for p in args.metrics]
    table = None
    for label, path in zip(labels, args.metrics, strict=True):
        rows = pd.DataFrame(targets(json.loads(Path(path).read_text())))
        rows[label] = rows["value"] + rows["holds"].map({True: " ✓", False: " ✗"})
        table = rows[["target", label]] if table is None else table.merge(rows[["target", label]], on="target")
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
