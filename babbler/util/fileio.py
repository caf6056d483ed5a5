"""Atomic writes and validated reading/writing of the audio and table files the stages exchange."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import soundfile as sf

from babbler.errors import InputError, OutputError
from babbler.va import SPEAKERS, VA_RATE

log = logging.getLogger(__name__)


def current_umask() -> int:
    """The process's file-mode creation mask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def mount_point(path: str | Path) -> Path:
    """The mount point of the file system that holds `path` (an existing file or folder)."""
    path = Path(path).resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


FULL = 1 << 20  # bytes: a disk with less free space than this is full for any of the workflow's files


def disk_full_error(dest: Path, exc: BaseException) -> OutputError | None:
    """An OutputError naming `dest` and its disk if `exc` came from a full disk (ENOSPC, or a failed write with
    less than FULL bytes left: libsndfile reports that only as "System error"), else None."""
    folder = dest.parent if dest.parent.exists() else Path.cwd()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if getattr(exc, "errno", None) == errno.ENOSPC or (free is not None and free < FULL):
        left = f"{free} bytes free" if free is not None else "no space left"
        return OutputError(dest, f"the disk holding it ({mount_point(folder)}) is full ({left}); free some space "
                                 f"there and run again (nothing half-written was kept)")
    return None


@contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `dest` and rename it onto `dest` only if the block succeeds; a write that
    fails on a full disk becomes an OutputError naming the file and the disk."""
    dest = Path(dest)
    if dest.is_dir():
        raise OutputError(dest, "a folder is in its place")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp" + dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise disk_full_error(dest, exc) or exc
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~current_umask())  # mkstemp makes 0600; outputs get the mode open() would give
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except (OSError, RuntimeError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        full = disk_full_error(dest, exc)
        if full is None:
            raise
        raise full from exc
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


BLOCK_FRAMES = 1 << 20  # frames written (or read) at a time: an hour of 48 kHz stereo needs no whole copy


def write_wav(dest: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> None:
    """Write float audio (frames × channels, or 1-D) in [-1, 1] to a WAV file atomically.

    The samples go to libsndfile as float64 (the same bytes for float32 input as a whole-array conversion), a block
    at a time."""
    audio = np.asarray(audio)
    peak = max(float(audio.max()), -float(audio.min())) if audio.size else 0.0
    if peak > 1.0:
        raise ValueError(f"{dest}: audio peak {peak:.3f} exceeds full scale; scale it before writing")
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    with atomic_path(dest) as tmp:
        with sf.SoundFile(tmp, "w", samplerate=sample_rate, channels=channels, subtype=subtype, format="WAV") as out:
            for start in range(0, len(audio), BLOCK_FRAMES):
                out.write(np.asarray(audio[start : start + BLOCK_FRAMES], dtype=np.float64))


@dataclass(frozen=True)
class AudioInfo:
    """What a validated audio file holds."""

    path: str
    sample_rate: int
    channels: int
    frames: int
    subtype: str

    @property
    def duration(self) -> float:
        """Duration in seconds."""
        return self.frames / self.sample_rate


def _wav_shortfall(path: Path) -> int:
    """Bytes missing from a RIFF/WAVE file's data chunk (0 if complete or not a plain RIFF file)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk = fh.read(8)
            cid, clen = chunk[:4], int.from_bytes(chunk[4:8], "little")
            if cid == b"data":
                if clen == 0xFFFFFFFF or clen == 0:  # streamed WAV with an unknown length
                    return 0
                return max(0, pos + 8 + clen - size)
            pos += 8 + clen + (clen & 1)
    return 0


def audio_info(path: str | Path) -> AudioInfo:
    """Open an audio file's header, raising InputError naming the file if it is unreadable or empty."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile raises several types for bad files
        raise InputError(path, f"not a readable audio file ({exc})") from exc
    if info.frames <= 0:
        raise InputError(path, "audio file holds no samples")
    missing = _wav_shortfall(path)
    if missing:
        raise InputError(path, f"truncated: the WAV data chunk is {missing} bytes short of what its header promises")
    return AudioInfo(str(path), int(info.samplerate), int(info.channels), int(info.frames), str(info.subtype))


def read_stereo(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a two-channel recording as float32 (frames × 2), raising InputError if it is not stereo."""
    info = audio_info(path)
    if info.channels != 2:
        kind = "mono" if info.channels == 1 else f"{info.channels}-channel"
        hint = " (a dialogue with one file per speaker: name them {id}.A.wav and {id}.B.wav)" * (info.channels == 1)
        raise InputError(path, f"expected a stereo file with one speaker per channel, found {kind} audio{hint}")
    return _decode(info)


def read_channel(path: str | Path, channel: int) -> tuple[np.ndarray, int]:
    """One channel of a two-channel recording as contiguous float32, read a block at a time (the values of
    `read_stereo(path)[0][:, channel]` without holding both channels), with read_stereo's checks."""
    info = audio_info(path)
    if info.channels != 2:
        read_stereo(path)  # raises its message
    out = np.empty(info.frames, dtype=np.float32)
    n = 0
    try:
        for block in sf.blocks(info.path, blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
            out[n : n + len(block)] = block[:, channel]
            n += len(block)
    except Exception as exc:
        raise InputError(info.path, f"audio data cannot be decoded ({exc})") from exc
    if n < info.frames:
        raise InputError(info.path, f"truncated: header promises {info.frames} frames, file holds {n}")
    return out, info.sample_rate


def read_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a one-speaker recording as float32 samples, raising InputError if it has more than one channel."""
    info = audio_info(path)
    if info.channels != 1:
        raise InputError(path, f"expected a mono file of one speaker (the pair's other speaker has their own file), "
                               f"found {info.channels}-channel audio")
    audio, sr = _decode(info)
    return audio[:, 0], sr


def _decode(info: AudioInfo) -> tuple[np.ndarray, int]:
    """The samples (frames × channels, float32) of a checked file, raising InputError if they cannot all be read."""
    try:
        audio, sr = sf.read(info.path, dtype="float32", always_2d=True)
    except Exception as exc:
        raise InputError(info.path, f"audio data cannot be decoded ({exc})") from exc
    if audio.shape[0] < info.frames:
        raise InputError(info.path, f"truncated: header promises {info.frames} frames, file holds {audio.shape[0]}")
    return audio, sr


def silent_channels(audio: np.ndarray) -> list[int]:
    """Indices of the channels that are digital silence (every sample exactly zero)."""
    audio = audio.reshape(len(audio), -1)
    return [c for c in range(audio.shape[1]) if not np.any(audio[:, c])]


VA_COLUMNS = ["speaker", "start", "end"]
# Columns that hold names, never numbers: a dialogue called "002" must stay "002".
TEXT_COLUMNS = ("dialogue", "system", "speaker", "type", "model", "voice", "split")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one of the workflow's CSV tables with every id column (TEXT_COLUMNS) as text, never as a number or NaN."""
    columns = pd.read_csv(path, nrows=0).columns
    numeric_na = {c: ["", "nan", "NaN", "NA", "inf", "-inf"] for c in columns if c not in TEXT_COLUMNS}
    return pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS if c in columns}, keep_default_na=False,
                       na_values=numeric_na)


def write_va(dest: str | Path, va: pd.DataFrame) -> None:
    """Write a voice-activity table (speaker, start, end in seconds) atomically, sorted by time."""
    va = va.loc[:, VA_COLUMNS].sort_values(["start", "speaker"], kind="stable").reset_index(drop=True)
    with atomic_path(dest) as tmp:
        va.to_csv(tmp, index=False, float_format="%.3f")


def read_va(path: str | Path) -> pd.DataFrame:
    """Read and check a voice-activity CSV (columns speaker, start, end; speaker A or B).

    Rows that cannot be used as they are are never fixed in silence: a row with a missing time, a
    zero length or a negative start is logged with its file and line, then dropped or clipped at 0;
    text where a time belongs, an infinite time and a segment that ends before it starts are errors. The index of the
    returned table is the row's position in the file (line = index + 2)."""
    path = Path(path)
    try:  # spaces after the commas (as spreadsheets and hand edits leave them) are not part of a name or value
        va = pd.read_csv(path, dtype={"speaker": str}, skipinitialspace=True)
    except Exception as exc:
        raise InputError(path, f"not a readable CSV ({exc})") from exc
    va.columns = [str(c).strip() for c in va.columns]
    missing = [c for c in VA_COLUMNS if c not in va.columns]
    if missing:
        header = ",".join(va.columns)
        sep = next((f" separated by {name} rather than commas" for ch, name in ((";", "semicolons"), ("\t", "tabs"))
                    if ch in header), "")
        raise InputError(path, f"voice-activity file lacks column(s) {', '.join(missing)} (its header: {header!r}"
                               f"{sep}; expected speaker,start,end)")
    va["speaker"] = va["speaker"].str.strip()
    bad = ~va["speaker"].isin(["A", "B"])
    if bad.any():
        raise InputError(path, f"speaker must be A or B, found {sorted(set(va.loc[bad, 'speaker'].astype(str)))} "
                               f"(line {int(np.flatnonzero(bad)[0]) + 2})")
    for col in ("start", "end"):
        num = pd.to_numeric(va[col], errors="coerce")
        text = num.isna() & va[col].notna()
        if text.any():
            i = int(np.flatnonzero(text)[0])
            raise InputError(path, f"line {i + 2}: {col} {va[col].iloc[i]!r} is not a number of seconds")
        va[col] = num.astype(float)
    va = va.loc[:, VA_COLUMNS]
    nan = va["start"].isna() | va["end"].isna()
    for i in np.flatnonzero(nan):
        log.warning("%s: line %d: %s time missing; row dropped", path, i + 2,
                    "start" if pd.isna(va["start"].iloc[i]) else "end")
    va = va[~nan]
    endless = ~np.isfinite(va["start"]) | ~np.isfinite(va["end"])
    if endless.any():
        i = va.index[endless][0]
        raise InputError(path, f"line {i + 2}: an infinite time ({va.at[i, 'start']:g} s to {va.at[i, 'end']:g} s)")
    backwards = va["end"] < va["start"]
    if backwards.any():
        i = va.index[backwards][0]
        raise InputError(path, f"line {i + 2}: a segment ends ({va.at[i, 'end']:g} s) before it starts "
                               f"({va.at[i, 'start']:g} s)")
    for i in va.index[va["end"] == va["start"]]:
        log.warning("%s: line %d: zero-length segment at %g s; row dropped", path, i + 2, va.at[i, "start"])
    va = va[va["end"] > va["start"]]
    for i in va.index[va["start"] < 0]:
        log.warning("%s: line %d: segment starts at %g s, before the recording; clipped to 0 s%s", path, i + 2,
                    va.at[i, "start"], "" if va.at[i, "end"] > 0 else " (nothing is left of it: dropped)")
    va = va.assign(start=va["start"].clip(lower=0.0))
    return va[va["end"] > va["start"]]


def write_json(dest: str | Path, data: dict) -> None:
    """Write a JSON document atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_prosody_va(paths: dict[str, str | Path]) -> tuple[dict[str, np.ndarray], float]:
    """The VA tracks of both speakers from their prosody parquets, and the dialogue duration."""
    tracks = {s: pd.read_parquet(paths[s], columns=["va"])["va"].to_numpy(bool) for s in SPEAKERS}
    if len(tracks["A"]) != len(tracks["B"]):
        raise InputError(paths["A"], f"has {len(tracks['A'])} frames but {paths['B']} has {len(tracks['B'])}")
    return tracks, len(tracks["A"]) / VA_RATE
