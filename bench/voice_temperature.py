"""Choose a sampled voice's temperature on *validation* dialogues: VA F1 and F0 error of its babble per temperature.

Usage:  python bench/voice_temperature.py --voice wavenet [--seconds 10] [--temperatures 1.0 0.7 0.5 0.3]
Needs a run that trained the voice (results/dataset, results/models/{corpus}/{voice}.pt). For each temperature,
the first `seconds` of every dialogue of the split are voiced (both speakers, one batch), mixed like the
workflow's renders, run through the intensity VAD and Praat's pitch, and scored against the tracks that drove
them: VA F1 (frames pooled per speaker, then averaged over A and B) and the median F0 error in semitones with
the share of frames off by more than one, as in eval/{corpus}/voice_{voice}.json. The workflow's test-split
figures stay untouched by this choice.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[1]

from babbler.evaluation.voice_fidelity import f0_errors_semitones
from babbler.models.dataset import load_dataset
from babbler.sampling.generate import tracks_table
from babbler.signal.extract import extract_dialogue
from babbler.timing.vad_accuracy import frame_scores
from babbler.va import TOKEN_RATE
from babbler.voices.registry import TRAINED, VOICES, load_voice_model, voice_models
from babbler.voices.render import mix_dialogue, speaker_tracks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="demo")
    ap.add_argument("--voice", default="wavenet", choices=TRAINED)
    ap.add_argument("--results", default=str(ROOT / "results"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.7, 0.5, 0.3])
    ap.add_argument("--sample-rate", type=int, default=16000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    res = Path(args.results)
    data = load_dataset(res / f"dataset/{args.corpus}/frames.npz", res / f"dataset/{args.corpus}/splits.csv")
    voice = VOICES[args.voice]
    model = load_voice_model(args.voice, [res / f"models/{args.corpus}/{v}.pt" for v in voice_models(args.voice)])
    ids = data.ids(args.split)
    tables = [tracks_table(data.tokens[d][: int(args.seconds * TOKEN_RATE)], data.scales[d]) for d in ids]
    sr = args.sample_rate
    print(f"{args.split} dialogues {ids}, {args.seconds:g} s each, {args.voice} at {model.cfg.sample_rate} Hz")
    import time

    with tempfile.TemporaryDirectory() as tmp:
        for temperature in args.temperatures:
            t0 = time.perf_counter()
            waves = voice.render([speaker_tracks(t, s) for t in tables for s in "AB"], sr, 7, model,
                                 {"temperature": temperature})
            spent = time.perf_counter() - t0
            pred, ref, errors = {"A": [], "B": []}, {"A": [], "B": []}, []
            for i, d in enumerate(ids):
                n = len(tables[i]) * sr // TOKEN_RATE
                audio = mix_dialogue(waves[2 * i : 2 * i + 2], n, sr, 7 + i)
                wavs = {s: Path(tmp) / f"{d}.{s}.wav" for s in "AB"}
                dest = {s: Path(tmp) / f"{d}.{s}.parquet" for s in "AB"}
                for c, s in enumerate("AB"):
                    sf.write(wavs[s], audio[:, c], sr)
                extract_dialogue(wavs, dest, "intensity")
                for s in "AB":
                    prosody = pd.read_parquet(dest[s])
                    errors.append(f0_errors_semitones(tables[i][f"f0_{s}"].to_numpy(), prosody["f0"].to_numpy()))
                    va = prosody["va"].to_numpy(bool)
                    drive = np.repeat(tables[i][f"va_{s}"].to_numpy(bool), 2)
                    m = min(len(va), len(drive))
                    pred[s].append(va[:m])
                    ref[s].append(drive[:m])
            scores = {s: frame_scores(np.concatenate(pred[s]), np.concatenate(ref[s])) for s in "AB"}
            f1 = (scores["A"]["f1"] + scores["B"]["f1"]) / 2
            err = np.concatenate(errors)
            print(f"temperature {temperature:.2f}: VA F1 {f1:.3f} (A {scores['A']['f1']:.3f}, "
                  f"B {scores['B']['f1']:.3f}); F0 error median {np.median(err):.2f} semitones, "
                  f"{np.mean(err > 1):.1%} of {len(err)} frames off by > 1; generation {spent:.0f} s")


if __name__ == "__main__":
    main()
