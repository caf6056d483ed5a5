"""Where the intensity VAD goes wrong under a condition of `bench_vad_robustness.py`: its errors sorted by kind.

Usage:  python bench/vad_errors.py [--conditions babble,noise,clean] [--level L] [--voice babble|festival]
                                   [--maptask ZIP] [--dialogues 8] [--seconds 120]
Builds and degrades the same dialogues as `bench_vad_robustness.py` (same seeds) and prints one markdown row per
condition (the middle level unless `--level`):
  * false speech frames where the partner is silent and where the partner talks (true VA), and the IPUs that hold
    no true speech frame at all (count, median length);
  * missed speech frames in true IPUs missed whole, at an IPU's edges (before its first or after its last found
    frame) and inside it (splits);
  * the mean signed error of the IPU starts and ends (each true edge against the nearest found one of its kind
    within 150 ms; positive: late);
  * the shared-source statistics: over the frames where neither talks and the channels are alike (coherence above
    `common_coherence`), the interquartile range of the two channels' level difference and of the difference of
    their rises above their sliding floors (what `common_gain_db` measures and what the rule used before it), each
    taken per dialogue, the median over dialogues.
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

from bench_vad_robustness import CONDITIONS, SR, bench_dialogues, degrade  # noqa: E402
from babbler.extract import dialogue_va  # noqa: E402
from babbler.prosody import first_pass  # noqa: E402
from babbler.va import SPEAKERS, runs  # noqa: E402
from babbler.vad import IntensityVadParams, channel_coherence, sliding_floor  # noqa: E402


def _iqr(x: np.ndarray) -> float:
    """The interquartile range of `x` (NaN if empty)."""
    return float(np.subtract(*np.percentile(x, [75, 25]))) if len(x) else float("nan")


def edge_errors(pred: np.ndarray, ref: np.ndarray, reach: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Signed errors in frames of the true IPU starts and of the true ends (nearest found edge within `reach`)."""
    out = []
    for p, r in zip(runs(pred), runs(ref)):
        d = p[np.abs(p[None, :] - r[:, None]).argmin(axis=1)] - r if len(p) and len(r) else np.zeros(0)
        out.append(d[np.abs(d) <= reach])
    return out[0], out[1]


def sorted_errors(pred: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> dict[str, float]:
    """Counts of one dialogue's false and missed speech frames by kind, and its edge errors (frames)."""
    c = {k: 0 for k in ("false, partner silent", "false, partner talks", "missed, whole IPU", "missed, edge",
                        "missed, inside")}
    false_ipus, starts, ends = [], [], []
    for s, o in (("A", "B"), ("B", "A")):
        p, r, partner = pred[s], ref[s].astype(bool), ref[o].astype(bool)
        false = p & ~r
        c["false, partner silent"] += int((false & ~partner).sum())
        c["false, partner talks"] += int((false & partner).sum())
        false_ipus += [e - b for b, e in zip(*runs(p)) if not r[b:e].any()]
        for b, e in zip(*runs(r)):
            found = np.flatnonzero(p[b:e])
            if not len(found):
                c["missed, whole IPU"] += e - b
                continue
            missed = ~p[b:e]
            inside = np.zeros(e - b, dtype=bool)
            inside[found[0] : found[-1]] = True
            c["missed, inside"] += int((missed & inside).sum())
            c["missed, edge"] += int((missed & ~inside).sum())
        st, en = edge_errors(p, r)
        starts.append(st)
        ends.append(en)
    return {**c, "false_ipus": false_ipus, "starts": np.concatenate(starts), "ends": np.concatenate(ends)}


def shared_spread(samples: dict[str, np.ndarray], prosody: dict, ref: dict[str, np.ndarray],
                  p: IntensityVadParams) -> tuple[np.ndarray, np.ndarray]:
    """Over the frames where neither talks and the channels are alike: A − B level and A − B rise over the floors."""
    n = len(ref["A"])
    level = {s: prosody[s].vad_intensity[:n] for s in SPEAKERS}
    rise = {s: (prosody[s].vad_intensity - sliding_floor(prosody[s].vad_intensity, p))[:n] for s in SPEAKERS}
    coh = channel_coherence(samples["A"], samples["B"], SR, len(prosody["A"].vad_intensity))[:n]
    m = ~ref["A"].astype(bool) & ~ref["B"].astype(bool) & (coh > p.common_coherence)
    return (level["A"] - level["B"])[m], (rise["A"] - rise["B"])[m]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conditions", default="babble,noise,clean")
    ap.add_argument("--level", type=float, default=None, help="the condition's level (default: its middle one)")
    ap.add_argument("--dialogues", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--maptask", default="", help="NXT annotations zip: render Map Task dialogues instead of demo ones")
    ap.add_argument("--voice", choices=["babble", "festival"], default="babble")
    args = ap.parse_args()
    dialogues = bench_dialogues(args)
    p = IntensityVadParams()
    rows = []
    for cond in args.conditions.split(","):
        level = CONDITIONS[cond][1][0] if args.level is None else args.level
        parts, level_diff, rise_diff, shared = [], [], [], 0
        for i, (audio, ref) in enumerate(dialogues):
            x = degrade(audio, cond, level, args.seed, i)
            x = x / max(np.abs(x).max(), 1e-9) * 0.9
            samples = {s: x[:, c].astype(np.float64) for c, s in enumerate(SPEAKERS)}
            n = len(ref["A"])
            prosody = {s: first_pass(samples[s], SR) for s in SPEAKERS}
            va = dialogue_va("intensity", samples, SR, prosody, n)
            parts.append(sorted_errors({s: va[s][:n] for s in SPEAKERS}, ref))
            ld, rd = shared_spread(samples, prosody, ref, p)
            level_diff.append(_iqr(ld))
            rise_diff.append(_iqr(rd))
            shared += len(ld)
        row = {"condition": cond, "level": level}
        for k in ("false, partner silent", "false, partner talks", "missed, whole IPU", "missed, edge",
                  "missed, inside"):
            row[k] = sum(d[k] for d in parts)
        lengths = [x for d in parts for x in d["false_ipus"]]
        row["false IPUs"] = len(lengths)
        row["false IPU median ms"] = 10 * float(np.median(lengths)) if lengths else 0.0
        row["start err ms"] = round(10 * float(np.mean(np.concatenate([d["starts"] for d in parts]))), 1)
        row["end err ms"] = round(10 * float(np.mean(np.concatenate([d["ends"] for d in parts]))), 1)
        row["shared frames"] = shared
        row["IQR level diff dB"] = round(float(np.nanmedian(level_diff)), 2)
        row["IQR rise diff dB"] = round(float(np.nanmedian(rise_diff)), 2)
        rows.append(row)
        print(row, flush=True)
    print()
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
