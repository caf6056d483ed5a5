"""Human speech recordings a seat's voice learns from (`voice.speakers`): a folder or a zip of one person's (or a
pool's) recordings, split by file into train/val/test and laid out as three sessions `{seat}-{split}` of the
`speakers` source, so they go through the same mono → prosody stages as a corpus.

A session is a stereo file: the seat's clips one after the other (in a seeded order, a short pause between them)
on channel 0, a quiet partner on channel 1 (the dialogue VAD sees a clean one-speaker recording). A table of the
clips says where each file lies in its session."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile as sf

from babbler.corpora.splits import assign_splits
from babbler.errors import ConfigError, InputError
from babbler.util.fileio import atomic_path, write_wav

log = logging.getLogger(__name__)

SOURCE = "speakers"  # the source name of the sessions: audio/speakers/{seat}-{split}.{A,B}.wav, prosody/speakers/…
SEATS = ("A", "B")
SPLITS = ("train", "val", "test")
SPEECH_SUFFIXES = (".wav", ".flac", ".ogg")
LAYOUT_KEYS = ("val", "test", "seed", "gap_seconds", "sample_rate")  # the settings of `voice.speakers` the sessions depend on
QUIET_DBFS = -75.0  # RMS of the pauses between clips and of the silent partner channel


def session(seat: str, split: str) -> str:
    """The dialogue id of a seat's session of one split."""
    return f"{seat}-{split}"


def sessions(seats: tuple[str, ...] = SEATS) -> list[str]:
    """Every session's dialogue id."""
    return [session(s, p) for s in seats for p in SPLITS]


def configured(voice_cfg: dict) -> bool:
    """Whether the config gives human recordings for the seats (`voice.speakers.A` and `.B`)."""
    spk = voice_cfg.get("speakers") or {}
    given = [s for s in SEATS if spk.get(s)]
    if given and len(given) != len(SEATS):
        missing = next(s for s in SEATS if s not in given)
        raise ConfigError(f"voice.speakers.{missing}", f"recordings are given for seat {given[0]} only; give a "
                          f"folder or zip for both seats (the same one twice is fine)")
    return bool(given)


def check_speakers(voice_cfg: dict) -> None:
    """Raise ConfigError naming the key if a seat's recordings are missing or not a folder or zip."""
    if not configured(voice_cfg):
        return
    spk = voice_cfg["speakers"]
    for seat in SEATS:
        src = Path(spk[seat])
        if not src.exists():
            raise ConfigError(f"voice.speakers.{seat}", f"{src} does not exist")
        if not (src.is_dir() or zipfile.is_zipfile(src)):
            raise ConfigError(f"voice.speakers.{seat}", f"{src} is neither a folder nor a zip of recordings")
    if spk["val"] + spk["test"] >= 1.0:
        raise ConfigError("voice.speakers", f"val + test = {spk['val'] + spk['test']} leaves no recordings to train on")


def recordings(src: str | Path) -> list[str]:
    """The names of every audio file in a folder (recursively, relative to it) or a zip, sorted."""
    src = Path(src)
    if src.is_dir():
        names = [str(p.relative_to(src)) for p in src.rglob("*") if p.is_file()]
    elif zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    else:
        raise InputError(src, "neither a folder nor a zip of speech recordings")
    found = sorted(n for n in names if Path(n).suffix.lower() in SPEECH_SUFFIXES and not Path(n).name.startswith("."))
    if len(found) < len(SPLITS):
        raise InputError(src, f"holds {len(found)} speech recordings ({', '.join(SPEECH_SUFFIXES)}); at least "
                         f"{len(SPLITS)} are needed, one each for training, validation and testing")
    return found


@contextmanager
def reader(src: str | Path) -> Iterator[Callable[[str], tuple[np.ndarray, int]]]:
    """A function that reads one recording of a folder or zip (opened once) by name, as mono float32 (channels
    averaged) and its rate; InputError naming the file if it is unreadable."""
    src = Path(src)
    zf = None if src.is_dir() else zipfile.ZipFile(src)

    def read(name: str) -> tuple[np.ndarray, int]:
        where = str(src / name) if zf is None else f"{src}!{name}"
        try:
            y, sr = sf.read(where if zf is None else io.BytesIO(zf.read(name)), dtype="float32", always_2d=True)
        except Exception as exc:  # libsndfile raises several types for bad files
            raise InputError(where, f"not a readable audio file ({exc})") from exc
        if len(y) == 0:
            raise InputError(where, "audio file holds no samples")
        return y.mean(axis=1), int(sr)

    try:
        yield read
    finally:
        if zf is not None:
            zf.close()


def split_recordings(names: list[str], seed: int, val: float, test: float) -> dict[str, str]:
    """File name → train, val or test: the corpus split's seeded rule, at least one file in each."""
    return assign_splits(names, seed, max(val, 1e-9), max(test, 1e-9))


def quiet(n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples of faint white noise (QUIET_DBFS RMS): the pauses and the partner channel."""
    return (10 ** (QUIET_DBFS / 20) * rng.standard_normal(n)).astype(np.float32)


def write_sessions(seat: str, src: str | Path, outputs: dict[str, str | Path], clips_out: str | Path,
                   settings: dict) -> pd.DataFrame:
    """Write a seat's three sessions (stereo WAVs at `settings["sample_rate"]`, keyed by split) and the clips table
    (file, split, start and end in its session, seconds); return the table."""
    sample_rate = settings["sample_rate"]
    names = recordings(src)
    split = split_recordings(names, settings["seed"], settings["val"], settings["test"])
    order = np.random.default_rng(np.random.SeedSequence([int(settings["seed"]), 0x5EA7])).permutation(len(names))
    gap = int(round(settings["gap_seconds"] * sample_rate))
    rows = []
    with reader(src) as read:
        for part in SPLITS:
            rng = np.random.default_rng(np.random.SeedSequence([int(settings["seed"]), SEATS.index(seat),
                                                                SPLITS.index(part)]))
            pieces, t = [quiet(gap, rng)], gap
            for i in order:
                name = names[i]
                if split[name] != part:
                    continue
                y, sr = read(name)
                if sr != sample_rate:
                    y = librosa.resample(y, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq")
                peak = float(np.abs(y).max())
                if peak > 0.99:  # clipped or float files above full scale: keep the shape, not the overload
                    y = y * (0.99 / peak)
                rows.append({"file": name, "split": part, "start": t / sample_rate, "end": (t + len(y)) / sample_rate})
                pieces += [y.astype(np.float32), quiet(gap, rng)]
                t += len(y) + gap
            own = np.concatenate(pieces)
            write_wav(outputs[part], np.stack([own, quiet(len(own), rng)], axis=1), sample_rate)
            log.info("seat %s %s: %d recordings, %.1f s", seat, part, sum(r["split"] == part for r in rows),
                     len(own) / sample_rate)
    table = pd.DataFrame(rows)
    with atomic_path(clips_out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.5f")
    return table
