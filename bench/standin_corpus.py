"""Stand-ins of the big corpora users have, to measure the workflow at their size: seeded VA-only conversations
(the demo's turn-taking process at telephone lengths) written as a `local` corpus of voice-activity files.

Usage:  python bench/standin_corpus.py OUT_DIR [--size switchboard|fisher|N] [--minutes M] [--seed 1]

Switchboard-1 has about 2,400 conversations (260 hours, about 6.5 minutes each); Fisher English about 11,700 (1,960
hours, about 10 minutes each). Writes OUT_DIR/va/{id}.csv (speaker, start, end) and OUT_DIR/config.yaml, a config
overlay that makes them a timing-only local corpus:

    snakemake --cores 8 --configfile configs/maptask-timing.yaml OUT_DIR/config.yaml
    python bench/plan_time.py --configfile OUT_DIR/config.yaml
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml
from tqdm import tqdm

from babbler.corpora.demo import DemoParams, segments_table, turn_segments
from babbler.util.fileio import write_va

SIZES = {"switchboard": (2438, 6.5), "fisher": (11699, 10.0)}  # conversations, mean minutes


def write_standin(out: Path, n: int, minutes: float, seed: int) -> list[str]:
    """Write `n` conversations of about `minutes` each (lengths drawn ±30 %) and their config overlay."""
    root = np.random.SeedSequence(seed)
    ids = [f"c{i:05d}" for i in range(1, n + 1)]
    for dialogue, child in tqdm(zip(ids, root.spawn(n)), total=n, desc="stand-in", unit="conversation"):
        rng = np.random.default_rng(child)
        p = DemoParams(duration=float(60 * minutes * rng.uniform(0.7, 1.3)))
        segs, _ = turn_segments(p, rng)
        write_va(out / "va" / f"{dialogue}.csv", segments_table(segs))
    overlay = {"corpus": {"name": "local", "local": {"path": None, "va": str((out / "va").resolve())}}}
    (out / "config.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", default="switchboard", help="switchboard, fisher, or a number of conversations")
    ap.add_argument("--minutes", type=float, default=None, help="mean length (default: the corpus's)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n, minutes = SIZES.get(args.size, (int(args.size) if args.size.isdigit() else 0, 6.5))
    if n < 1:
        ap.error(f"--size must be switchboard, fisher or a positive number, not {args.size!r}")
    ids = write_standin(args.out, n, args.minutes or minutes, args.seed)
    print(f"{len(ids)} conversations of about {args.minutes or minutes:g} min in {args.out / 'va'}; "
          f"config overlay {args.out / 'config.yaml'}")


if __name__ == "__main__":
    main()
