"""Benchmark the onstart warm-up: the demo's first stages from a cold numba cache, with and without it.

Usage:  python bench/bench_warmup.py [--repeats 2] [--cores 8]
Copies the project's tracked files to a temporary folder and runs, there, the stages up to the
dataset and the human timing (`results/dataset/demo/frames.npz`, `results/timing/demo/stats.csv`:
corpus synthesis, mono, prosody, events) with a fresh, empty NUMBA_CACHE_DIR each time, once with
the workflow's hooks (the warm-up compiles librosa's kernels once before the jobs start) and once
with `--no-hooks` (every job of the first parallel wave compiles them itself), alternating.
Prints each run's wall time, the medians and their ratio. Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["results/dataset/demo/frames.npz", "results/timing/demo/stats.csv"]


def project_copy(dest: Path) -> None:
    """The project's tracked files (no results, no venv) copied into `dest`."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)


def one_run(hooks: bool, cores: int) -> float:
    """Seconds of one run of the first stages in a fresh copy with an empty numba cache."""
    with tempfile.TemporaryDirectory(prefix="babbler-warmup-") as tmp:
        work, cache = Path(tmp) / "project", Path(tmp) / "numba"
        project_copy(work)
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "TQDM_DISABLE": "1"}
        cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), *([] if hooks else ["--no-hooks"]), *TARGETS]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"snakemake failed ({'with' if hooks else 'without'} hooks):\n{done.stderr[-3000:]}")
        return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2, help="runs of each kind, alternating")
    ap.add_argument("--cores", type=int, default=8, help="snakemake --cores (the README's command uses 8)")
    args = ap.parse_args()
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.repeats):
        for hooks in (True, False):
            times[hooks].append(one_run(hooks, args.cores))
            print(f"{'warm-up' if hooks else 'no warm-up'}: {times[hooks][-1]:.1f} s", flush=True)
    warm, cold = statistics.median(times[True]), statistics.median(times[False])
    print(f"median: warm-up {warm:.1f} s, no warm-up {cold:.1f} s, ratio {warm / cold:.2f}")


if __name__ == "__main__":
    main()
