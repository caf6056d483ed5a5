"""Benchmark the prosody + VA extraction (issue 3 targets) on a corpus the workflow has built.

Usage:  python bench/bench_prosody.py [--source demo] [--method intensity] [--n 16]
Needs results/audio/{source}/ and results/corpus/{source}/va/ (run `snakemake --cores 8` first).
Runs on one core (sched_setaffinity) and reports, from one run:
  * real-time factor per channel of prosody + VA (median and p90 over channels),
  * frame precision/recall/F1 per speaker against the reference VA,
  * each stats.csv column from extracted VA over the same from reference VA (target: rates within 10%),
  * peak RSS growth after the first dialogue (memory bounded by one dialogue, not the corpus).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from babbler.signal.extract import dialogue_va, read_mono
from babbler.signal.prosody import first_pass, refine_pitch
from babbler.timing.vad_accuracy import accuracy_table
from babbler.util.fileio import read_va
from babbler.va import VA_RATE


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default="demo")
    ap.add_argument("--method", default="intensity", choices=["intensity", "silero", "reference"])
    ap.add_argument("--n", type=int, default=16, help="dialogues to use")
    ap.add_argument("--results", default=str(ROOT / "results"))
    args = ap.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)

    res = Path(args.results)
    dialogues = sorted(p.stem for p in (res / "corpus" / args.source / "va").glob("*.csv"))[: args.n]
    if not dialogues:
        sys.exit(f"no reference VA under {res}/corpus/{args.source}/va: run the workflow first")
    rtf, items, rss_after_first = [], {}, None
    for i, dlg in enumerate(dialogues):
        samples, sr = {}, None
        for s in "AB":
            samples[s], sr = read_mono(res / "audio" / args.source / f"{dlg}.{s}.wav")
        duration = len(samples["A"]) / sr
        n = int(round(duration * VA_RATE))
        t0 = time.perf_counter()
        first = {s: first_pass(samples[s], sr, duration) for s in "AB"}
        va = dialogue_va(args.method, samples, sr, first, n, res / "corpus" / args.source / "va" / f"{dlg}.csv")
        for s in "AB":
            refine_pitch(samples[s], sr, first[s], va[s])
        elapsed = time.perf_counter() - t0
        rtf += [elapsed / 2 / duration] * 2  # per channel
        items[dlg] = (va, read_va(res / "corpus" / args.source / "va" / f"{dlg}.csv"))
        if i == 0:
            rss_after_first = rss_mb()
    table = accuracy_table(items)
    total = table.iloc[-1]
    print(f"source={args.source} method={args.method} dialogues={len(dialogues)} one core")
    print(f"RTF per channel (prosody + VA): median {np.median(rtf):.4f}, p90 {np.percentile(rtf, 90):.4f}"
          f"  (target <= 0.01)")
    for s in "AB":
        print(f"speaker {s}: precision {total[f'{s}_precision']:.4f} recall {total[f'{s}_recall']:.4f}"
              f" F1 {total[f'{s}_f1']:.4f}  (target F1 >= 0.95)")
    print(f"{'stat':32s} {'extracted':>10s} {'reference':>10s} {'ratio':>7s}")
    worst = 0.0
    for col in [c for c in table.columns if c.endswith("_extracted")]:
        key = col.removesuffix("_extracted")
        e, r = total[col], total[f"{key}_reference"]
        ratio = e / r if r else float("nan")
        if key.endswith("_per_min") and np.isfinite(ratio):
            worst = max(worst, abs(ratio - 1))
        print(f"{key:32s} {e:10.4f} {r:10.4f} {ratio:7.3f}")
    print(f"largest deviation of a *_per_min rate: {100 * worst:.1f}%  (target <= 10%)")
    print(f"peak RSS: {rss_after_first:.0f} MB after 1 dialogue, {rss_mb():.0f} MB after {len(dialogues)}")


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()
