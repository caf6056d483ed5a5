"""Peak memory and time of the per-dialogue stages on one long recording: what to give a cluster job.

Usage:  python bench/long_recording.py [--minutes 30] [--rate 48000]

Writes a seeded two-party stereo recording of --minutes at --rate (rendered from a random VA, 16-bit) and its VA CSV
to a temporary folder, then runs, each in a fresh process as the workflow's jobs are: the local corpus's
`prepare_dialogue` (read, check the VA and the channels, write the corpus WAV), `split_channels` (the mono stage, to
16 kHz) and `extract_dialogue` (the prosody stage, intensity VAD). Prints each stage's wall time and peak resident
memory.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from render_memory import SEEDED_VA  # beside this script

MAKE = SEEDED_VA + """
import soundfile as sf
audio, _ = render_va(va, t + 1.0, derived_seed(1, "long"), sample_rate={rate})
sf.write("long.wav", audio, {rate}, subtype="PCM_16")
va.to_csv("long.csv", index=False)
"""

STAGES = {
    "corpus (local prepare_dialogue)": "from babbler.corpora.local import prepare_dialogue\n"
    "prepare_dialogue('long.wav', 'long.csv', 'long', 'c.wav', 'c.csv', 'c.json')",
    "mono (split_channels to 16 kHz)": "from babbler.signal.mono import split_channels\n"
    "split_channels('c.wav', 'A.wav', 'B.wav', 16000)",
    "prosody (extract_dialogue, intensity VAD)": "from babbler.signal.extract import extract_dialogue\n"
    "extract_dialogue({'A': 'A.wav', 'B': 'B.wav'}, {'A': 'A.parquet', 'B': 'B.parquet'}, 'intensity')",
}


def run(code: str, cwd: str) -> tuple[float, float]:
    """Wall seconds and peak resident MB of `code` in a fresh Python process."""
    wrapped = ("import resource, sys\n" + code + "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapped], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return seconds, int(proc.stdout.split()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--rate", type=int, default=48000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(MAKE.format(minutes=args.minutes, rate=args.rate), tmp)
        size = (Path(tmp) / "long.wav").stat().st_size / 1e6
        print(f"{args.minutes:g} minutes of {args.rate} Hz stereo ({size:.0f} MB of 16-bit WAV)")
        for name, code in STAGES.items():
            seconds, peak = run(code, tmp)
            print(f"{name:45s} {seconds:6.1f} s, peak {peak:6.0f} MB")


if __name__ == "__main__":
    main()
