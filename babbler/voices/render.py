"""Render generated 50 Hz tracks to stereo audio laid out like a corpus (design stage `sample`, audio): tracks in,
a registry voice, mixing as a close-talk recording, real audio spliced where a system keeps it."""

from __future__ import annotations

import time

import librosa
import numpy as np
import pandas as pd
from scipy.ndimage import uniform_filter1d

from babbler.models.dataset import SpeakerScale
from babbler.synth.mixing import mix_stereo
from babbler.va import TOKEN_RATE
from babbler.voices.spec import Tracks, Voice

RTF_1CH_SECONDS = 2.0  # audio behind the one-channel, one-thread real-time factor

CROSSFADE_S = 0.01  # where real and generated audio meet


def speaker_tracks(table: pd.DataFrame, spk: str) -> Tracks:
    """The voice-driving Tracks of one speaker from a generated tracks table (50 Hz)."""
    return Tracks(table[f"va_{spk}"].to_numpy(bool), table[f"f0_{spk}"].to_numpy(float),
                  table[f"intensity_{spk}"].to_numpy(float), frame_rate=TOKEN_RATE)


def to_speaker(tracks: Tracks, target: SpeakerScale) -> tuple[Tracks, float]:
    """A speaker's tracks moved to another speaker's pitch and level (median voiced F0 and median speech level):
    the F0 contour transposed, the intensity shifted, the timing and the melody's shape kept; and the transposition
    in semitones."""
    from babbler.voices.features import tracks_scale

    own = tracks_scale(tracks)
    ratio = target.f0_median / own.f0_median
    moved = Tracks(tracks.va, tracks.f0 * ratio, tracks.intensity + (target.db_median - own.db_median),
                   frame_rate=tracks.frame_rate)
    return moved, float(12 * np.log2(ratio))


def seat_scales(prosody: dict[str, str]) -> dict[str, SpeakerScale]:
    """Each seat's pitch and level (`tracks_scale`) from the 10 ms prosody of its human recordings."""
    from babbler.voices.features import prosody_tracks, tracks_scale

    return {seat: tracks_scale(prosody_tracks(pd.read_parquet(path, columns=["va", "f0", "intensity"])))
            for seat, path in prosody.items()}


def voice_speed(voice: Voice, tracks: list[Tracks], sample_rate: int, seed: int, model, settings: dict):
    """Render every track with `voice` as one batch; return the waveforms and the speed: seconds spent, the
    real-time factor per channel of that batch (`rtf`), and of one channel alone on one thread (`rtf_1ch`, on
    up to RTF_1CH_SECONDS of the first track from its first speech frame)."""
    import torch

    t0 = time.perf_counter()
    waves = voice.render(tracks, sample_rate, seed, model, settings)
    spent = time.perf_counter() - t0
    total = sum(len(t.va) for t in tracks) / TOKEN_RATE
    first = tracks[0]
    on = np.flatnonzero(first.va)
    lo = int(on[0]) if len(on) else 0
    hi = min(len(first.va), lo + int(RTF_1CH_SECONDS * TOKEN_RATE))
    one = Tracks(first.va[lo:hi], first.f0[lo:hi], first.intensity[lo:hi], frame_rate=first.frame_rate)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0 = time.perf_counter()
        voice.render([one], sample_rate, seed, model, settings)
        one_s = time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)
    seconds = (hi - lo) / TOKEN_RATE
    return waves, {"voice_seconds": spent, "rtf": spent / total if total else float("nan"),
                   "rtf_1ch": one_s / seconds if seconds else float("nan")}


def merge_render_info(parts: list[dict]) -> dict:
    """One generated set's render record from its batches' (in batch order): one batch's as it is; several add their
    seconds, weigh the real-time factor by the audio each rendered, keep the first's one-channel factor (measured on
    the set's first track) and join the transpositions."""
    if len(parts) == 1:
        return dict(parts[0])
    spent = sum(p["voice_seconds"] for p in parts)
    audio = sum(p["voice_seconds"] / p["rtf"] for p in parts if p["rtf"] > 0)
    merged = {**parts[0], "voice_seconds": spent, "rtf": spent / audio if audio else float("nan"),
              "generated_seconds": sum(p["generated_seconds"] for p in parts)}
    shifts = {k: v for p in parts for k, v in p.get("transposed_semitones", {}).items()}
    if shifts:
        merged["transposed_semitones"] = shifts
    return merged


def splice(generated: np.ndarray, real: np.ndarray, keep_real: np.ndarray, sample_rate: int) -> np.ndarray:
    """Real audio where `keep_real` (per 50 Hz frame) holds, generated elsewhere, with 10 ms crossfades."""
    n = len(generated)
    frame_of_sample = np.minimum((np.arange(n) * TOKEN_RATE) // sample_rate, len(keep_real) - 1)
    mask = keep_real[frame_of_sample].astype(float)
    width = max(1, int(CROSSFADE_S * sample_rate))
    mask = uniform_filter1d(mask, width, mode="nearest")  # edges extend, so a prompt starts fully real
    real = np.pad(real[:n], (0, max(0, n - len(real))))
    return mask * real + (1 - mask) * generated


def mix_dialogue(
    voices: list[np.ndarray],
    n: int,
    sample_rate: int,
    seed,
    real: np.ndarray | None = None,
    keep_real: dict[str, np.ndarray] | None = None,
    bleed_db: float = -30.0,
    noise_db: float = 30.0,
) -> np.ndarray:
    """Both speakers' voices mixed as a close-talk recording; frames in `keep_real` keep the real audio."""
    rng = np.random.default_rng(seed)
    v = [np.pad(y[:n], (0, max(0, n - len(y)))) for y in voices]
    audio = mix_stereo(v[0], v[1], sample_rate, rng, bleed_db=(bleed_db, bleed_db), noise_db=(noise_db, noise_db))
    if keep_real and real is not None:
        for c, spk in enumerate("AB"):
            if spk in keep_real:
                audio[:, c] = splice(audio[:, c], real[:, c], keep_real[spk], sample_rate)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0.99:
        audio *= 0.99 / peak
    return audio


def load_real(path, sample_rate: int) -> np.ndarray:
    """A real stereo dialogue at `sample_rate` (soxr resampling when its rate differs)."""
    from babbler.util.fileio import read_stereo

    audio, sr = read_stereo(path)
    if sr != sample_rate:
        audio = librosa.resample(audio.T, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq").T
    return audio
