"""How clearly a corpus's recordings tell which speaker is on which channel: `channel_match` under added cross-talk.

Usage:  python bench/channel_match.py CORPUS_DIR [--bleed 0,0.3,0.7]
CORPUS_DIR is a corpus folder of the workflow (e.g. results/corpus/demo after a run: `wav/{dlg}.wav` with `va/{dlg}.csv`).
For each dialogue it mixes each channel with `bleed` times the other (0.3 ≈ −10 dB, 0.7 ≈ −3 dB of cross-talk on top
of what the recording holds) and prints `babbler.corpora.common.channel_match` of the VA as given and of the VA with
A and B swapped, then the range over dialogues. The `local` corpus stops a dialogue whose match is −0.5 or below
(`babbler.corpora.local.SWAPPED`) and warns below +0.1 (`UNCLEAR`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from babbler.corpora.common import channel_match  # noqa: E402
from babbler.fileio import read_stereo, read_va  # noqa: E402
from babbler.va_formats import swap_speakers  # noqa: E402


def main() -> None:
    """Print the channel match of every dialogue at each added cross-talk level, as given and swapped."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus_dir", type=Path)
    ap.add_argument("--bleed", default="0,0.3,0.7", help="amplitudes of the other channel added to each channel")
    args = ap.parse_args()
    bleeds = [float(b) for b in args.bleed.split(",")]
    rows = []
    for wav in sorted((args.corpus_dir / "wav").glob("*.wav")):
        audio, sr = read_stereo(wav)
        va = read_va(args.corpus_dir / "va" / f"{wav.stem}.csv")
        swapped = swap_speakers(va)
        row = []
        for b in bleeds:
            mixed = audio + b * audio[:, ::-1]
            row.append((channel_match(mixed, sr, va), channel_match(mixed, sr, swapped)))
        rows.append(row)
        print(wav.stem, "  ".join(f"bleed {b:g}: {m:+.2f} (swapped {s:+.2f})" for b, (m, s) in zip(bleeds, row)))
    for i, b in enumerate(bleeds):
        given = [r[i][0] for r in rows]
        swapped = [r[i][1] for r in rows]
        print(f"bleed {b:g}: as given {min(given):+.2f} to {max(given):+.2f}; "
              f"swapped {min(swapped):+.2f} to {max(swapped):+.2f} ({len(rows)} dialogues)")


if __name__ == "__main__":
    main()
