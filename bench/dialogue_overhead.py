"""The per-dialogue stages' overhead: CPU time their jobs spend outside the dialogues' own work (interpreter
start-up, imports, Snakemake's script preamble, logging), against that work, for a corpus run to its timing
statistics (corpus → mono → prosody → events → stats), at one or more batch sizes in one session.

Usage:  python bench/dialogue_overhead.py [--configfile F ...] [--batch 1 50] [--cores 2]

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
import time
from pathlib import Path

from babbler.config import load_config
from babbler.workflow.paths import path
from babbler.workflow.plan import RunPlan

ROOT = Path(__file__).resolve().parents[1]

STAGES = ("corpus", "mono", "prosody", "timing")
LINE = re.compile(r"job CPU ([\d.]+) s for (\d+) dialogues: work ([\d.]+) s")


def run_batches(files: list[Path], batch: int, cores: int, corpus: str) -> dict:
    """Run the corpus's human side at one batch size; its wall time, CPU times per stage and the scheduler's."""
    with tempfile.TemporaryDirectory() as workdir:
        cmd = [sys.executable, "-m", "snakemake", path("stats", source=corpus), "-s", str(ROOT / "Snakefile"),
               "-d", workdir, "--cores", str(cores), "--quiet", "all", "--configfile", str(ROOT / "config.yaml"),
               *map(str, files), "--config", f"batch={{dialogues: {batch}}}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
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
    return {"wall": wall, "stages": stages, "scheduler": children - jobs_cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configfile", type=Path, nargs="*", default=[])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 50], help="batch.dialogues values to compare")
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    plan = RunPlan.from_config(load_config(args.configfile, ROOT / "config.yaml"))
    print(f"{plan.corpus}: {len(plan.dialogues)} dialogues, human side to {path('stats', source=plan.corpus)}, "
          f"{args.cores} cores", flush=True)
    for batch in args.batch:
        r = run_batches(args.configfile, batch, args.cores, plan.corpus)
        work = sum(s["work"] for s in r["stages"].values())
        overhead = sum(s["cpu"] - s["work"] for s in r["stages"].values())
        print(f"\nbatch.dialogues = {batch}: wall {r['wall']:.1f} s")
        for stage, s in r["stages"].items():
            print(f"  {stage:8s} {s['jobs']:5d} jobs  work {s['work']:8.1f} CPU-s  overhead {s['cpu'] - s['work']:7.1f} "
                  f"CPU-s ({100 * (s['cpu'] - s['work']) / max(s['work'], 1e-9):.0f} %)")
        print(f"  jobs: work {work:.1f} CPU-s, overhead {overhead:.1f} CPU-s = {100 * overhead / work:.1f} % of the work "
              f"({overhead / len(plan.dialogues):.3f} CPU-s per dialogue)")
        print(f"  with Snakemake's own process ({r['scheduler']:.1f} CPU-s): "
              f"{100 * (overhead + r['scheduler']) / work:.1f} % of the work", flush=True)


if __name__ == "__main__":
    main()
