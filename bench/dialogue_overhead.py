"""The per-dialogue stages' overhead: CPU time their jobs spend outside the dialogues' own work (interpreter
start-up, imports, Snakemake's script preamble, logging), against that work, for a corpus run to its timing
statistics (corpus → mono → prosody → events → stats), at one or more batch sizes in one session; with --dataset
the run goes on to the corpus's tokens (frames.npz), the measured big run of a corpus's human side.

Usage:  python bench/dialogue_overhead.py [--configfile F ...] [--batch 1 50] [--cores 2] [--dataset]

Besides the CPU times it prints the run's wall time and its peak memory: the largest sum of resident memory over
Snakemake and all its jobs, sampled every half second (so a spike shorter than that can be missed).

The checkout's config.yaml is read first and every --configfile over it, as `snakemake --configfile` does. Each
batch size runs the human side from scratch in its own temporary folder (the corpus's downloads, if any, are
fetched each time: use a local copy). Every batch job logs its process's CPU time and the part spent inside the
per-dialogue calls (babbler.util.rule_log.WorkClock); the script sums them per stage, and adds the Snakemake
process's own CPU time (planning and scheduling: every child's CPU time minus the jobs').

    python bench/standin_corpus.py /tmp/swb --size switchboard
    python bench/dialogue_overhead.py --configfile configs/maptask-timing.yaml /tmp/swb/config.yaml --batch 1 50
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from babbler.config import load_config
from babbler.workflow.paths import path
from babbler.workflow.plan import RunPlan

ROOT = Path(__file__).resolve().parents[1]

STAGES = ("corpus", "mono", "prosody", "timing")
LINE = re.compile(r"job CPU ([\d.]+) s for (\d+) dialogues: work ([\d.]+) s")


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_peak(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run a command; its completed process, wall seconds and the peak resident memory of its process tree."""
    peak = [0]
    start = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as popen:
        done = threading.Event()

        def sample() -> None:
            proc = psutil.Process(popen.pid)
            while not done.wait(0.5):
                try:
                    peak[0] = max(peak[0], tree_rss(proc))
                except psutil.Error:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, err = popen.communicate()
        done.set()
        sampler.join()
    wall = time.perf_counter() - start
    return subprocess.CompletedProcess(cmd, popen.returncode, out, err), wall, peak[0]


def run_batches(files: list[Path], batch: int, cores: int, corpus: str, dataset: bool = False) -> dict:
    """Run the corpus's human side at one batch size; its wall time, peak memory, CPU times per stage and the
    scheduler's."""
    with tempfile.TemporaryDirectory() as workdir:
        targets = [path("stats", source=corpus)] + ([path("frames", corpus=corpus)] if dataset else [])
        cmd = [sys.executable, "-m", "snakemake", *targets, "-s", str(ROOT / "Snakefile"),
               "-d", workdir, "--cores", str(cores), "--quiet", "all", "--configfile", str(ROOT / "config.yaml"),
               *map(str, files), "--config", f"batch={{dialogues: {batch}}}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc, wall, peak = run_peak(cmd)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"snakemake failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        stages = {}
        for stage in STAGES:
            rows = [LINE.search(log.read_text()) for log in (Path(workdir) / "results/logs" / stage / corpus).glob(
                "batch*.log")]
            rows = [tuple(map(float, m.groups())) for m in rows if m]
            stages[stage] = {"jobs": len(rows), "dialogues": int(sum(r[1] for r in rows)),
                             "cpu": sum(r[0] for r in rows), "work": sum(r[2] for r in rows)}
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    jobs_cpu = sum(s["cpu"] for s in stages.values())
    return {"wall": wall, "peak": peak, "stages": stages, "scheduler": children - jobs_cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configfile", type=Path, nargs="*", default=[])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 50], help="batch.dialogues values to compare")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--dataset", action="store_true", help="run on to the corpus's tokens (dataset frames.npz)")
    args = ap.parse_args()
    plan = RunPlan.from_config(load_config(args.configfile, ROOT / "config.yaml"))
    target = path("stats", source=plan.corpus) + (f" and {path('frames', corpus=plan.corpus)}" if args.dataset else "")
    print(f"{plan.corpus}: {len(plan.dialogues)} dialogues, human side to {target}, {args.cores} cores", flush=True)
    for batch in args.batch:
        r = run_batches(args.configfile, batch, args.cores, plan.corpus, args.dataset)
        work = sum(s["work"] for s in r["stages"].values())
        overhead = sum(s["cpu"] - s["work"] for s in r["stages"].values())
        print(f"\nbatch.dialogues = {batch}: wall {r['wall']:.1f} s, peak memory {r['peak'] / 2**30:.2f} GiB "
              f"(Snakemake and its jobs)")
        for stage, s in r["stages"].items():
            print(f"  {stage:8s} {s['jobs']:5d} jobs  work {s['work']:8.1f} CPU-s  overhead {s['cpu'] - s['work']:7.1f} "
                  f"CPU-s ({100 * (s['cpu'] - s['work']) / max(s['work'], 1e-9):.0f} %)")
        print(f"  jobs: work {work:.1f} CPU-s, overhead {overhead:.1f} CPU-s = {100 * overhead / work:.1f} % of the work "
              f"({overhead / len(plan.dialogues):.3f} CPU-s per dialogue)")
        own = "Snakemake's own process and the dataset job" if args.dataset else "Snakemake's own process"
        print(f"  with {own} ({r['scheduler']:.1f} CPU-s): "
              f"{100 * (overhead + r['scheduler']) / work:.1f} % of the work", flush=True)


if __name__ == "__main__":
    main()
