"""A `local` corpus: the user's own folder of recordings (one stereo file per dialogue, or one mono file per speaker),
with optional VA files; or a folder of VA files alone (timing only: each dialogue is rendered from its VA, see
babbler.corpora.timing_only)."""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path

import numpy as np
import soundfile as sf

from babbler.corpora.common import (
    UNCLEAR,
    Corpus,
    channel_log_energy,
    check_seconds,
    checked_audio,
    clip_va,
    energy_match,
    speech_after_va,
    write_dialogue,
)
from babbler.corpora.timing_only import render_levels, write_rendered
from babbler.corpora.va_formats import VA_SUFFIXES, read_user_va, swap_speakers
from babbler.errors import ConfigError, InputError
from babbler.util.fileio import audio_info, read_mono, read_stereo

log = logging.getLogger(__name__)


SWAPPED = -0.5  # channel_match at or below this: the VA's speakers are the recording's channels swapped


def check_channels(match: float, src, va_src) -> float:
    """Raise if a recording's `channel_match` with its VA says A's VA follows channel 1 (and B's channel 0), warn if
    the audio cannot tell; return the match."""
    if match <= SWAPPED:
        raise InputError(src, f"its channels look swapped against {va_src}: speaker A's VA follows channel 1's "
                         f"loudness and B's channel 0's (channel match {match:+.2f}; close-talk recordings score "
                         f"about +2). Speaker A must be channel 0: swap A and B in the VA file, or the channels")
    if match < UNCLEAR:
        log.warning("%s: the recording barely tells which speaker is on which channel (channel match %+.2f against "
                    "its VA %s; close-talk recordings score about +2): check that speaker A is channel 0",
                    src, match, va_src)
    return match


def prepare_dialogue(src, va_src, dialogue: str, wav_out, va_out, info_out, speakers=()) -> dict:
    """Validate one user recording (and its VA, if given) and write them in the corpus layout.

    `src`: a stereo file, or the pair (A's, B's) of one-speaker files. `speakers`: the TextGrid/ELAN tiers or RTTM
    speaker ids of A and B (corpus.local.speakers); without them, the speaker whose VA follows channel 0's
    loudness becomes A."""
    if isinstance(src, (tuple, list)):
        audio, sr = read_speaker_pair(*src)
        src, files = Path(src[0]).with_name(f"{dialogue}.{{A,B}}{Path(src[0]).suffix}"), list(src)
    else:
        audio, sr = read_stereo(src)
        files = [src]
    va, ordered = read_user_va(va_src, speakers) if va_src else (None, True)
    if va is not None:
        check_seconds(va, va_src)
    if va is not None and len(va) and va["end"].max() > audio.shape[0] / sr + 1.0:
        raise InputError(va_src, f"VA runs to {va['end'].max():.2f} s but {src} lasts {audio.shape[0] / sr:.2f} s")
    audio = checked_audio(audio, sr, str(src))  # before any analysis: NaN samples would make it meaningless
    energy = channel_log_energy(audio, sr) if va is not None else None  # one pass for both checks of the VA
    loud = speech_after_va(energy, va) if va is not None else 0.0
    if loud > 0.2:
        log.warning("%s: its VA ends at %.2f s but %s lasts %.2f s, and a channel sounds like speech in %.0f %% of "
                    "the rest: is the VA file cut short? Everything after its end counts as silence",
                    va_src, va["end"].max(), src, audio.shape[0] / sr, 100 * loud)
    extra = {"source_file": " + ".join(str(Path(f).resolve()) for f in files)}
    if va is not None:
        va = clip_va(va, audio.shape[0] / sr, str(va_src))
        match = energy_match(energy, va)
        if not ordered and match <= -UNCLEAR:  # a clear no: the file's order is a guess
            log.info("%s: its second speaker follows channel 0; that speaker is A", va_src)
            va, match = swap_speakers(va), -match  # swapping the speakers turns the match's sign, nothing else
        extra["channel_match"] = round(check_channels(match, src, va_src), 4)
    subtype = audio_info(files[0]).subtype
    if subtype not in sf.available_subtypes("WAV"):
        subtype = "PCM_16"
    return write_dialogue(dialogue, audio, sr, va, wav_out, va_out, info_out, extra=extra, subtype=subtype,
                          source=str(src))


AUDIO_SUFFIXES = (".wav", ".flac")
SPEAKER_FILE = re.compile(r"^(?P<dialogue>[^.]+)\.(?P<speaker>[AB])$")  # the stem of one speaker's file of a pair


def read_speaker_pair(path_a, path_b) -> tuple[np.ndarray, int]:
    """Two one-speaker recordings of a dialogue as one stereo array (A on channel 0), the shorter padded with
    silence; raises InputError unless both are mono at the same sample rate."""
    (a, sr_a), (b, sr_b) = read_mono(path_a), read_mono(path_b)
    if sr_a != sr_b:
        raise InputError(path_b, f"is sampled at {sr_b} Hz but {path_a} at {sr_a} Hz: give both speakers' files "
                                 f"one rate")
    if abs(len(a) - len(b)) > sr_a:
        log.warning("%s lasts %.2f s and %s %.2f s: the shorter is padded with silence; if they were not started "
                    "together, their timing does not line up", path_a, len(a) / sr_a, path_b, len(b) / sr_a)
    n = max(len(a), len(b))
    return np.stack([np.pad(a, (0, n - len(a))), np.pad(b, (0, n - len(b)))], axis=1), sr_a


def prepare_timing_only(va_src, dialogue: str, seed: int, render: dict, wav_out, va_out, info_out,
                        speakers=()) -> dict:
    """A dialogue known only by its VA file: babble rendered from it, written in the corpus layout."""
    va, _ordered = read_user_va(va_src, speakers)
    if va.empty:
        raise InputError(va_src, "holds no speech segments: nothing to render")
    return write_rendered(va, dialogue, seed, render, wav_out, va_out, info_out, str(va_src),
                          extra={"source_file": str(Path(va_src).resolve())})


def local_dialogue_files(folder: str | Path, suffixes: tuple[str, ...] = AUDIO_SUFFIXES,
                         key: str = "corpus.local.path", speaker_files: bool = False) -> dict[str, Path]:
    """Map dialogue id (file stem) → file for the files with these suffixes (recordings; or VA files) in a folder.

    Hidden files (`.x.wav`, and the `._x.wav` resource forks macOS leaves on shared drives) are not
    recordings and are skipped. A stem with a dot cannot be a dialogue id: the workflow's file names
    use dots to separate the id from the speaker and the stage (e.g. `{dlg}.A.wav`). The files are examined once
    per listing of the folder: the workflow asks for every dialogue's files."""
    return dict(_scan(str(folder), _listing(folder), suffixes, key, speaker_files))


def _listing(folder: str | Path) -> tuple[str, ...]:
    """The names in a folder, sorted: what the caches of its files are keyed on. Read again only when the folder's
    modification time moves (a file added, removed or renamed): the workflow asks once per dialogue, and listing a
    folder of 10,000 files each time made planning quadratic in the corpus."""
    return _listing_at(str(folder), os.stat(folder).st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _listing_at(folder: str, mtime_ns: int) -> tuple[str, ...]:
    """The sorted names in a folder as of one modification time."""
    return tuple(sorted(os.listdir(folder)))


@functools.lru_cache(maxsize=16)
def _scan(folder: str, names: tuple[str, ...], suffixes: tuple[str, ...], key: str,
          speaker_files: bool) -> dict[str, Path]:
    """`local_dialogue_files` among a folder's `names` (cached: callers must not change it)."""
    files: dict[str, Path] = {}
    dotted = []
    for p in (Path(folder) / name for name in names):
        if p.suffix.lower() not in suffixes or not p.is_file() or p.name.startswith("."):
            continue
        if "." in p.stem and not (speaker_files and SPEAKER_FILE.match(p.stem)):
            dotted.append(p.name)
            continue
        if p.stem in files:
            raise ConfigError(key, f"two files share the dialogue id {p.stem!r}: {files[p.stem].name} and {p.name}")
        files[p.stem] = p
    if dotted:
        example = dotted[0]
        fixed = example[: -len(Path(example).suffix)].replace(".", "-") + Path(example).suffix
        raise ConfigError(key, f"{len(dotted)} file name(s) hold a dot before the extension "
                          f"({', '.join(dotted[:5])}{', …' if len(dotted) > 5 else ''}); the corpus stage takes "
                          f"the file stem as the dialogue id, and ids may not contain '.': rename them "
                          f"(e.g. {example} → {fixed})")
    return files


def local_recordings(folder: str | Path) -> dict[str, list[Path]]:
    """Map dialogue id → its recording: one stereo file `{id}.wav`, or one mono file per speaker, `{id}.A.wav` and
    `{id}.B.wav` (FLAC as well)."""
    return {d: list(files) for d, files in _pair(str(folder), _listing(folder)).items()}


@functools.lru_cache(maxsize=16)
def _pair(folder: str, names: tuple[str, ...]) -> dict[str, tuple[Path, ...]]:
    """`local_recordings` for one state of the folder (the caller copies what it hands out)."""
    recordings: dict[str, list[Path]] = {}
    halves: dict[str, dict[str, Path]] = {}
    for stem, path in _scan(folder, names, AUDIO_SUFFIXES, "corpus.local.path", True).items():
        pair = SPEAKER_FILE.match(stem)
        if pair:
            halves.setdefault(pair["dialogue"], {})[pair["speaker"]] = path
        else:
            recordings[stem] = [path]
    for dialogue, files in halves.items():
        if dialogue in recordings:
            one = next(iter(files.values())).name
            raise ConfigError("corpus.local.path", f"dialogue {dialogue!r} has a stereo file "
                              f"({recordings[dialogue][0].name}) and a speaker's file ({one})")
        if len(files) == 1:
            (speaker, path), = files.items()
            other = "B" if speaker == "A" else "A"
            raise ConfigError("corpus.local.path", f"{path.name} has no partner: a dialogue of one file per speaker "
                              f"needs {dialogue}.{other}.wav (or .flac) beside it")
        recordings[dialogue] = [files["A"], files["B"]]
    return {d: tuple(recordings[d]) for d in sorted(recordings)}


def _check_folder(key: str, path: str) -> None:
    """Raise ConfigError unless `path` is an existing folder, saying what it is instead."""
    p = Path(path)
    if p.is_file():
        raise ConfigError(key, f"{path} is a file; give the folder that holds the recordings")
    if not p.exists():
        raise ConfigError(key, f"folder {path} does not exist")
    if not p.is_dir():
        raise ConfigError(key, f"{path} is not a folder")


def _check(corpus_cfg: dict) -> None:
    """The folder exists and holds recordings (or, timing only, the VA folder holds VA files)."""
    path, va = corpus_cfg["local"]["path"], corpus_cfg["local"]["va"]
    speakers = corpus_cfg["local"]["speakers"]
    if speakers and (len(speakers) != 2 or speakers[0] == speakers[1]):
        raise ConfigError("corpus.local.speakers", f"names {speakers}: give two different names, speaker A's first "
                          "(TextGrid tiers or RTTM speaker ids), or none")
    if not path and not va:
        raise ConfigError("corpus.local.path", "is required when corpus.name is 'local' (or corpus.local.va alone, "
                          "for a corpus of voice-activity files without audio)")
    if va:
        _check_folder("corpus.local.va", va)
    if not path:
        if not local_dialogue_files(va, VA_SUFFIXES, "corpus.local.va"):
            raise ConfigError("corpus.local.va", f"folder {va} holds no voice-activity files "
                                                 f"(.csv, .TextGrid, .eaf, .rttm)")
        audio = sorted(n for n in _listing(va) if Path(n).suffix.lower() in AUDIO_SUFFIXES and not n.startswith("."))
        if audio:
            raise ConfigError("corpus.local.path", f"is not set, but the VA folder {va} also holds {len(audio)} "
                              f"recording(s) ({', '.join(audio[:3])}{', …' if len(audio) > 3 else ''}), which a "
                              f"timing-only corpus would ignore (every dialogue rendered as babble from its VA). "
                              f"To use them, set corpus.local.path: {va}; for timing only, move them elsewhere")
        return
    _check_folder("corpus.local.path", path)
    if not local_recordings(path):
        raise ConfigError("corpus.local.path", f"folder {path} holds no .wav or .flac files")


def _dialogue_ids(corpus_cfg: dict) -> list[str]:
    path, va = corpus_cfg["local"]["path"], corpus_cfg["local"]["va"]
    return list(local_recordings(path) if path else local_dialogue_files(va, VA_SUFFIXES, "corpus.local.va"))


def _inputs(corpus_cfg: dict, dialogue: str) -> dict[str, str]:
    """The user's recording of a dialogue (when there is audio), and its VA file when the config names a VA folder."""
    path, va = corpus_cfg["local"]["path"], corpus_cfg["local"]["va"]
    files = {}
    if path:
        recording = _pair(str(path), _listing(path))[dialogue]
        names = ["audio"] if len(recording) == 1 else ["audio_A", "audio_B"]
        files = {name: str(f) for name, f in zip(names, recording)}
    if va:  # its VA file in any format; a recording without one is Snakemake's missing input {dialogue}.csv
        found = _scan(str(va), _listing(va), VA_SUFFIXES, "corpus.local.va", False)
        files["va"] = str(found.get(dialogue, Path(va) / f"{dialogue}.csv"))
    return files


def _settings(config: dict) -> dict:
    """Recordings depend on their files (and which speakers of a TextGrid, ELAN or RTTM file are A and B) alone; a
    timing-only dialogue also on the seed and the rendering's levels."""
    local = config["corpus"]["local"]
    speakers = {"speakers": list(local["speakers"])} if local["speakers"] else {}
    if local["path"]:
        return speakers
    return {"seed": config["corpus"]["seed"], "render": render_levels(config), **speakers}


def _prepare(settings: dict, dialogue: str, inputs: dict, wav_out, va_out, info_out) -> dict:
    speakers = settings.get("speakers", ())
    if "audio" not in inputs and "audio_A" not in inputs:
        return prepare_timing_only(inputs["va"], dialogue, settings["seed"], settings["render"], wav_out, va_out,
                                   info_out, speakers)
    src = inputs["audio"] if "audio" in inputs else (inputs["audio_A"], inputs["audio_B"])
    return prepare_dialogue(src, inputs.get("va"), dialogue, wav_out, va_out, info_out, speakers)


CORPUS = Corpus("local", dialogue_ids=_dialogue_ids, prepare=_prepare, settings=_settings,
                has_reference=lambda corpus_cfg: bool(corpus_cfg["local"]["va"]), check=_check, inputs=_inputs)
