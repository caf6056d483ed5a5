"""Conversions between voice-activity segments and 10 ms frame tracks (design, timing definition 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

VA_RATE = 100  # frames per second of the VA tracks the timing definitions use (10 ms frames)
TOKEN_RATE = 50  # frames per second of the models' token tracks (20 ms frames)
VA_PER_TOKEN = VA_RATE // TOKEN_RATE  # VA frames in one token frame
MIN_SPEECH_FRAMES = 5  # speech runs shorter than 50 ms are dropped
MIN_PAUSE_FRAMES = 20  # silences shorter than 200 ms between two speech runs are filled
SPEAKERS = ("A", "B")


def n_frames(duration: float, rate: int = VA_RATE) -> int:
    """Number of whole frames in a dialogue of `duration` seconds."""
    return int(round(duration * rate))


def segments_to_frames(va: pd.DataFrame, speaker: str, total: int, rate: int = VA_RATE) -> np.ndarray:
    """Boolean frame track of one speaker: segment [s, e) covers frames round(rate·s) … round(rate·e) − 1."""
    track = np.zeros(total, dtype=bool)
    rows = va[va["speaker"] == speaker]
    starts = np.rint(rows["start"].to_numpy(float) * rate).astype(int)
    ends = np.rint(rows["end"].to_numpy(float) * rate).astype(int)
    for s, e in zip(np.clip(starts, 0, total), np.clip(ends, 0, total)):
        track[s:e] = True
    return track


def merge_segments(seg: pd.DataFrame) -> pd.DataFrame:
    """Union of possibly overlapping or touching segments."""
    out: list[list[float]] = []
    for s, e in sorted(zip(seg["start"], seg["end"])):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return pd.DataFrame(out, columns=["start", "end"])


def runs(track: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) frame indices of the maximal True runs of a boolean track."""
    padded = np.concatenate([[False], np.asarray(track, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges[0::2], edges[1::2]


def frames_to_segments(tracks: dict[str, np.ndarray], rate: int = VA_RATE) -> pd.DataFrame:
    """Segments table (speaker, start, end) from boolean frame tracks keyed by speaker."""
    rows = []
    for spk, track in tracks.items():
        for s, e in zip(*runs(track)):
            rows.append((spk, s / rate, e / rate))
    va = pd.DataFrame(rows, columns=["speaker", "start", "end"])
    return va.sort_values(["start", "speaker"], kind="stable").reset_index(drop=True)


def ipu_track(track: np.ndarray) -> np.ndarray:
    """Drop speech runs < 50 ms, then fill silences < 200 ms lying between two speech runs (timing definition 2)."""
    out = np.asarray(track, dtype=bool).copy()
    for s, e in zip(*runs(out)):
        if e - s < MIN_SPEECH_FRAMES:
            out[s:e] = False
    return bridge_pauses(out)


def bridge_pauses(track: np.ndarray) -> np.ndarray:
    """Fill the silences < 200 ms lying between two speech runs."""
    out = np.asarray(track, dtype=bool).copy()
    starts, ends = runs(out)
    for e, s_next in zip(ends[:-1], starts[1:]):
        if s_next - e < MIN_PAUSE_FRAMES:
            out[e:s_next] = True
    return out
