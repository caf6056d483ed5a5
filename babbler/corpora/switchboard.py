"""Switchboard-1 by its public word alignments (the Mississippi State "ms98" release): timing-only conversations, or
the user's licensed LDC recordings with the alignments' voice activity.

The alignments come as `switchboard_word_alignments.tar.gz`, laid out `swb_ms98_transcriptions/{NN}/{NNNN}/
sw{NNNN}{A,B}-ms98-a-word.text`, one line per token: `utterance-id start end word`. The workflow reads the archive in
place (or the folder it unpacks to). Side A is speaker A. Every token but `[silence]`, `[noise]` and the aside
markers `<b_aside>`/`<e_aside>` is the speaker's audible voice: words, partial words, `[laughter]`,
`[vocalized-noise]`; speech said aside to someone in the room counts, since the partner hears it.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import tarfile
import zlib
from pathlib import Path

import pandas as pd

from babbler.corpora.common import (
    UNCLEAR,
    Corpus,
    Download,
    annotations_source,
    channel_match,
    file_stamp,
    files_under,
    write_dialogue,
)
from babbler.corpora.timing_only import render_levels, write_rendered
from babbler.errors import ConfigError, InputError
from babbler.util.fileio import audio_info, read_stereo
from babbler.va import merge_segments

log = logging.getLogger(__name__)

ARCHIVE_FILE = "switchboard_word_alignments.tar.gz"  # fetched once for all conversations
NOT_SPEECH = frozenset({"[silence]", "[noise]", "<b_aside>", "<e_aside>"})
WORD_SUFFIX = "-ms98-a-word.text"
WORD_FILE = re.compile(r"^(?P<dialogue>sw\d{4})(?P<side>[AB])-ms98-a-word\.text$")
RECORDING = re.compile(r"^sw0?(?P<number>\d{4})\.(?P<ext>sph|wav|flac)$", re.IGNORECASE)


def parse_word_file(text: str, source: str, dialogue: str, side: str) -> pd.DataFrame:
    """Speech segments (start, end in s; touching tokens merged) of one side from an ms98 `-word.text` file."""
    prefix = f"{dialogue}{side}-"
    rows, strays, lines = [], [], 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        lines += 1
        fields = line.split(None, 3)
        if len(fields) < 4:
            raise InputError(source, f"line {n}: expected 'utterance-id start end word', got {line.strip()!r}")
        utterance, start, end, token = fields
        if not utterance.startswith(prefix):
            strays.append((n, utterance))
        try:
            t0, t1 = float(start), float(end)
        except ValueError as exc:
            raise InputError(source, f"line {n}: start and end must be seconds, got {start!r} {end!r}") from exc
        if not (math.isfinite(t0) and math.isfinite(t1)) or t0 < 0 or t1 < t0:
            raise InputError(source, f"line {n}: negative, reversed or infinite time (start {t0}, end {t1}) of "
                                     f"{token.strip()!r}")
        if t1 > t0 and token.strip().lower() not in NOT_SPEECH:
            rows.append((t0, t1))
    if strays and len(strays) == lines:
        raise InputError(source, f"line {strays[0][0]}: utterance {strays[0][1]} is not {dialogue} side {side}'s "
                                 f"(ids start {prefix}…), nor is any other line's: a misnamed or mixed-up file")
    if strays:
        log.warning("%s: %d of %d lines (first: line %d, %s) carry another side's or conversation's utterance id; "
                    "read as %s side %s", source, len(strays), lines, *strays[0], dialogue, side)
    return merge_segments(pd.DataFrame(rows, columns=["start", "end"]))


def word_file_name(dialogue: str, side: str) -> str:
    """The ms98 word file of one side of a conversation, e.g. `sw2001A-ms98-a-word.text`."""
    return f"{dialogue}{side}-ms98-a-word.text"


def _archive_error(path, exc: Exception) -> InputError:
    """The error for a damaged archive: the workflow's own download may be deleted and fetched again; a user's own
    copy is theirs, so babbler says only that it is damaged."""
    if Path(path).parent.name == "download":  # results/corpus/switchboard/download/: the workflow fetched it
        advice = "delete it and run again to download it afresh"
    else:
        advice = "babbler leaves your file as it is: replace it with a complete copy of the release"
    return InputError(path, f"the alignments archive is damaged: truncated or corrupt ({type(exc).__name__}: "
                            f"{exc}); {advice}")


def read_word_files(source: str | Path, dialogue: str) -> dict[str, tuple[str, str]]:
    """Side → (text, where it was read) of one conversation's two word files, from the archive or its folder."""
    wanted = {word_file_name(dialogue, side): side for side in "AB"}
    found: dict[str, tuple[str, str]] = {}
    if Path(source).is_dir():
        index = files_under(source, WORD_SUFFIX)
        for name, side in wanted.items():
            if name in index:
                found[side] = (Path(index[name]).read_text(encoding="utf-8", errors="replace"), index[name])
    else:
        try:
            with tarfile.open(source, "r:*") as tar:
                for member in tar:  # members in the release's order: stop once both sides are read
                    side = wanted.get(Path(member.name).name)
                    if side and member.isfile():
                        data = tar.extractfile(member).read().decode("utf-8", errors="replace")
                        found[side] = (data, f"{source}:{member.name}")
                        if len(found) == len(wanted):
                            break
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise _archive_error(source, exc) from exc
    for name, side in wanted.items():
        if side not in found:
            raise InputError(source, f"has no {name} (conversation {dialogue}, side {side})")
    return found


def words_of(source: str | Path, dialogue: str) -> dict[str, pd.DataFrame]:
    """Speech segments of sides A and B of one conversation; raises InputError if a side has no speech."""
    out = {}
    for side, (text, where) in read_word_files(source, dialogue).items():
        out[side] = parse_word_file(text, where, dialogue, side)
        if out[side].empty:
            raise InputError(where, f"holds no speech of side {side}: nothing but silence and noise tokens")
    return out


def va_from_sides(words: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Design VA table: side A as speaker A, side B as speaker B."""
    parts = [words[side].assign(speaker=side) for side in "AB"]
    return pd.concat(parts, ignore_index=True)[["speaker", "start", "end"]]


@functools.lru_cache(maxsize=8)
def _archive_names(path: str, stamp: tuple[int, int]) -> tuple[str, ...]:
    """The word files' names in an alignments archive (reading it through once)."""
    try:
        with tarfile.open(path, "r:*") as tar:
            return tuple(Path(m.name).name for m in tar if m.isfile() and WORD_FILE.match(Path(m.name).name))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _archive_error(path, exc) from exc


def conversations_in(source: str | Path) -> list[str]:
    """Sorted ids (`sw2001` …) of the conversations with a word file in an alignments archive or folder."""
    names = (files_under(source, WORD_SUFFIX) if Path(source).is_dir()
             else _archive_names(str(source), file_stamp(source)))
    return sorted({m["dialogue"] for m in map(WORD_FILE.match, names) if m})


def verify_archive(path: Path) -> None:
    """Raise if a downloaded alignments archive is truncated or holds no ms98 word files."""
    try:
        with tarfile.open(path, "r:*") as tar:
            words = 0
            for member in tar:
                if member.isfile():
                    tar.extractfile(member).read()  # decompress every byte: a cut download fails here
                    words += bool(WORD_FILE.match(Path(member.name).name))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _archive_error(path, exc) from exc
    if not words:
        raise InputError(path, "the archive holds no *-ms98-a-word.text files (is it the ms98 word alignments?)")


def recordings_in(folder: str | Path) -> dict[str, str]:
    """Conversation id → recording (`sw02001.sph`, or `.wav`/`.flac`, in any subfolder) of the user's LDC audio."""
    return dict(_recordings(str(folder), file_stamp(folder)))


@functools.lru_cache(maxsize=8)
def _recordings(folder: str, stamp: tuple[int, int]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            m = RECORDING.match(name)
            if not m:
                continue
            dialogue = f"sw{m['number']}"
            if dialogue in found:
                raise ConfigError("corpus.switchboard.audio", f"two recordings of conversation {dialogue}: "
                                  f"{found[dialogue]} and {os.path.join(root, name)}")
            found[dialogue] = os.path.join(root, name)
    return tuple(sorted(found.items()))


def read_recording(path: str | Path) -> tuple:
    """A conversation's two-channel recording; a SPHERE file libsndfile cannot decode gets the conversion hint."""
    try:
        return read_stereo(path)
    except InputError as exc:
        unreadable = exc.problem.startswith(("not a readable audio file", "audio data cannot be decoded"))
        if unreadable and str(path).lower().endswith(".sph"):
            raise InputError(path, f"{exc.problem}. LDC ships Switchboard as shorten-compressed SPHERE, which "
                                   f"libsndfile cannot decode: convert it with `sph2pipe -f wav`, "
                                   f"keeping the name (sw02001.wav)") from exc
        raise


def prepare_dialogue(recording, source, dialogue: str, wav_out, va_out, info_out) -> dict:
    """A recorded conversation with its aligned VA: side A's voice put on channel 0 (swapped if the audio says it is
    on channel 1), written in the corpus layout."""
    audio, sr = read_recording(recording)
    words = words_of(source, dialogue)
    va = va_from_sides(words)
    if va["end"].max() > audio.shape[0] / sr + 1.0:
        raise InputError(recording, f"lasts {audio.shape[0] / sr:.2f} s but {dialogue}'s alignments run to "
                                    f"{va['end'].max():.2f} s: not this conversation's recording?")
    match = channel_match(audio, sr, va)
    swapped = match <= -UNCLEAR
    if swapped:
        log.info("%s: side A's voice is on channel 1; swapping so that speaker A is channel 0", recording)
        audio, match = audio[:, ::-1], -match  # swapping the channels turns the match's sign, nothing else
    elif match < UNCLEAR:
        log.warning("%s: the recording barely tells which side is on which channel (channel match %+.2f; close-talk "
                    "recordings score about +2); kept channel 0 as side A", recording, match)
    subtype = audio_info(recording).subtype
    extra = {"channel_match": round(match, 4), "a_channel": int(swapped),
             "n_segments_A": len(words["A"]), "n_segments_B": len(words["B"])}
    return write_dialogue(dialogue, audio, sr, va, wav_out, va_out, info_out, extra=extra,
                          subtype=subtype if subtype.startswith("PCM") else "PCM_16", source=str(recording))


def prepare_timing_only(source, dialogue: str, seed: int, render: dict, wav_out, va_out, info_out) -> dict:
    """Aligned VA of one conversation and babble rendered from it: Switchboard without its licensed audio."""
    words = words_of(source, dialogue)
    return write_rendered(va_from_sides(words), dialogue, seed, render, wav_out, va_out, info_out,
                          f"{source}:{dialogue}",
                          extra={"n_segments_A": len(words["A"]), "n_segments_B": len(words["B"])})


def _check(corpus_cfg: dict) -> None:
    section = corpus_cfg["switchboard"]
    local = annotations_source(section["annotations_url"])
    if local is not None and not Path(local).exists():
        raise ConfigError("corpus.switchboard.annotations_url", f"{local} does not exist (give the ms98 word "
                          f"alignments: {ARCHIVE_FILE}, the folder it unpacks to, or an http(s) URL)")
    if local is not None and not conversations_in(local):
        raise ConfigError("corpus.switchboard.annotations_url", f"{local} holds no *-ms98-a-word.text files")
    if section["audio"] and not Path(section["audio"]).is_dir():
        raise ConfigError("corpus.switchboard.audio", f"{section['audio']} is not a folder (give the folder of the "
                          "LDC97S62 recordings, sw02001.sph or converted .wav/.flac, or null for timing only)")
    if section["audio"] and not recordings_in(section["audio"]):
        raise ConfigError("corpus.switchboard.audio", f"folder {section['audio']} holds no recordings named like "
                          "sw02001.sph, sw02001.wav or sw2001.flac")
    if local is None and not section["audio"] and not section["dialogues"]:
        raise ConfigError("corpus.switchboard.dialogues", "name the conversations (e.g. [sw2001, sw2005]) when the "
                          "alignments are downloaded: the workflow plans every conversation before it fetches the "
                          "archive; or point annotations_url at a downloaded copy to use all of them")


def _dialogue_ids(corpus_cfg: dict) -> list[str]:
    """The configured conversations; by default every one the local alignments (and the audio folder) hold."""
    section = corpus_cfg["switchboard"]
    local = annotations_source(section["annotations_url"])
    available = None
    if local is not None:
        available = set(conversations_in(local))
    if section["audio"]:
        recorded = set(recordings_in(section["audio"]))
        available = recorded if available is None else available & recorded
    wanted = list(dict.fromkeys(section["dialogues"]))
    if not wanted:
        return sorted(available or ())
    if available is not None:
        missing = [d for d in wanted if d not in available]
        if missing:
            where = " and ".join(filter(None, [local, section["audio"]]))
            raise ConfigError("corpus.switchboard.dialogues", f"{len(missing)} conversation(s) not in {where}: "
                              f"{', '.join(missing[:10])}{', …' if len(missing) > 10 else ''}")
    return wanted


def _inputs(corpus_cfg: dict, dialogue: str) -> dict[str, str]:
    section = corpus_cfg["switchboard"]
    files = {}
    local = annotations_source(section["annotations_url"])
    if local is not None:
        files["annotations"] = local
    if section["audio"]:
        files["audio"] = recordings_in(section["audio"])[dialogue]
    return files


def _downloads(corpus_cfg: dict, dialogue: str) -> dict[str, str]:
    if annotations_source(corpus_cfg["switchboard"]["annotations_url"]) is None:
        return {"annotations": ARCHIVE_FILE}
    return {}


def _download(corpus_cfg: dict, file: str) -> Download:
    return Download(corpus_cfg["switchboard"]["annotations_url"], verify_archive)


def _settings(config: dict) -> dict:
    """A recorded conversation depends on its files alone; a rendered one on the seed and the rendering's levels."""
    if config["corpus"]["switchboard"]["audio"]:
        return {}
    return {"seed": config["corpus"]["seed"], "render": render_levels(config)}


def _prepare(settings: dict, dialogue: str, inputs: dict, wav_out, va_out, info_out) -> dict:
    if "audio" not in inputs:
        return prepare_timing_only(inputs["annotations"], dialogue, settings["seed"], settings["render"], wav_out,
                                   va_out, info_out)
    return prepare_dialogue(inputs["audio"], inputs["annotations"], dialogue, wav_out, va_out, info_out)


CORPUS = Corpus("switchboard", dialogue_ids=_dialogue_ids, prepare=_prepare, settings=_settings, check=_check,
                inputs=_inputs, downloads=_downloads, download=_download)
