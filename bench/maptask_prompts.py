"""How much a continuation prompt can tell about the rest of a dialogue: the ceiling of the continuation protocol.

Usage:  python bench/maptask_prompts.py ZIP [--prompts 20,30,60,120] [--subsets 200]
ZIP is the NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip). On the word timings of all
dialogues (design VA rules, 50 Hz, as bench/maptask_agent.py reads them), prints per prompt length:
  * the prompt-only baseline: Pearson r, over dialogues, of the prompt's own mean IPU, pause and FTO against the
    true continuation's (continuation.prompt_pearson of metrics.json), on all dialogues and the median and 90th
    percentile over random sets of 16 (a test split's size);
and, for the continuation after a 20 s prompt, the same r between two parts of the true continuation (its first
and second half; its even and odd minutes): what a model that knew each dialogue's pace could reach with a
continuation of about that length.
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
from babbler.evaluate import CONTINUATION_TYPES, after, continuation_pearson, means_table, prompt_pearson  # noqa: E402
from babbler.timing import events_from_tokens  # noqa: E402

KINDS = (*CONTINUATION_TYPES, "avg")


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
