"""Turn-taking events and statistics from two speakers' voice activity (design: Timing definitions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babbler.util.fileio import atomic_path
from babbler.va import (
    SPEAKERS,
    VA_PER_TOKEN,
    VA_RATE,
    frames_to_segments,
    ipu_track,
    n_frames,
    runs,
    segments_to_frames,
)

BC_MAX = 1.0  # s, longest backchannel
BC_PRE_SILENT = 1.0  # s the backchanneller is silent before
BC_POST_SILENT = 2.0  # s the backchanneller is silent after
BC_PARTNER_WINDOW = 1.0  # s around the backchannel in which the partner must speak
# A two-party conversation far outside these is more likely an extraction failure than real timing (issue 14). In
# the 128 Map Task dialogues' word timings the channels speak 6 % to 71 % of the time, at most 38 % of one speaker's
# speech overlaps the other's (15 % in the demo), and at most 48 % of speaker changes are in overlap (median 18 %;
# docs/extraction.md).
MIN_SPEECH_SHARE = 0.02  # of a channel's frames in IPUs (a digitally silent channel is flagged at the corpus stage)
MAX_SPEECH_SHARE = 0.75
MAX_OVERLAP_SHARE = 0.75  # of speaker changes in overlap
MAX_VA_MIRROR = 0.5  # max(|A ∩ B| / |A|, |A ∩ B| / |B|): above it, one channel marks its partner's speech as its own
EVENT_TYPES = ["ipu", "pause", "gap", "overlap_within", "overlap_between", "backchannel"]
EVENT_COLUMNS = ["type", "speaker", "start", "end", "duration"]


def _classify_joint(a: np.ndarray, b: np.ndarray) -> list[tuple[str, str, int, int]]:
    """Pauses, gaps and overlaps as (type, speaker, start_frame, end_frame) from two IPU tracks."""
    n = len(a)
    state = a.astype(np.int8) + 2 * b.astype(np.int8)  # 0 none, 1 A, 2 B, 3 both
    events = []
    for kind, mask in (("silence", state == 0), ("overlap", state == 3)):
        for s, e in zip(*runs(mask)):
            if s == 0 or e == n:
                continue  # runs at the very start or end of the dialogue are not counted
            before, after = state[s - 1], state[e]
            if before not in (1, 2) or after not in (1, 2):
                continue  # both stop or both start on the same frame: ambiguous
            spk_after = SPEAKERS[after - 1]
            if kind == "silence":
                events.append(("pause" if before == after else "gap", spk_after, s, e))
            else:
                events.append(("overlap_within" if before == after else "overlap_between", spk_after, s, e))
    return events


def _backchannels(tracks: dict[str, np.ndarray]) -> list[tuple[str, str, int, int]]:
    """IPUs that satisfy the backchannel conditions of timing definition 4."""
    out = []
    n = len(tracks["A"])
    pre, post, win = (int(round(x * VA_RATE)) for x in (BC_PRE_SILENT, BC_POST_SILENT, BC_PARTNER_WINDOW))
    for spk, partner in (("A", "B"), ("B", "A")):
        own, other = tracks[spk], tracks[partner]
        for s, e in zip(*runs(own)):
            if e - s > BC_MAX * VA_RATE or s - pre < 0 or e + post > n:
                continue
            if own[s - pre : s].any() or own[e : e + post].any():
                continue
            if other[s - win : s].any() and other[s : e + win].any():
                out.append(("backchannel", spk, s, e))
    return out


def extract_events(va: pd.DataFrame, duration: float) -> pd.DataFrame:
    """All events of one dialogue (columns type, speaker, start, end, duration; seconds), sorted by start."""
    total = n_frames(duration)
    tracks = {spk: ipu_track(segments_to_frames(va, spk, total)) for spk in SPEAKERS}
    rows = [("ipu", spk, s, e) for spk in SPEAKERS for s, e in zip(*runs(tracks[spk]))]
    rows += _classify_joint(tracks["A"], tracks["B"])
    rows += _backchannels(tracks)
    events = pd.DataFrame(rows, columns=["type", "speaker", "start", "end"])
    events["start"] = events["start"].astype(float) / VA_RATE
    events["end"] = events["end"].astype(float) / VA_RATE
    events["duration"] = (events["end"] - events["start"]).round(6)
    order = {t: i for i, t in enumerate(EVENT_TYPES)}
    events["_o"] = events["type"].map(order)
    events = events.sort_values(["start", "_o", "speaker"], kind="stable").drop(columns="_o")
    return events.reset_index(drop=True)[EVENT_COLUMNS]


def fto_values(events: pd.DataFrame) -> np.ndarray:
    """Floor-transfer offsets: gap durations and negated overlap_between durations (s)."""
    gaps = events.loc[events["type"] == "gap", "duration"].to_numpy(float)
    obs = events.loc[events["type"] == "overlap_between", "duration"].to_numpy(float)
    return np.concatenate([gaps, -obs])


def dialogue_stats(events: pd.DataFrame, duration: float) -> dict[str, float]:
    """One stats.csv row: per-minute rates, seconds per minute and mean durations of each type; FTO summary."""
    minutes = duration / 60.0
    row: dict[str, float] = {"minutes": minutes}
    for t in EVENT_TYPES:
        d = events.loc[events["type"] == t, "duration"].to_numpy(float)
        row[f"{t}_per_min"] = len(d) / minutes if minutes > 0 else 0.0
        row[f"{t}_sec_per_min"] = float(d.sum()) / minutes if minutes > 0 else 0.0
        row[f"{t}_mean"] = float(d.mean()) if len(d) else float("nan")
    fto = fto_values(events)
    n_gap = int((events["type"] == "gap").sum())
    n_ob = int((events["type"] == "overlap_between").sum())
    row["fto_median"] = float(np.median(fto)) if len(fto) else float("nan")
    row["overlap_share"] = n_ob / (n_gap + n_ob) if (n_gap + n_ob) else float("nan")
    total = n_frames(duration)
    ipus = events[events["type"] == "ipu"]
    speech = {s: segments_to_frames(ipus, s, total) for s in SPEAKERS}
    for s in SPEAKERS:
        row[f"speech_share_{s}"] = float(speech[s].mean()) if total else float("nan")
    both = (speech["A"] & speech["B"]).sum()
    row["va_mirror"] = float(max(both / max(speech[s].sum(), 1) for s in SPEAKERS))
    row["implausible"] = int(bool(implausible_reasons(row)))
    return row


def implausible_reasons(row: dict) -> list[str]:
    """Why a dialogue's extracted timing lies far outside two-party conversation (empty when it does not)."""
    out = [f"channel {s} speaks {100 * row[f'speech_share_{s}']:.0f} % of the time (over {100 * MAX_SPEECH_SHARE:.0f} %)"
           for s in SPEAKERS if row.get(f"speech_share_{s}", 0) > MAX_SPEECH_SHARE]
    out += [f"channel {s} speaks {100 * row[f'speech_share_{s}']:.1f} % of the time (under {100 * MIN_SPEECH_SHARE:.0f} %)"
            for s in SPEAKERS if row.get(f"speech_share_{s}", 1) < MIN_SPEECH_SHARE]
    if row.get("overlap_share", 0) > MAX_OVERLAP_SHARE:
        out.append(f"{100 * row['overlap_share']:.0f} % of speaker changes are in overlap "
                   f"(over {100 * MAX_OVERLAP_SHARE:.0f} %)")
    if row.get("va_mirror", 0) > MAX_VA_MIRROR:
        out.append(f"{100 * row['va_mirror']:.0f} % of one speaker's speech is also marked as the other's: one channel "
                   "mirrors its partner (cross-talk taken for speech?)")
    return out


def events_from_tracks(tracks: dict[str, np.ndarray]) -> pd.DataFrame:
    """Events of a dialogue given as 10 ms VA tracks of A and B."""
    n = len(tracks["A"])
    return extract_events(frames_to_segments(tracks), n / VA_RATE)


def events_from_tokens(tokens: np.ndarray) -> pd.DataFrame:
    """Events of a dialogue given as (T, 2) 50 Hz tokens of A and B (0 = silent)."""
    return events_from_tracks({s: np.repeat(tokens[:, i] > 0, VA_PER_TOKEN) for i, s in enumerate("AB")})


def source_stats(per_dialogue: dict[str, tuple[pd.DataFrame, float]]) -> pd.DataFrame:
    """stats.csv of a source: one row per dialogue (events table, duration in s)."""
    rows = [{"dialogue": d, **dialogue_stats(ev, dur)} for d, (ev, dur) in sorted(per_dialogue.items())]
    return pd.DataFrame(rows)


def write_events(dest, events: pd.DataFrame) -> None:
    """Write an events table atomically."""
    with atomic_path(dest) as tmp:
        events.to_csv(tmp, index=False, float_format="%.3f")


def read_events(path) -> pd.DataFrame:
    """Read an events table written by write_events."""
    return pd.read_csv(path, dtype={"type": str, "speaker": str})


def durations(events: pd.DataFrame, kind: str) -> np.ndarray:
    """Durations (s) of one event type, or the FTO values for 'fto'."""
    if kind == "fto":
        return fto_values(events)
    return events.loc[events["type"] == kind, "duration"].to_numpy(float)
