"""How long `snakemake -n` takes to plan a run: what every start of the workflow pays before its first job.

Usage:  python bench/plan_time.py [--snakefile Snakefile] [--configfile FILE] [--repeats 3] [-- extra snakemake args]

The checkout's config.yaml is read first and --configfile over it, as `snakemake --configfile` does from the
project folder. Each repeat plans the whole workflow into an empty temporary folder (so every job is planned) in a fresh process and
is timed from outside; the script prints each wall time, their median and the job count. Compare two versions of the
workflow by pointing --snakefile at each checkout in one session.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def plan_once(snakefile: Path, configfile: Path | None, extra: list[str]) -> tuple[float, int]:
    """Wall seconds of one dry run into an empty folder, and the number of jobs it planned."""
    with tempfile.TemporaryDirectory() as workdir:
        cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", workdir, "--cores", "2", "-n",
               "--quiet", "rules", "--configfile", str(snakefile.parent / "config.yaml"),
               *([str(configfile)] if configfile else []), *extra]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    total = re.search(r"^total\s+(\d+)", proc.stdout + proc.stderr, re.MULTILINE)
    return seconds, int(total.group(1)) if total else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--snakefile", type=Path, default=ROOT / "Snakefile")
    ap.add_argument("--configfile", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("extra", nargs="*", help="further snakemake arguments (after --)")
    args = ap.parse_args()
    times, jobs = [], 0
    for _ in range(args.repeats):
        seconds, jobs = plan_once(args.snakefile.resolve(), args.configfile, args.extra)
        times.append(seconds)
        print(f"{seconds:.2f} s", flush=True)
    print(f"{args.snakefile}: {jobs} jobs planned, median {statistics.median(times):.2f} s of {args.repeats}")


if __name__ == "__main__":
    main()
