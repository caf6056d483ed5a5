"""Prosody + voice activity of one dialogue: both mono tracks in, one 10 ms parquet per speaker out."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from babbler.errors import InputError
from babbler.signal.prosody import first_pass, refine_pitch
from babbler.signal.vad import band_levels, channel_coherence, intensity_vad, silero_vad
from babbler.util.fileio import atomic_path, audio_info, read_va
from babbler.va import SPEAKERS, VA_RATE, ipu_track, segments_to_frames

log = logging.getLogger(__name__)


def read_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a mono track, raising InputError naming the file if it is not one channel."""
    info = audio_info(path)
    if info.channels != 1:
        raise InputError(path, f"expected a mono track, found {info.channels} channels")
    y, sr = sf.read(str(path), dtype="float64")
    return y, sr


def dialogue_va(
    method: str,
    samples: dict[str, np.ndarray],
    sample_rate: int,
    prosody: dict,
    n: int,
    reference: str | Path | None = None,
    name: str = "",
) -> dict[str, np.ndarray]:
    """VA tracks of speakers A and B by the configured method."""
    if method == "intensity":
        return intensity_vad({s: prosody[s].vad_intensity for s in SPEAKERS},
                             {s: prosody[s].voiced for s in SPEAKERS}, name=name,
                             coherence=channel_coherence(samples["A"], samples["B"], sample_rate,
                                                         len(prosody["A"].vad_intensity)),
                             bands={s: band_levels(samples[s], sample_rate, len(prosody[s].vad_intensity))
                                    for s in SPEAKERS})
    if method == "silero":
        return silero_vad(samples, sample_rate, {s: prosody[s].vad_intensity for s in SPEAKERS}, n, name=name)
    if method == "reference":
        if reference is None:
            raise InputError(name, "vad.method 'reference' needs the corpus's VA file, and there is none")
        va = read_va(reference)
        return {s: ipu_track(segments_to_frames(va, s, n)) for s in SPEAKERS}
    raise ValueError(f"unknown VAD method {method!r}")


def dialogue_prosody(samples: dict[str, np.ndarray], sample_rate: int, method: str,
                     reference: str | Path | None = None, name: str = "",
                     ) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Both speakers' 10 ms frames (time, f0, intensity, va) from their equally long mono samples, and a summary of
    each (speech and voiced share, pitch range)."""
    duration = len(samples["A"]) / sample_rate
    n = int(round(duration * VA_RATE))
    first = {}
    for s in SPEAKERS:
        if not np.any(samples[s]):
            log.warning("%s: digital silence; speaker %s has no speech", name, s)
        first[s] = first_pass(samples[s], sample_rate, duration)
    va = dialogue_va(method, samples, sample_rate, first, n, reference, name=name)
    # The pitch range and the stored F0 come from the speaker's own speech, not the partner's bleed.
    prosody = {s: refine_pitch(samples[s], sample_rate, first[s], va[s]) for s in SPEAKERS}
    frames, summary = {}, {}
    for s in SPEAKERS:
        frames[s] = pd.DataFrame({
            "time": np.arange(n) / VA_RATE,
            "f0": prosody[s].f0.astype(np.float32),
            "intensity": prosody[s].intensity.astype(np.float32),
            "va": va[s],
        })
        summary[s] = {
            "speech_share": float(va[s].mean()), "voiced_share": float(prosody[s].voiced.mean()),
            "pitch_floor": prosody[s].pitch_floor, "pitch_ceiling": prosody[s].pitch_ceiling}
    return frames, summary


def extract_dialogue(
    tracks: dict[str, str | Path], outputs: dict[str, str | Path], method: str, reference: str | Path | None = None,
) -> dict[str, dict]:
    """Write `prosody/{source}/{dlg}.{spk}.parquet` (time, f0, intensity, va) for both speakers."""
    samples, rates = {}, set()
    for s in SPEAKERS:
        samples[s], sr = read_mono(tracks[s])
        rates.add(sr)
    if len(rates) != 1 or len({len(v) for v in samples.values()}) != 1:
        raise InputError(tracks["A"], f"speaker tracks differ in rate or length from {tracks['B']}")
    frames, summary = dialogue_prosody(samples, rates.pop(), method, reference, name=str(Path(tracks["A"]).name))
    written = []
    try:
        for s in SPEAKERS:
            with atomic_path(outputs[s]) as tmp:
                frames[s].to_parquet(tmp, index=False)
            written.append(Path(outputs[s]))
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return summary
