"""What reading the Switchboard ms98 alignments in place costs at the release's size.

Usage:  python bench/switchboard_archive.py [--conversations 2438] [--repeats 3] [--archive PATH]

Without --archive it writes a stand-in of the release (seeded: --conversations conversations of about 1,100 tokens a
side, word and utterance files in the release's layout, gzipped) to a temporary folder; with --archive it reads a
real `switchboard_word_alignments.tar.gz`. It prints the archive's size and the median of --repeats timings of:
  * listing its conversations (what every `snakemake` start pays when corpus.switchboard.dialogues is empty);
  * reading the first and the last conversation's VA from the archive (what one corpus job pays, at best and worst);
  * the same two from the unpacked folder;
  * verifying the archive (what the download job pays once).
"""

from __future__ import annotations

import argparse
import statistics
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from babbler.corpora import common, switchboard


def side_text(rng: np.random.Generator, dialogue: str, side: str, seconds: float = 300.0) -> tuple[str, str]:
    """A word file and an utterance file of one side: alternating silences and runs of words, as the release's."""
    words, utts, t, u = [], [], 0.0, 1
    while t < seconds:
        gap = rng.exponential(2.0)
        words.append(f"{dialogue}{side}-ms98-a-{u:04d} {t:.6f} {t + gap:.6f} [silence]")
        t += gap
        start = t
        for _ in range(int(rng.integers(1, 12))):
            d = rng.uniform(0.1, 0.5)
            words.append(f"{dialogue}{side}-ms98-a-{u:04d} {t:.6f} {t + d:.6f} word{int(rng.integers(1000))}")
            t += d
        utts.append(f"{dialogue}{side}-ms98-a-{u:04d} {start:.6f} {t:.6f} some words of this utterance")
        u += 1
    return "\n".join(words) + "\n", "\n".join(utts) + "\n"


def stand_in(folder: Path, conversations: int) -> tuple[Path, Path, list[str]]:
    """Write a seeded stand-in of the release, packed and unpacked; return both and its conversation ids."""
    rng = np.random.default_rng(0)
    ids = [f"sw{2001 + i}" for i in range(conversations)]
    root = folder / "swb_ms98_transcriptions"
    for d in ids:
        sub = root / d[2:4] / d[2:]
        sub.mkdir(parents=True, exist_ok=True)
        for side in "AB":
            word, trans = side_text(rng, d, side)
            (sub / f"{d}{side}-ms98-a-word.text").write_text(word)
            (sub / f"{d}{side}-ms98-a-trans.text").write_text(trans)
    archive = folder / switchboard.ARCHIVE_FILE
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname=root.name)
    return archive, root, ids


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", type=int, default=2438)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--archive", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.archive:
            archive, folder = Path(args.archive), None
            ids = switchboard.conversations_in(archive)
        else:
            archive, folder, ids = stand_in(Path(tmp), args.conversations)
        print(f"archive: {archive.stat().st_size / 1e6:.1f} MB, {len(ids)} conversations")

        def listing(source=archive):
            switchboard._archive_names.cache_clear()
            common._files_under.cache_clear()
            return switchboard.conversations_in(source)

        rows = [("list the conversations (archive)", lambda: listing())]
        for which, d in (("first", ids[0]), ("last", ids[-1])):
            rows.append((f"read the {which} conversation's VA (archive)", lambda d=d: switchboard.words_of(archive, d)))
        if folder is not None:
            rows.append(("list the conversations (folder)", lambda: listing(folder)))
            for which, d in (("first", ids[0]), ("last", ids[-1])):
                rows.append((f"read the {which} conversation's VA (folder, index built)",
                             lambda d=d: (listing(folder), switchboard.words_of(folder, d))))
        rows.append(("verify the archive", lambda: switchboard.verify_archive(archive)))
        for name, fn in rows:
            print(f"{name:55s} {median_seconds(fn, args.repeats):7.3f} s (median of {args.repeats})")


if __name__ == "__main__":
    main()
