"""Latency of the live agent (issue 16, item 5): per-hop processing time and algorithmic latency, one CPU thread.

Usage:  python bench/bench_live.py --model results/models/demo/transformer.pt [--dialogues 4] [--seconds 60]
                                    [--no-bleed]
        python bench/bench_live.py --model M --workflow-test results [--corpus demo]
Synthesizes demo dialogues (seed 1), then for channel B of each:
  * processing time per 20 ms hop, median and p99 over all hops, of the front end (level, floor, Praat pitch on the
    trailing 80 ms), the agent's step (one transformer step with its KV cache) and the streaming voice, and of the
    whole hop; target p99 ≤ 5 ms on one thread;
  * front-end agreement with the batch extraction (which sees both channels): frame VA precision/recall/F1 (also
    after the first 10 s, when the front end knows the talker's loud level and keeps the other's bleed out), the
    median delay of the stream's speech onsets and offsets after the batch's (10 ms frames), and the share of frames
    both call voiced speech whose F0 bins agree within one bin;
  * the algorithmic latency from a partner's frame to the agent's reaction: the stream decides a hop's VA when the
    hop ends (no look-ahead) plus its onset delay; the agent's decision after hop t is its frame t + 1, played from
    the end of hop t (so 0 ms of buffering beyond the hop itself); F0 lags by 25 ms (the newest Praat frame's centre).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

import torch

from babbler.corpora import demo
from babbler.live.frontend import HOP, STREAM_RATE, StreamingFrontEnd
from babbler.live.respond import LiveSession
from babbler.models.dataset import f0_bin
from babbler.models.registry import load_model
from babbler.signal.extract import dialogue_va
from babbler.signal.prosody import first_pass
from babbler.timing.vad_accuracy import frame_scores
from babbler.va import SPEAKERS, VA_PER_TOKEN, runs


def edge_delays(batch: np.ndarray, stream: np.ndarray, which: int) -> list[int]:
    """Frames from each batch run edge (0 onsets, 1 offsets) to the nearest later-or-equal stream edge (±5 tolerance)."""
    b, s = runs(batch)[which], runs(stream)[which]
    return [int(s[s >= e - 5][0] - e) for e in b if (s >= e - 5).any() and s[s >= e - 5][0] - e < 50]


def workflow_agreement(results: Path, corpus: str) -> None:
    """Front-end VA agreement on the workflow's own test dialogues: every channel against the prosody stage's VA."""
    import soundfile as sf

    splits = pd.read_csv(results / "dataset" / corpus / "splits.csv")
    rows, pred, ref = [], [], []
    for dlg in splits.loc[splits["split"] == "test"].iloc[:, 0]:
        for spk in SPEAKERS:
            y, sr = sf.read(results / "audio" / corpus / f"{dlg}.{spk}.wav")
            if sr != STREAM_RATE:
                raise SystemExit(f"audio.sample_rate is {sr}; the front end takes {STREAM_RATE} Hz")
            fe = StreamingFrontEnd()
            stream = np.repeat([fe.push(y[h * HOP : (h + 1) * HOP]).va for h in range(len(y) // HOP)], VA_PER_TOKEN)
            batch = pd.read_parquet(results / "prosody" / corpus / f"{dlg}.{spk}.parquet")["va"].to_numpy(bool)
            n = min(len(stream), len(batch))
            pred.append(stream[:n])
            ref.append(batch[:n])
            rows.append({"dialogue": dlg, "channel": spk,
                         **{k: round(v, 3) for k, v in frame_scores(stream[:n], batch[:n]).items()}})
    rows.append({"dialogue": "pooled", "channel": "",
                 **{k: round(v, 3) for k, v in frame_scores(np.concatenate(pred), np.concatenate(ref)).items()}})
    print(pd.DataFrame(rows).to_markdown(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--dialogues", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-bleed", action="store_true", help="channel B without A's bleed: a one-speaker recording")
    ap.add_argument("--workflow-test", metavar="RESULTS", default="",
                    help="instead: front-end agreement on every channel of the workflow's test dialogues under RESULTS")
    ap.add_argument("--corpus", default="demo")
    args = ap.parse_args()
    if args.workflow_test:
        workflow_agreement(Path(args.workflow_test), args.corpus)
        return
    torch.set_num_threads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    model = load_model(args.model)
    times = {"front end": [], "agent step": [], "voice": [], "hop": []}
    rows = []
    for i in range(args.dialogues):
        extra = {"bleed_db": (-150.0, -150.0)} if args.no_bleed else {}
        d = demo.synthesize_dialogue(demo.DemoParams(duration=args.seconds, sample_rate=STREAM_RATE, **extra),
                                     demo.dialogue_seed(args.seed, f"d{i + 1:03d}"))
        samples = {s: d.audio[:, c].astype(np.float64) for c, s in enumerate(SPEAKERS)}
        prosody = {s: first_pass(samples[s], STREAM_RATE) for s in SPEAKERS}
        n = len(prosody["B"].vad_intensity)
        batch = dialogue_va("intensity", samples, STREAM_RATE, prosody, n)["B"]
        session = LiveSession.create(model, seed=i)
        heard = []
        for h in range(len(samples["B"]) // HOP):
            t0 = time.perf_counter()
            frame = session.frontend.push(samples["B"][h * HOP : (h + 1) * HOP])
            t1 = time.perf_counter()
            own = session.agent.step(frame.token)
            t2 = time.perf_counter()
            session.renderer.frame(own)
            t3 = time.perf_counter()
            heard.append(frame)
            for k, v in (("front end", t1 - t0), ("agent step", t2 - t1), ("voice", t3 - t2), ("hop", t3 - t0)):
                times[k].append(v * 1000)
        stream = np.repeat([f.va for f in heard], VA_PER_TOKEN)[:n]
        b = batch[: len(stream)]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # token frames with no voiced 10 ms frame: NaN
            f0_batch = np.nanmean(prosody["B"].f0[: 2 * len(heard)].reshape(-1, 2), axis=1)
        both = np.array([f.va and np.isfinite(f.f0) for f in heard]) & np.isfinite(f0_batch) & b[::2]
        med = heard[-1].scale.f0_median
        agree = np.abs(f0_bin(np.array([f.f0 for f in heard])[both], med) - f0_bin(f0_batch[both], med)) <= 1
        settled = slice(10 * 100, None)  # after the first 10 s: the loud level is known (see babbler/live/frontend.py)
        rows.append({"dialogue": i + 1, **{k: round(v, 3) for k, v in frame_scores(stream, b).items()},
                     "f1 after 10 s": round(frame_scores(stream[settled], b[settled])["f1"], 3),
                     "onset delay (frames)": float(np.median(edge_delays(b, stream, 0))),
                     "offset delay (frames)": float(np.median(edge_delays(b, stream, 1))),
                     "F0 bin within 1": round(float(agree.mean()), 3)})
        print(rows[-1], flush=True)
    print()
    print(pd.DataFrame(rows).to_markdown(index=False))
    print()
    table = pd.DataFrame([{"part": k, "median ms": round(float(np.median(v)), 3),
                           "p99 ms": round(float(np.percentile(v, 99)), 3), "hops": len(v)} for k, v in times.items()])
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
