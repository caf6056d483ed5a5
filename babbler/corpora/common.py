"""What every corpus declares (`Corpus`) and writes per dialogue: the stereo WAV, its VA table and an info record."""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from babbler.errors import InputError
from babbler.util.fileio import silent_channels, write_json, write_va, write_wav
from babbler.va import VA_RATE, segments_to_frames

log = logging.getLogger(__name__)

UNCLEAR = 0.1  # |channel_match| below this: a recording cannot tell which speaker is on which channel


def _nothing(*_args) -> dict:
    return {}


@dataclass(frozen=True)
class Download:
    """One file a corpus fetches: where from, and how to tell a complete, usable copy (raises if not)."""

    url: str
    verify: Callable[[Path], None]


@dataclass(frozen=True)
class Corpus:
    """Everything the workflow needs to know of a corpus; each corpus module defines one as `CORPUS`.

    Every callable but `settings` takes the `corpus` config section (the schema has filled it in), so a
    corpus may read its own sub-section and the shared keys (`seed`, `split`); `settings` takes the whole
    config (a timing-only corpus renders with the `voice` levels)."""

    name: str
    dialogue_ids: Callable[[dict], list[str]]  # known at parse time: the DAG is built from them
    # (settings, dialogue, inputs, wav_out, va_out or None, info_out) → the info record written
    prepare: Callable[..., dict]
    settings: Callable[[dict], dict] = _nothing  # config → what a dialogue's content depends on (rerun trigger)
    has_reference: Callable[[dict], bool] = lambda corpus_cfg: True  # dialogues come with reference VA
    check: Callable[[dict], None] = lambda corpus_cfg: None  # ConfigError for a schema-valid, unusable section
    inputs: Callable[[dict, str], dict[str, str]] = _nothing  # a dialogue's own files (the user's recordings)
    downloads: Callable[[dict, str], dict[str, str]] = _nothing  # input name → file fetched to download/
    download: Callable[[dict, str], Download] | None = field(default=None)  # a fetched file's URL and check
    schema: dict | None = None  # JSON schema of its section `corpus.{name}` where schemas/config.schema.yaml has none


def annotations_source(url: str) -> str | None:
    """The local file or folder behind a corpus's `annotations_url` (a path or file:// URL), or None for a URL
    to download."""
    if url.startswith(("http://", "https://")):
        return None
    return url.removeprefix("file://")


def files_under(folder: str | Path, suffix: str) -> dict[str, str]:
    """File name → path of every file whose name ends in `suffix` anywhere under `folder` (an unpacked annotation
    release), walked once per state of the folder (`file_stamp`)."""
    return _files_under(str(folder), suffix, file_stamp(folder))


def file_stamp(path: str | Path) -> tuple[int, int]:
    """What a cached listing of a file or folder is keyed on: its size and modification time (a folder's changes
    when a name directly in it does)."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=8)
def _files_under(folder: str, suffix: str, stamp: tuple[int, int]) -> dict[str, str]:
    return {name: os.path.join(root, name) for root, _dirs, names in os.walk(folder) for name in names
            if name.endswith(suffix)}


LONGEST_MEDIAN = 50.0  # s: no speech's segments last this long at the median; times in ms make them 1000× longer


def check_seconds(va: pd.DataFrame, source) -> None:
    """Raise InputError naming `source` if the VA's times look like milliseconds: its median segment lasts
    LONGEST_MEDIAN seconds or more (speech segments last about a second)."""
    median = float((va["end"] - va["start"]).median()) if len(va) else 0.0
    if median >= LONGEST_MEDIAN:
        raise InputError(source, f"its median segment lasts {median:.0f} s, where speech segments last about a "
                                 f"second: are its times in milliseconds? VA times are seconds")


def clip_va(va: pd.DataFrame, duration: float, source: str) -> pd.DataFrame:
    """VA segments cut to the recording [0, duration), logging every segment that had to be cut or dropped."""
    for i, r in va.iterrows():
        if r["start"] < 0 or r["end"] > duration:
            where = f"line {i + 2}" if isinstance(i, (int, np.integer)) else f"row {i}"
            fate = "dropped" if r["start"] >= duration or r["end"] <= 0 else f"cut to the recording's {duration:.3f} s"
            log.warning("%s: VA %s (%s, %g–%g s) lies outside the recording; %s", source, where, r["speaker"],
                        r["start"], r["end"], fate)
    va = va.assign(start=va["start"].clip(0, duration), end=va["end"].clip(0, duration))
    return va[va["end"] > va["start"]]


def channel_log_energy(audio: np.ndarray, sample_rate: int, block: int = 6000) -> np.ndarray:
    """Per-channel log energy on 10 ms frames (frames × channels), `block` frames at a time so that an hour of
    audio needs no float64 copy of itself."""
    hop = sample_rate // VA_RATE
    n = audio.shape[0] // hop
    frames = audio[: n * hop].reshape(n, hop, audio.shape[1])
    power = np.concatenate([np.mean(frames[i : i + block].astype(np.float64) ** 2, axis=1)
                            for i in range(0, n, block)]) if n else np.zeros((0, audio.shape[1]))
    return 10 * np.log10(power + 1e-10)


def speech_after_va(energy: np.ndarray, va: pd.DataFrame, min_tail: float = 5.0) -> float:
    """The share of a recording (its `channel_log_energy`) after the VA's last segment, if that tail lasts `min_tail`
    s or more, where some channel is as loud as its speaker's speech (nearer the VA's speech level than its silence
    level); 0 when the tail is short, silent, or the levels cannot tell speech from silence. A VA file cut short
    leaves a loud tail."""
    end = float(va["end"].max()) if len(va) else 0.0
    if energy.shape[0] / VA_RATE - end < min_tail:
        return 0.0
    cut = min(int(end * VA_RATE), energy.shape[0])
    share = 0.0
    for c, speaker in enumerate("AB"):
        talk = segments_to_frames(va, speaker, cut)
        if talk.sum() < VA_RATE or (~talk).sum() < VA_RATE:
            continue
        loud, quiet = np.median(energy[:cut, c][talk]), np.median(energy[:cut, c][~talk])
        if loud - quiet < 6.0:  # dB: this channel does not tell its speaker's speech from silence
            continue
        share = max(share, float(np.mean(energy[cut:, c] > (loud + quiet) / 2)))
    return share


def channel_match(audio: np.ndarray, sample_rate: int, va: pd.DataFrame) -> float:
    """How much better A on channel 0 and B on channel 1 explain a stereo recording than the swap (< 0: swapped).
    Close-talk recordings score about +2, and still about +1 with the other speaker leaking in at −10 dB."""
    return energy_match(channel_log_energy(audio, sample_rate), va)


def energy_match(energy: np.ndarray, va: pd.DataFrame) -> float:
    """`channel_match` of a recording's `channel_log_energy`: r(s, c) is the Pearson correlation of speaker s's 10 ms
    VA frames with channel c's log energy (0 where either is constant: a speaker without speech, a silent channel);
    the match is r(A, 0) + r(B, 1) − r(A, 1) − r(B, 0)."""
    corr = np.zeros((2, 2))
    for s, speaker in enumerate("AB"):
        act = segments_to_frames(va, speaker, energy.shape[0]).astype(float)
        for c in range(2):
            if act.std() > 0 and energy[:, c].std() > 0:
                corr[s, c] = np.corrcoef(act, energy[:, c])[0, 1]
    return float((corr[0, 0] + corr[1, 1]) - (corr[0, 1] + corr[1, 0]))


MIN_SECONDS = 1.0  # a recording shorter than this holds no turn-taking (and is too short for pitch analysis)


def checked_audio(audio: np.ndarray, sample_rate: int, source: str) -> np.ndarray:
    """A dialogue's samples ready for the corpus layout: InputError naming `source` if they hold NaN or infinite
    values or last under MIN_SECONDS; float samples beyond full scale scaled back under it, both channels alike
    (their levels against each other kept), with a warning."""
    duration = audio.shape[0] / sample_rate
    if duration < MIN_SECONDS:
        raise InputError(source, f"lasts {duration:.4f} s ({audio.shape[0]} samples); a dialogue must last at least "
                                 f"{MIN_SECONDS:g} s")
    bad = ~np.isfinite(audio)
    if bad.any():
        first = int(np.flatnonzero(bad.any(axis=1))[0]) if audio.ndim == 2 else int(np.flatnonzero(bad)[0])
        raise InputError(source, f"holds {int(bad.sum())} NaN or infinite samples (the first at "
                                 f"{first / sample_rate:.3f} s): what was recorded there is unknown; repair or "
                                 f"re-export the file")
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 1.0:
        log.warning("%s: its float samples peak at %.3f, above full scale; both channels scaled by %.4f (their "
                    "levels against each other kept)", source, peak, 1.0 / peak)
        audio = np.clip(audio * (1.0 / peak), -1.0, 1.0).astype(audio.dtype, copy=False)
    return audio


def write_dialogue(
    dialogue: str,
    audio: np.ndarray,
    sample_rate: int,
    va: pd.DataFrame | None,
    wav_out: str | Path,
    va_out: str | Path | None,
    info_out: str | Path,
    extra: dict | None = None,
    subtype: str = "PCM_16",
    source: str | None = None,
) -> dict:
    """Write one dialogue's stereo WAV, VA CSV (if any) and info JSON; warn about silent channels. Unusable samples
    are refused and samples beyond full scale scaled back (checked_audio), naming `source`."""
    audio = checked_audio(audio, sample_rate, source or dialogue)
    silent = silent_channels(audio)
    for c in silent:
        log.warning("%s: channel %d (speaker %s) is digital silence; flagged in the manifest",
                    source or dialogue, c, "AB"[c])
    duration = audio.shape[0] / sample_rate
    if va is not None:
        va = clip_va(va, duration, source or dialogue)
    info = {
        "dialogue": dialogue,
        "duration": round(duration, 6),
        "sample_rate": int(sample_rate),
        "silent_A": 0 in silent,
        "silent_B": 1 in silent,
        "has_va": va is not None,
        **(extra or {}),
    }
    write_wav(wav_out, audio, sample_rate, subtype=subtype)
    if va_out is not None:
        write_va(va_out, va if va is not None else pd.DataFrame(columns=["speaker", "start", "end"]))
    write_json(info_out, info)
    return info
