"""Render generated 50 Hz tracks to stereo audio laid out like a corpus (design stage `sample`, audio)."""

from __future__ import annotations

import time

import librosa
import numpy as np
import pandas as pd
from scipy.ndimage import uniform_filter1d

from babbler.mixing import mix_stereo
from babbler.seeds import torch_seed
from babbler.va import TOKEN_RATE
from babbler.voices.source_filter import SpeakerVoice, Tracks, render_source_filter

CROSSFADE_S = 0.01  # where real and generated audio meet


def speaker_tracks(table: pd.DataFrame, spk: str) -> Tracks:
    """The voice-driving Tracks of one speaker from a generated tracks table (50 Hz)."""
    return Tracks(table[f"va_{spk}"].to_numpy(bool), table[f"f0_{spk}"].to_numpy(float),
                  table[f"intensity_{spk}"].to_numpy(float), frame_rate=TOKEN_RATE)


def median_f0(tracks: Tracks, default: float = 120.0) -> float:
    """The speaker's median F0 over voiced frames (Hz), `default` when nothing is voiced."""
    voiced = tracks.f0[np.isfinite(tracks.f0)]
    return float(np.median(voiced)) if len(voiced) else default


def speaker_voice(tracks: Tracks) -> SpeakerVoice:
    """A source-filter voice matched to a speaker: a shorter vocal tract for a higher median F0."""
    scale = float(np.interp(median_f0(tracks), [100.0, 220.0], [1.0, 1.17]))
    return SpeakerVoice(formant_scale=scale)


def source_filter_voice(tracks: Tracks, sample_rate: int, seed) -> np.ndarray:
    """The `source_filter` voice as a renderer."""
    return render_source_filter(tracks, sample_rate, speaker_voice(tracks), seed=seed)


def splice(generated: np.ndarray, real: np.ndarray, keep_real: np.ndarray, sample_rate: int) -> np.ndarray:
    """Real audio where `keep_real` (per 50 Hz frame) holds, generated elsewhere, with 10 ms crossfades."""
    n = len(generated)
    frame_of_sample = np.minimum((np.arange(n) * TOKEN_RATE) // sample_rate, len(keep_real) - 1)
    mask = keep_real[frame_of_sample].astype(float)
    width = max(1, int(CROSSFADE_S * sample_rate))
    mask = uniform_filter1d(mask, width, mode="nearest")  # edges extend, so a prompt starts fully real
    real = np.pad(real[:n], (0, max(0, n - len(real))))
    return mask * real + (1 - mask) * generated


def source_filter_voices(tables: list[pd.DataFrame], sample_rate: int, seed) -> tuple[list, float]:
    """Both speakers' `source_filter` waveforms for each dialogue, and the seconds spent."""
    rng = np.random.default_rng(seed)
    out, t0 = [], time.perf_counter()
    for table in tables:
        out.append([source_filter_voice(speaker_tracks(table, spk), sample_rate, rng.integers(2**63)) for spk in "AB"])
    return out, time.perf_counter() - t0


def wavenet_voices(tables: list[pd.DataFrame], sample_rate: int, seed, model, temperature: float = 1.0):
    """Both speakers' `wavenet` waveforms for each dialogue, generated as one batch; and the seconds spent."""
    import torch

    from babbler.voices.wavenet import global_features, local_features

    locals_, globs, lengths = [], [], []
    for table in tables:
        for spk in "AB":
            tr = speaker_tracks(table, spk)
            f0_med = median_f0(tr)
            db_med = float(np.nanmedian(tr.intensity)) if np.isfinite(tr.intensity).any() else 60.0
            locals_.append(local_features(tr.va, tr.f0, tr.intensity, db_med))
            globs.append(global_features(f0_med, db_med))
            lengths.append(len(table))
    n_frames = max(lengths)
    local = np.zeros((len(locals_), locals_[0].shape[0], n_frames), dtype=np.float32)
    for i, loc in enumerate(locals_):
        local[i, :, : loc.shape[1]] = loc
    n = int(round(n_frames / TOKEN_RATE * model.cfg.sample_rate))
    gen = torch.Generator().manual_seed(torch_seed(seed))
    t0 = time.perf_counter()
    y = model.generate(torch.as_tensor(local), torch.as_tensor(np.stack(globs)), n, temperature, gen).numpy()
    spent = time.perf_counter() - t0
    if model.cfg.sample_rate != sample_rate:
        y = librosa.resample(y, orig_sr=model.cfg.sample_rate, target_sr=sample_rate, res_type="soxr_hq")
    out = []
    for i in range(len(tables)):
        out.append([y[2 * i], y[2 * i + 1]])
    return out, spent


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
    from babbler.fileio import read_stereo

    audio, sr = read_stereo(path)
    if sr != sample_rate:
        audio = librosa.resample(audio.T, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq").T
    return audio
