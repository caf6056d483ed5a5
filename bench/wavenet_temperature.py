"""Choose the WaveNet's sampling temperature on *validation* dialogues: VA F1 of its babble per temperature.

Usage:  python bench/wavenet_temperature.py [--seconds 10] [--temperatures 1.0 0.7 0.5 0.35] [--split val]
Needs a finished default run (results/dataset, results/models/{corpus}/wavenet.pt). For each temperature,
the first `seconds` of every dialogue of the split are voiced by the WaveNet (both speakers, one batch),
mixed like the workflow's renders, run through the intensity VAD, and scored against the VA that drove
them (frames pooled per speaker, then averaged over A and B, as in eval/{corpus}/voice_wavenet.json).
The workflow's test-split figure stays untouched by this choice.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from babbler.accuracy import frame_scores  # noqa: E402
from babbler.dataset import load_dataset  # noqa: E402
from babbler.extract import extract_dialogue  # noqa: E402
from babbler.render import mix_dialogue, wavenet_voices  # noqa: E402
from babbler.sampling import tracks_table  # noqa: E402
from babbler.va import TOKEN_RATE  # noqa: E402
from babbler.voices.wavenet import load_wavenet  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="demo")
    ap.add_argument("--results", default=str(ROOT / "results"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.7, 0.5, 0.35])
    ap.add_argument("--sample-rate", type=int, default=16000)
    args = ap.parse_args()
    torch.set_num_threads(2)
    res = Path(args.results)
    data = load_dataset(res / f"dataset/{args.corpus}/frames.npz", res / f"dataset/{args.corpus}/splits.csv")
    model = load_wavenet(res / f"models/{args.corpus}/wavenet.pt")
    ids = data.ids(args.split)
    tables = [tracks_table(data.tokens[d][: int(args.seconds * TOKEN_RATE)], data.scales[d]) for d in ids]
    sr = args.sample_rate
    print(f"{args.split} dialogues {ids}, {args.seconds:g} s each, WaveNet {model.cfg.sample_rate} Hz")
    with tempfile.TemporaryDirectory() as tmp:
        for temperature in args.temperatures:
            voices, spent = wavenet_voices(tables, sr, 7, model, temperature)
            pred, ref = {"A": [], "B": []}, {"A": [], "B": []}
            for i, d in enumerate(ids):
                n = len(tables[i]) * sr // TOKEN_RATE
                audio = mix_dialogue(voices[i], n, sr, 7 + i)
                wavs = {s: Path(tmp) / f"{d}.{s}.wav" for s in "AB"}
                dest = {s: Path(tmp) / f"{d}.{s}.parquet" for s in "AB"}
                for c, s in enumerate("AB"):
                    sf.write(wavs[s], audio[:, c], sr)
                extract_dialogue(wavs, dest, "intensity")
                for s in "AB":
                    va = pd.read_parquet(dest[s])["va"].to_numpy(bool)
                    drive = np.repeat(tables[i][f"va_{s}"].to_numpy(bool), 2)
                    m = min(len(va), len(drive))
                    pred[s].append(va[:m])
                    ref[s].append(drive[:m])
            scores = {s: frame_scores(np.concatenate(pred[s]), np.concatenate(ref[s])) for s in "AB"}
            f1 = (scores["A"]["f1"] + scores["B"]["f1"]) / 2
            print(f"temperature {temperature:.2f}: VA F1 {f1:.3f} (A {scores['A']['f1']:.3f}, "
                  f"B {scores['B']['f1']:.3f}); generation {spent:.0f} s")


if __name__ == "__main__":
    main()
