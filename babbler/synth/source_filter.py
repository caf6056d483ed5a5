"""The source-filter babble synthesizer: harmonic + noise source, syllable-rate formants, intensity-following gain."""

from __future__ import annotations

import math
from dataclasses import dataclass

import librosa
import numpy as np
from scipy.ndimage import uniform_filter1d

from babbler.synth.mixing import (
    P_REF,  # levels in dB re 20 µPa, as Praat reads samples (pascal)
)

# Male vowel formant targets F1–F3 in Hz (Peterson & Barney 1952 averages, rounded): i, ɛ, a, ɔ, u, ʌ.
VOWELS = np.array(
    [[270, 2290, 3010], [530, 1840, 2480], [730, 1090, 2440], [570, 840, 2410], [300, 870, 2240], [640, 1190, 2390]],
    dtype=float,
)
BANDWIDTHS = np.array([80.0, 100.0, 140.0, 200.0, 250.0])
UPPER_FORMANTS = np.array([3500.0, 4500.0])


@dataclass(frozen=True)
class SpeakerVoice:
    """The identity of one babbling speaker: vocal-tract scale, syllable rate, breathiness, jitter."""

    formant_scale: float = 1.0
    syllable_rate: float = 5.0
    breathiness: float = 0.04
    jitter: float = 0.006
    max_harmonic_hz: float = 5000.0


def _per_sample(frame_values: np.ndarray, frame_rate: float, n: int, sample_rate: int) -> np.ndarray:
    """Linearly interpolate per-frame values (given at frame centres) to every sample."""
    centres = (np.arange(len(frame_values)) + 0.5) / frame_rate
    t = np.arange(n) / sample_rate
    return np.interp(t, centres, frame_values)


def _fill_nan(x: np.ndarray, default: float) -> np.ndarray:
    """Replace NaNs by linear interpolation between valid neighbours (constant at the ends)."""
    ok = np.isfinite(x)
    if not ok.any():
        return np.full_like(x, default)
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def _smooth_noise(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Unit-variance low-pass noise: white noise averaged over `width` samples."""
    x = uniform_filter1d(rng.standard_normal(n + 2 * width), max(width, 1))[width : width + n]
    return x / (x.std() + 1e-12)


def _harmonic_source(f0: np.ndarray, sample_rate: int, voice: SpeakerVoice, at: np.ndarray | None = None,
                     block: int = 1 << 15) -> np.ndarray:
    """Band-limited glottal-like source: Σ_k sin(k·φ)/k over harmonics below the limit, by complex rotation.

    The phase runs over the whole signal (pitch periods stay continuous); the sum is formed only at the samples
    `at` (all when None), in cache-sized blocks, and a harmonic's fade is computed only where it can reach the
    limit: the same values as the whole-signal sum at those samples."""
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    fmax = min(voice.max_harmonic_hz, 0.45 * sample_rate)
    k_max = int(fmax / max(float(f0.min()), 40.0)) + 1
    idx = np.arange(len(f0)) if at is None else np.asarray(at)
    out = np.zeros(len(idx))
    for lo in range(0, len(idx), block):
        sel = idx[lo : lo + block]
        f0_b = f0[sel]
        z = np.exp(1j * phase[sel])
        zk = z.copy()
        acc = out[lo : lo + block]
        full_below = int((0.9 * fmax) // max(float(f0_b.max()), 1e-9))  # harmonics below the fade everywhere
        for k in range(1, k_max + 1):
            if k <= full_below:  # weight exactly 1/k: the fade's clip is 1 at every sample
                acc += (1.0 / k) * zk.imag
            else:
                # weight 1/k, faded out over the last 10% below the harmonic limit (no aliasing, no clicks)
                acc += np.clip((fmax - k * f0_b) / (0.1 * fmax), 0.0, 1.0) / k * zk.imag
            zk *= z
    return out


def _formant_tracks(n_frames: int, hop_s: float, voice: SpeakerVoice, rng: np.random.Generator) -> np.ndarray:
    """F1–F5 (Hz) per STFT frame, moving between vowel targets at the speaker's syllable rate."""
    duration = n_frames * hop_s
    mean = 1.0 / voice.syllable_rate
    times, t = [0.0], 0.0
    while t < duration + mean:
        t += rng.gamma(8.0, mean / 8.0)
        times.append(t)
    vowels = [int(rng.integers(len(VOWELS)))]
    for _ in range(len(times) - 1):
        choices = [v for v in range(len(VOWELS)) if v != vowels[-1]]
        vowels.append(int(rng.choice(choices)))
    centres = np.array(times)
    targets = VOWELS[vowels] * voice.formant_scale * rng.uniform(0.95, 1.05, size=(len(vowels), 1))
    frame_t = np.arange(n_frames) * hop_s
    low = np.stack([np.interp(frame_t, centres, targets[:, j]) for j in range(3)], axis=1)
    high = np.broadcast_to(UPPER_FORMANTS * voice.formant_scale, (n_frames, 2))
    return np.concatenate([low, high], axis=1)


def _cascade_gain(freqs: np.ndarray, formants: np.ndarray) -> np.ndarray:
    """Magnitude response (frames × bins) of a cascade of second-order resonators (Klatt 1980)."""
    log_gain = np.zeros((formants.shape[0], len(freqs)), dtype=np.float32)
    f2 = (freqs**2)[None, :]
    for j in range(formants.shape[1]):
        fj = formants[:, j : j + 1]
        denom = np.sqrt((fj**2 - f2) ** 2 + (freqs[None, :] * BANDWIDTHS[j]) ** 2)
        log_gain += np.log(fj**2 / np.maximum(denom, 1e-9)).astype(np.float32)
    return np.exp(log_gain)


PIECE_SECONDS = 300.0  # tracks longer than 1.5 pieces are rendered a piece at a time, cut in the speaker's silences


def synthesize(
    va: np.ndarray,
    f0: np.ndarray,
    intensity: np.ndarray,
    frame_rate: float,
    sample_rate: int,
    voice: SpeakerVoice = SpeakerVoice(),
    seed: int | np.random.SeedSequence = 0,
) -> np.ndarray:
    """Render one speaker's frame tracks (VA, F0 in Hz with NaN unvoiced, intensity in dB re 20 µPa) to a float
    waveform (pascal scale); exact zeros where VA is off.

    A track longer than 1.5 × PIECE_SECONDS is rendered in pieces of about PIECE_SECONDS, each cut in the middle of
    one of the speaker's silences and drawn from its own seed, so that memory stays that of one piece (a whole
    rendering held about 3 MB per second of 16 kHz audio: 11 GB for an hour)."""
    va, f0, intensity = np.asarray(va, dtype=bool), np.asarray(f0, dtype=float), np.asarray(intensity, dtype=float)
    if not (len(va) == len(f0) == len(intensity)):
        raise ValueError("va, f0 and intensity tracks must have the same length")
    n = int(round(len(va) / frame_rate * sample_rate))
    cuts = silent_cuts(va, frame_rate * PIECE_SECONDS) if n and va.any() else []
    if not cuts:
        return _render_piece(va, f0, intensity, frame_rate, sample_rate, voice, seed)
    edges = [0, *cuts, len(va)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    seeds = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key).spawn(len(edges) - 1)  # caller's untouched
    out = np.zeros(n)
    for (a, b), piece_seed in zip(zip(edges[:-1], edges[1:]), seeds):
        start, stop = (int(round(f / frame_rate * sample_rate)) for f in (a, b))
        stop = min(stop, n) if b < len(va) else n
        y = _render_piece(va[a:b], f0[a:b], intensity[a:b], frame_rate, sample_rate, voice, piece_seed)
        out[start : start + min(len(y), stop - start)] = y[: stop - start]  # a piece ends in silence: zeros beyond
    return out


def silent_cuts(va: np.ndarray, piece_frames: float) -> list[int]:
    """Frame indices that cut a VA track into pieces of about `piece_frames`, each in the middle of the silence
    nearest its target (at the target itself where the speaker never pauses near it); [] for a short track."""
    if len(va) <= 1.5 * piece_frames:
        return []
    padded = np.concatenate([[True], np.asarray(va, bool), [True]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    middles = (edges[0::2] + edges[1::2]) // 2  # silences: runs of False between speech (and the track's ends)
    cuts, last = [], 0
    while len(va) - last > 1.5 * piece_frames:
        target = last + piece_frames
        near = middles[(middles > last + piece_frames / 2) & (middles < last + 1.5 * piece_frames)]
        cut = int(near[np.argmin(np.abs(near - target))]) if len(near) else int(target)
        cuts.append(cut)
        last = cut
    return cuts


def _render_piece(va: np.ndarray, f0_track: np.ndarray, intensity: np.ndarray, fr: float, sample_rate: int,
                  voice: SpeakerVoice, seed) -> np.ndarray:
    """`synthesize` of a track in one piece."""
    rng = np.random.default_rng(seed)
    n = int(round(len(va) / fr * sample_rate))
    if n == 0 or not va.any():
        return np.zeros(n)
    active = _per_sample(va.astype(float), fr, n, sample_rate)
    voiced_frames = (va & np.isfinite(f0_track)).astype(float)
    voiced = _per_sample(voiced_frames, fr, n, sample_rate)
    f0_frames = _fill_nan(np.where(va, f0_track, np.nan), default=120.0)
    f0 = _per_sample(f0_frames, fr, n, sample_rate)
    f0 *= 1.0 + voice.jitter * _smooth_noise(rng, n, max(1, sample_rate // 200))

    source = np.zeros(n)
    idx = np.flatnonzero(voiced > 0)
    if idx.size:
        source[idx] = _harmonic_source(f0, sample_rate, voice, at=idx) * voiced[idx]
    noise = rng.standard_normal(n)
    fricative = np.concatenate([[noise[0]], noise[1:] - 0.85 * noise[:-1]])  # high-frequency tilt
    source += voice.breathiness * voiced * noise + 0.5 * np.clip(active - voiced, 0.0, 1.0) * fricative

    n_fft = 2 ** int(math.ceil(math.log2(0.032 * sample_rate)))
    hop = n_fft // 4
    spec = librosa.stft(source, n_fft=n_fft, hop_length=hop, window="hann", center=True)
    formants = _formant_tracks(spec.shape[1], hop / sample_rate, voice, rng)
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)
    sounding = np.flatnonzero(np.abs(spec).max(axis=0) > 0)  # the filter only matters where there is sound
    gain = np.ones(spec.shape[::-1], dtype=np.float32)
    gain[sounding] = _cascade_gain(freqs, formants[sounding])
    y = librosa.istft(spec * gain.T, hop_length=hop, window="hann", length=n)

    # Gain: follow the intensity track (dB re 20 µPa) measured over a 30 ms window, gated by VA.
    target = P_REF * 10.0 ** (_per_sample(np.nan_to_num(intensity, nan=0.0), fr, n, sample_rate) / 20.0)
    win = max(1, int(0.03 * sample_rate))
    local_rms = np.sqrt(uniform_filter1d(y**2, win) + 1e-12)
    floor = 1e-3 * (np.sqrt(np.mean(y[active > 0.5] ** 2)) if (active > 0.5).any() else 1.0)
    out = y * target / np.maximum(local_rms, floor) * active
    out[active <= 0] = 0.0
    return out
