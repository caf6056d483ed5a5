"""Peak memory and time of rendering a timing-only dialogue with the `source_filter` voice, by its length.

Usage:  python bench/render_memory.py [--minutes 2,10,30,60] [--rate 16000]

Each length runs in a fresh process: a seeded two-party VA of that many minutes (IPUs of 0.3–2 s, gaps of 0.1–1 s,
speakers drawn at random) is rendered by `babbler.corpora.timing_only.render_va`, as the corpus stage renders a
timing-only dialogue (and the render stage a generated one). The script prints each length's render time and the
process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

# Python run in a fresh process: a seeded two-party VA of {minutes} minutes (`va`, lasting `t` s), with the installed
# babbler; bench/long_recording.py starts from it too.
SEEDED_VA = """
import time
import numpy as np, pandas as pd
from babbler.corpora.timing_only import render_va
from babbler.util.seeds import derived_seed
rng = np.random.default_rng(0)
rows, t = [], 0.0
while t < {minutes} * 60:
    d = rng.uniform(0.3, 2.0)
    rows.append(("AB"[int(rng.integers(2))], t, t + d))
    t += d + rng.uniform(0.1, 1.0)
va = pd.DataFrame(rows, columns=["speaker", "start", "end"])
"""
CHILD = SEEDED_VA + """
t0 = time.perf_counter()
audio, _ = render_va(va, t + 1.0, derived_seed(1, "x"), sample_rate={rate})
print(f"{{audio.shape[0] / {rate}:.0f}} {{time.perf_counter() - t0:.1f}}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", default="2,10,30,60")
    ap.add_argument("--rate", type=int, default=16000)
    args = ap.parse_args()
    print(f"at {args.rate} Hz")
    for minutes in (float(m) for m in args.minutes.split(",")):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run([sys.executable, "-c", CHILD.format(minutes=minutes, rate=args.rate)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{minutes:g} min: failed\n{proc.stderr[-2000:]}")
            continue
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far, in KB
        seconds, took = proc.stdout.split()
        note = "" if peak > before else " (peak not above an earlier, longer run's)"
        print(f"{minutes:5g} min ({seconds} s of audio): rendered in {took} s, peak {peak / 1024:.0f} MB{note}")


if __name__ == "__main__":
    main()
