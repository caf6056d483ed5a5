"""The HCRC Map Task corpus: dialogue ids, word-timed voice activity, and the giver-channel check."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from babbler.corpora.common import (
    Corpus,
    Download,
    annotations_source,
    channel_match,
    files_under,
    write_dialogue,
)
from babbler.corpora.timing_only import render_levels, write_rendered
from babbler.errors import ConfigError, InputError
from babbler.util.fileio import audio_info, read_stereo
from babbler.va import merge_segments

log = logging.getLogger(__name__)

# 8 quads × {eye contact, no eye contact} × 8 conversations (Anderson et al. 1991): 128 dialogues.
DIALOGUE_IDS: tuple[str, ...] = tuple(f"q{q}{e}c{c}" for q in range(1, 9) for e in "en" for c in range(1, 9))
ROLES = {"g": "giver", "f": "follower"}
ANNOTATIONS_FILE = "hcrcmaptask.nxtformatv2-1.zip"  # the NXT release, fetched once for all dialogues


def audio_url(base: str, dialogue: str) -> str:
    """URL of a dialogue's stereo `{id}.mix.wav` under the configured base URL."""
    return base.rstrip("/") + f"/{dialogue}.mix.wav"


def _local(tag: str) -> str:
    """XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def parse_timed_units(xml_bytes: bytes, source: str) -> pd.DataFrame:
    """Word segments (start, end in s) of one speaker from an NXT `timed-units.xml` document."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as exc:
        raise InputError(source, f"not well-formed XML ({exc})") from exc
    rows = []
    for el in root.iter():
        if _local(el.tag) != "tu":
            continue
        try:
            start, end = float(el.attrib["start"]), float(el.attrib["end"])
        except (KeyError, ValueError) as exc:
            raise InputError(source, f"a <tu> element lacks a numeric start/end ({exc})") from exc
        if not (np.isfinite(start) and np.isfinite(end)) or start < 0 or end < start:
            name = el.attrib.get("{http://nite.sourceforge.net/}id", el.attrib.get("id", "?"))
            raise InputError(source, f"<tu> {name} has a negative, reversed or infinite time "
                                     f"(start {start}, end {end})")
        if end > start:
            rows.append((start, end))
    return pd.DataFrame(rows, columns=["start", "end"])


def timed_units_from_zip(zip_path: str | Path, dialogue: str) -> dict[str, pd.DataFrame]:
    """Word segments of the giver ('g') and follower ('f') of one dialogue, read from the NXT zip or the folder it
    unpacks to."""
    files = _timed_units_files(zip_path, [f"{dialogue}.{role}.timed-units.xml" for role in ROLES])
    out = {}
    for role, (data, where) in zip(ROLES, files):
        out[role] = merge_segments(parse_timed_units(data, where))
        if out[role].empty:
            raise InputError(where, f"holds no timed words of the {ROLES[role]}")
    return out


def _timed_units_files(source: str | Path, fnames: list[str]) -> list[tuple[bytes, str]]:
    """The bytes of these `timed-units.xml` files, and where each was read, from the NXT zip (opened once) or its
    unpacked folder."""
    if Path(source).is_dir():
        index = files_under(source, ".timed-units.xml")
        missing = [f for f in fnames if f not in index]
        if missing:
            raise InputError(source, f"has no {missing[0]} (expected under Data/timed-units/)")
        return [(Path(index[f]).read_bytes(), index[f]) for f in fnames]
    try:
        with zipfile.ZipFile(source) as zf:
            names = {Path(n).name: n for n in zf.namelist() if "timed-units" in n}
            missing = [f for f in fnames if f not in names]
            if missing:
                raise InputError(source, f"has no {missing[0]} (expected under Data/timed-units/)")
            return [(zf.read(names[f]), f"{source}:{names[f]}") for f in fnames]
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputError(source, f"not a readable zip file ({exc})") from exc


def verify_annotations_zip(path: Path) -> None:
    """Raise if a downloaded NXT zip is corrupt or holds no timed-units files."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad:
                raise InputError(path, f"zip member {bad} is corrupt")
            if not any(n.endswith(".timed-units.xml") for n in zf.namelist()):
                raise InputError(path, "zip holds no *.timed-units.xml files")
    except zipfile.BadZipFile as exc:
        raise InputError(path, f"not a zip file ({exc})") from exc


@dataclass(frozen=True)
class ChannelCheck:
    """Which input channel carries the giver, and how clearly the audio says so."""

    giver_channel: int
    margin: float  # correlation advantage of the chosen mapping over the swapped one


def giver_channel(audio: np.ndarray, sample_rate: int, words: dict[str, pd.DataFrame]) -> ChannelCheck:
    """Correlate each channel's energy with each role's word activity and pick the better assignment."""
    match = channel_match(audio, sample_rate, va_from_words(words))
    return ChannelCheck(0 if match >= 0 else 1, abs(match))


def va_from_words(words: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Design VA table: giver as speaker A, follower as speaker B."""
    parts = [words["g"].assign(speaker="A"), words["f"].assign(speaker="B")]
    return pd.concat(parts, ignore_index=True)[["speaker", "start", "end"]]


def verify_mix_wav(path: Path) -> None:
    """Raise if a downloaded `mix.wav` does not open as complete two-channel audio."""
    read_stereo(path)


def prepare_dialogue(raw_wav, annotations_zip, dialogue: str, wav_out, va_out, info_out, min_margin: float = 0.05) -> dict:
    """Check which channel holds the giver, swap so that A = giver, and write WAV, word-timed VA and info."""
    audio, sr = read_stereo(raw_wav)
    words = timed_units_from_zip(annotations_zip, dialogue)
    check = giver_channel(audio, sr, words)
    if check.margin < min_margin:
        log.warning("%s: giver channel is unclear (correlation margin %.3f); kept channel %d as the giver",
                    raw_wav, check.margin, check.giver_channel)
    if check.giver_channel == 1:
        log.info("%s: giver is on channel 1; swapping so that speaker A is the giver", raw_wav)
        audio = audio[:, ::-1]
    subtype = audio_info(raw_wav).subtype
    extra = {"giver_channel": check.giver_channel, "channel_margin": round(check.margin, 4),
             "n_words_giver": len(words["g"]), "n_words_follower": len(words["f"])}
    return write_dialogue(dialogue, audio, sr, va_from_words(words), wav_out, va_out, info_out, extra=extra,
                          subtype=subtype if subtype.startswith("PCM") else "PCM_16", source=str(raw_wav))


def _dialogue_ids(corpus_cfg: dict) -> list[str]:
    """The configured subset of the 128 dialogues (all when empty)."""
    wanted = corpus_cfg["maptask"]["dialogues"]
    unknown = sorted(set(wanted) - set(DIALOGUE_IDS))
    if unknown:
        raise ConfigError("corpus.maptask.dialogues", f"unknown Map Task ids {unknown}")
    return list(wanted) or list(DIALOGUE_IDS)


def _check(corpus_cfg: dict) -> None:
    local = annotations_source(corpus_cfg["maptask"]["annotations_url"])
    if local is not None and not Path(local).exists():
        raise ConfigError("corpus.maptask.annotations_url", f"{local} does not exist (give the NXT annotations zip, "
                          "e.g. hcrcmaptask.nxtformatv2-1.zip, the folder it unpacks to, or an http(s) URL)")


def _inputs(corpus_cfg: dict, dialogue: str) -> dict[str, str]:
    local = annotations_source(corpus_cfg["maptask"]["annotations_url"])
    return {"annotations": local} if local is not None else {}


def _downloads(corpus_cfg: dict, dialogue: str) -> dict[str, str]:
    files = {"wav": f"{dialogue}.mix.wav"} if corpus_cfg["maptask"]["audio"] else {}
    if annotations_source(corpus_cfg["maptask"]["annotations_url"]) is None:
        files["annotations"] = ANNOTATIONS_FILE
    return files


def _download(corpus_cfg: dict, file: str) -> Download:
    section = corpus_cfg["maptask"]
    if file == ANNOTATIONS_FILE:
        return Download(section["annotations_url"], verify_annotations_zip)
    return Download(audio_url(section["audio_url"], file.removesuffix(".mix.wav")), verify_mix_wav)


def _settings(config: dict) -> dict:
    """A recorded dialogue depends on its files alone; a rendered one on the seed and the rendering's levels."""
    if config["corpus"]["maptask"]["audio"]:
        return {}
    return {"seed": config["corpus"]["seed"], "render": render_levels(config)}


def prepare_timing_only(annotations_zip, dialogue: str, seed: int, render: dict, wav_out, va_out, info_out) -> dict:
    """Word-timed VA of one dialogue (giver = A) and babble rendered from it: Map Task without its audio."""
    va = va_from_words(timed_units_from_zip(annotations_zip, dialogue))
    return write_rendered(va, dialogue, seed, render, wav_out, va_out, info_out, f"{annotations_zip}:{dialogue}")


def _prepare(settings: dict, dialogue: str, inputs: dict, wav_out, va_out, info_out) -> dict:
    if "wav" not in inputs:
        return prepare_timing_only(inputs["annotations"], dialogue, settings["seed"], settings["render"], wav_out,
                                   va_out, info_out)
    return prepare_dialogue(inputs["wav"], inputs["annotations"], dialogue, wav_out, va_out, info_out)


CORPUS = Corpus("maptask", dialogue_ids=_dialogue_ids, prepare=_prepare, settings=_settings, check=_check,
                inputs=_inputs, downloads=_downloads, download=_download)
