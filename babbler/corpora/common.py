"""What every corpus declares (`Corpus`) and writes per dialogue: the stereo WAV, its VA table and an info record."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from babbler.fileio import silent_channels, write_json, write_va, write_wav

log = logging.getLogger(__name__)


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
    """Write one dialogue's stereo WAV, VA CSV (if any) and info JSON; warn about silent channels."""
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
