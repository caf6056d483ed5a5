"""Stand-ins of the big corpora users have, to measure the workflow at their size: seeded VA-only conversations
(the demo's turn-taking process at telephone lengths) written as a `local` corpus of voice-activity files.

Usage:  python bench/standin_corpus.py OUT_DIR [--size switchboard|fisher|N] [--minutes M] [--spread S] [--seed 1]

Conversations differ as a real corpus's do (different callers talk at their own pace): each draws its own IPU and
pause medians, turn length, mean floor-transfer offset and backchannel rate around the demo's, by lognormal factors
of sd `--spread` (the offset shifted by 0.5 s × that many sds). At the default 0.15 the two halves of a conversation
have per-conversation mean IPU, pause and FTO that correlate at r 0.83 / 0.74 / 0.65 (60 conversations; Map Task's
128 dialogues: 0.76 / 0.50 / 0.62). With `--spread 0` every conversation follows the same parameters, so its means
differ by chance alone (r −0.18 / 0.01 / 0.14): a continuation then has nothing in its prompt to carry.

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


def conversation_params(rng: np.random.Generator, minutes: float, spread: float) -> DemoParams:
    """One conversation's turn-taking parameters: the demo's, each moved by its own seeded draw (`spread`: the sd of
    the log factors; 0: the demo's exactly), at a length of `minutes` ± 30 %."""
    base = DemoParams()
    duration = float(60 * minutes * rng.uniform(0.7, 1.3))
    factor = np.exp(rng.normal(0.0, spread, size=5)) if spread > 0 else np.ones(5)
    shift = float(rng.normal(0.0, 0.5 * spread)) if spread > 0 else 0.0
    return DemoParams(duration=duration, ipu_median=base.ipu_median * factor[0],
                      pause_median=base.pause_median * factor[1], ipus_per_turn=1 + (base.ipus_per_turn - 1) * factor[2],
                      fto_mean=base.fto_mean + shift, fto_sd=base.fto_sd * factor[3],
                      backchannel_prob=min(0.9, base.backchannel_prob * factor[4]))


def write_standin(out: Path, n: int, minutes: float, seed: int, spread: float = 0.0) -> list[str]:
    """Write `n` conversations of about `minutes` each (lengths drawn ±30 %, parameters spread by `spread`) and their
    config overlay."""
    root = np.random.SeedSequence(seed)
    ids = [f"c{i:05d}" for i in range(1, n + 1)]
    for dialogue, child in tqdm(zip(ids, root.spawn(n)), total=n, desc="stand-in", unit="conversation"):
        rng = np.random.default_rng(child)
        p = conversation_params(rng, minutes, spread)
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
    ap.add_argument("--spread", type=float, default=0.15,
                    help="sd of each conversation's log parameter factors (0: every conversation alike)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n, minutes = SIZES.get(args.size, (int(args.size) if args.size.isdigit() else 0, 6.5))
    if n < 1:
        ap.error(f"--size must be switchboard, fisher or a positive number, not {args.size!r}")
    if args.spread < 0:
        ap.error(f"--spread must be ≥ 0, not {args.spread}")
    ids = write_standin(args.out, n, args.minutes or minutes, args.seed, args.spread)
    print(f"{len(ids)} conversations of about {args.minutes or minutes:g} min in {args.out / 'va'}; "
          f"config overlay {args.out / 'config.yaml'}")


if __name__ == "__main__":
    main()
