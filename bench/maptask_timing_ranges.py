"""The ranges of real two-party timing behind the plausibility guard's limits (babbler.timing MAX_*/MIN_*).

Usage:  python bench/maptask_timing_ranges.py ../shared/data/maptask-timed-units.zip
Reads the word timings of all 128 Map Task dialogues (giver = A, follower = B), applies the design's 50/200 ms rules,
and prints the range of each channel's speech share, of `va_mirror` (the largest share of one speaker's speech
also marked as the other's) and of the overlap share, as stats.csv computes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from babbler.corpora.maptask import DIALOGUE_IDS, timed_units_from_zip, va_from_words  # noqa: E402
from babbler.timing import dialogue_stats, extract_events  # noqa: E402


def main() -> None:
    zip_path = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared/data/maptask-timed-units.zip")
    rows = []
    for dlg in DIALOGUE_IDS:
        va = va_from_words(timed_units_from_zip(zip_path, dlg))
        duration = float(va["end"].max()) + 1.0
        rows.append(dialogue_stats(extract_events(va, duration), duration))
    share = np.array([r[f"speech_share_{s}"] for r in rows for s in "AB"])
    mirror = np.array([r["va_mirror"] for r in rows])
    overlap = np.array([r["overlap_share"] for r in rows])
    print(f"{len(rows)} dialogues")
    print(f"speech share per channel: min {share.min():.3f}  median {np.median(share):.3f}  max {share.max():.3f}")
    print(f"va_mirror: median {np.median(mirror):.3f}  p95 {np.percentile(mirror, 95):.3f}  max {mirror.max():.3f}")
    print(f"overlap share: median {np.nanmedian(overlap):.3f}  max {np.nanmax(overlap):.3f}  "
          f"pooled mean {np.nanmean(overlap):.3f}")
    print(f"flagged by the guard: {sum(r['implausible'] for r in rows)}")


if __name__ == "__main__":
    main()
