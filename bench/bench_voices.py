"""Benchmark the voices: real-time factor of every voice on one CPU thread, and what the options buy.

Usage:  python bench/bench_voices.py [--corpus demo] [--device cpu|cuda] [--seconds 2]
One CPU thread unless --device cuda. Reports, from one run:
  * source_filter RTF per channel on 30 s of tracks (median of 5),
  * every neural voice (the trained model of results/models/{corpus}/{voice}.pt where it exists, else its
    default size untrained; the speed does not depend on the weights): RTF for 1 channel on 1 thread
    (median of 3; target <= 1 for at least one) and per channel for 8 channels batched,
  * the WaveNet's cached (Fast WaveNet) generation against recomputing the whole receptive field per sample,
    timed once the history fills it (median of 3; target >= 10x), and its options: 16 kHz, residual 16,
  * on CUDA: batched samples/s of every neural voice.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

from babbler.synth.source_filter import SpeakerVoice
from babbler.voices.features import render_conditioning
from babbler.voices.registry import TRAINED, VOICES, load_voice_model, voice_models
from babbler.voices.source_filter import render_source_filter
from babbler.voices.spec import Tracks
from babbler.voices.tacotron_wavenet import Vocoded
from babbler.voices.wavenet import WaveNet, WaveNetConfig


def babble_tracks(seconds: float, rate: float = 50.0, seed: int = 0) -> Tracks:
    """Speech-like tracks: 60 % talk in 0.5–2 s runs, a gliding F0, speech intensity."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    va = np.zeros(n, dtype=bool)
    t = 0
    while t < n:
        d = int(rng.uniform(0.5, 2.0) * rate)
        va[t : t + d] = True
        t += d + int(rng.uniform(0.2, 1.0) * rate)
    f0 = np.where(va, 140 * 2 ** (np.sin(np.arange(n) / 20) / 6), np.nan)
    return Tracks(va, f0, np.where(va, 65.0, np.nan), frame_rate=rate)


def generation_rtf(model, batch: int, seconds: float, device: str) -> float:
    """Seconds of compute per second of audio per channel for generating `batch` channels of babble tracks."""
    model = model.to(device)
    tracks = [babble_tracks(seconds, seed=i) for i in range(batch)]
    local, glob, f0, _ = (torch.as_tensor(a).to(device) if isinstance(a, np.ndarray) else a
                          for a in render_conditioning(tracks, model.cfg.sample_rate))
    model.generate(local[:, :, :10], glob, f0[:, : min(f0.shape[1], 10 * model.hop)])  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.generate(local, glob, f0)
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / seconds / batch


def render_rtf(name: str, model, batch: int, seconds: float) -> float:
    """The same through the voice's registry render on the CPU (for a voice that renders with several models,
    e.g. the Tacotron's frames and their WaveNet vocoder: all of its work is timed)."""
    voice = VOICES[name]
    tracks = [babble_tracks(seconds, seed=i) for i in range(batch)]
    voice.render([babble_tracks(0.2)], model.cfg.sample_rate, 0, model, {})  # warm-up
    t0 = time.perf_counter()
    voice.render(tracks, model.cfg.sample_rate, 0, model, {})
    return (time.perf_counter() - t0) / seconds / batch


def bench_model(name: str, results: Path, corpus: str):
    """A voice's trained model(s) from results/models/{corpus}/ where they exist, else its default size untrained;
    and where it came from."""
    paths = [results / "models" / corpus / f"{v}.pt" for v in voice_models(name)]
    if all(p.exists() for p in paths):
        return load_voice_model(name, paths), ", ".join(map(str, paths))
    built = [VOICES[v].build({}).eval() for v in voice_models(name)]
    return (built[0] if len(built) == 1 else Vocoded(*built[::-1])), "default size, untrained"


def naive_rtf(model: WaveNet, n: int = 200) -> float:
    """RTF of the naive generator in its steady state, once the history fills the receptive field:
    the time of rf + n samples minus the time of rf samples, per second of the n samples."""
    rf = model.cfg.receptive_field
    frames = (rf + n) // model.hop + 2
    local, glob = torch.zeros(1, 4, frames), torch.zeros(1, 2)
    spent = []
    for length in (rf, rf + n):
        t0 = time.perf_counter()
        model.generate_naive(local, glob, torch.full((1, length), 120.0))
        spent.append(time.perf_counter() - t0)
    return (spent[1] - spent[0]) / (n / model.cfg.sample_rate)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="demo")
    ap.add_argument("--results", default=str(ROOT / "results"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seconds", type=float, default=2.0, help="audio generated per WaveNet measurement")
    args = ap.parse_args()
    torch.set_num_threads(1)

    tracks = babble_tracks(30.0)
    rtf = []
    for seed in range(5):
        t0 = time.perf_counter()
        render_source_filter(tracks, 16000, SpeakerVoice(), seed=seed)
        rtf.append((time.perf_counter() - t0) / tracks.duration)
    print(f"source_filter at 16 kHz, 1 thread: RTF per channel median {np.median(rtf):.4f} (target <= 0.05)")

    models = {}
    for name in TRAINED:
        models[name], origin = bench_model(name, Path(args.results), args.corpus)
        timed = generation_rtf if not VOICES[name].needs else (lambda m, b, s, _, name=name: render_rtf(name, m, b, s))
        one = float(np.median([timed(models[name], 1, args.seconds, "cpu") for _ in range(3)]))
        batched = timed(models[name], 8, args.seconds, "cpu")
        print(f"{name}: {origin}; {models[name].cfg.sample_rate} Hz, "
              f"{sum(p.numel() for p in models[name].parameters())} parameters; RTF 1 channel 1 thread (median of 3) {one:.2f}; per channel, 8 batched "
              f"{batched:.2f}")
    trained = models["wavenet"]
    cfg = trained.cfg
    cached = float(np.median([generation_rtf(trained, 1, args.seconds, "cpu") for _ in range(3)]))
    naive = float(np.median([naive_rtf(trained) for _ in range(3)]))
    print(f"wavenet generation, 1 channel, 1 thread, median of 3: cached RTF {cached:.2f}; naive recompute of "
          f"the full receptive field RTF {naive:.1f}; speed-up {naive / cached:.1f}x (target >= 10x)")
    options = {
        "16 kHz (same layers)": WaveNet(WaveNetConfig(**{**cfg.__dict__, "sample_rate": 16000})).eval(),
        "residual 16, skip 32": WaveNet(WaveNetConfig(**{**cfg.__dict__, "residual": 16, "skip": 32})).eval(),
    }
    for name, model in options.items():
        r = generation_rtf(model, 1, args.seconds, "cpu")
        print(f"  wavenet {name:22s}: RTF per channel {r:.2f} ({cached / r:.2f}x the default's speed)")
    if args.device == "cuda":
        torch.set_num_threads(4)
        for name, model in models.items():
            if VOICES[name].needs:  # renders through the CPU path only
                continue
            for batch in (8, 64, 256):
                r = generation_rtf(model, batch, args.seconds, "cuda")
                print(f"{name} on CUDA, batch {batch}: RTF per channel {r:.4f}, "
                      f"{model.cfg.sample_rate / r:.0f} samples/s per channel, {batch * model.cfg.sample_rate / r:.0f} "
                      "in all")


if __name__ == "__main__":
    main()
