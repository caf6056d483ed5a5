"""Per-speaker prosody on 10 ms frames with Parselmouth: speaker-adaptive F0 and intensity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import parselmouth

from babbler.va import VA_RATE

WIDE_FLOOR, WIDE_CEILING = 60.0, 600.0  # first pass: any adult voice
INTENSITY_MIN_PITCH = 100.0  # Praat window 3.2 / 100 Hz = 32 ms: the stored intensity contour
VAD_MIN_PITCH = 300.0  # window 3.2 / 300 Hz ≈ 10.7 ms, one VA frame: the VAD's sharper contour
INTENSITY_FLOOR_DB = -20.0  # digital silence reads as about -300 dB in Praat; clamp it


@dataclass
class Prosody:
    """Frame tracks of one channel: F0 (Hz, NaN unvoiced) and intensity (dB re 20 µPa), 10 ms frames."""

    f0: np.ndarray
    intensity: np.ndarray
    vad_intensity: np.ndarray
    pitch_floor: float
    pitch_ceiling: float

    @property
    def voiced(self) -> np.ndarray:
        """Frames with a pitch."""
        return np.isfinite(self.f0)


def _on_frames(times: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sample a Praat track at the centres of our frames (i + 0.5) / 100 s, nearest Praat frame."""
    centres = (np.arange(n) + 0.5) / VA_RATE
    if len(times) == 0:
        return np.full(n, np.nan)
    dt = times[1] - times[0] if len(times) > 1 else 1.0 / VA_RATE
    idx = np.clip(np.rint((centres - times[0]) / dt).astype(int), 0, len(times) - 1)
    out = values[idx].astype(float)
    outside = (centres < times[0] - dt) | (centres > times[-1] + dt)
    out[outside] = np.nan
    return out


def _pitch(sound: parselmouth.Sound, floor: float, ceiling: float, n: int) -> np.ndarray:
    """Autocorrelation F0 (Praat To Pitch (ac)) on our frames, NaN where unvoiced."""
    pitch = sound.to_pitch_ac(time_step=1.0 / VA_RATE, pitch_floor=floor, pitch_ceiling=ceiling)
    f0 = pitch.selected_array["frequency"]
    f0 = np.where(f0 > 0, f0, np.nan)
    return _on_frames(pitch.xs(), f0, n)


def adaptive_range(f0: np.ndarray) -> tuple[float, float]:
    """Speaker pitch floor/ceiling from first-pass F0: 0.72·q35 and 1.9·q65 (De Looze & Hirst 2008)."""
    voiced = f0[np.isfinite(f0)]
    if len(voiced) < 20:
        return WIDE_FLOOR, WIDE_CEILING
    q35, q65 = np.percentile(voiced, [35, 65])
    floor = float(np.clip(0.72 * q35, 40.0, 300.0))
    ceiling = float(np.clip(1.9 * q65, floor + 100.0, 1000.0))
    return floor, ceiling


def _intensity(sound: parselmouth.Sound, min_pitch: float, n: int) -> np.ndarray:
    """Praat intensity (dB re 20 µPa, mean subtracted) on our frames; edges carry the nearest value."""
    inten = sound.to_intensity(minimum_pitch=min_pitch, time_step=1.0 / VA_RATE, subtract_mean=True)
    values = _on_frames(inten.xs(), inten.values[0], n)
    ok = np.isfinite(values)
    if not ok.any():
        return np.full(n, INTENSITY_FLOOR_DB)
    idx = np.arange(n)
    return np.maximum(np.interp(idx, idx[ok], values[ok]), INTENSITY_FLOOR_DB)


def _frames(samples: np.ndarray, sample_rate: int, duration: float | None) -> int:
    """Number of 10 ms frames of a signal (or of `duration` seconds)."""
    return int(round((duration if duration is not None else len(samples) / sample_rate) * VA_RATE))


def first_pass(samples: np.ndarray, sample_rate: int, duration: float | None = None) -> Prosody:
    """Wide-range F0 (60–600 Hz) and both intensity contours of one mono channel."""
    samples = np.asarray(samples, dtype=np.float64)
    n = _frames(samples, sample_rate, duration)
    if not np.any(samples):
        floor = np.full(n, INTENSITY_FLOOR_DB)
        return Prosody(np.full(n, np.nan), floor, floor.copy(), WIDE_FLOOR, WIDE_CEILING)
    sound = parselmouth.Sound(samples, sampling_frequency=sample_rate)
    return Prosody(
        _pitch(sound, WIDE_FLOOR, WIDE_CEILING, n),
        _intensity(sound, INTENSITY_MIN_PITCH, n),
        _intensity(sound, VAD_MIN_PITCH, n),
        WIDE_FLOOR,
        WIDE_CEILING,
    )


def refine_pitch(samples: np.ndarray, sample_rate: int, first: Prosody, speech: np.ndarray | None = None) -> Prosody:
    """Second pitch pass in the speaker's own range, estimated from first-pass F0 on `speech` frames."""
    f0_wide = first.f0 if speech is None else np.where(speech, first.f0, np.nan)
    floor, ceiling = adaptive_range(f0_wide)
    if (floor, ceiling) == (WIDE_FLOOR, WIDE_CEILING) or not np.any(samples):
        f0 = f0_wide
    else:
        sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64), sampling_frequency=sample_rate)
        f0 = _pitch(sound, floor, ceiling, len(first.f0))
        if speech is not None:
            f0 = np.where(speech, f0, np.nan)
    return Prosody(f0, first.intensity, first.vad_intensity, floor, ceiling)


def extract_prosody(
    samples: np.ndarray, sample_rate: int, duration: float | None = None, speech: np.ndarray | None = None
) -> Prosody:
    """F0 (two passes, speaker-adaptive range; NaN outside `speech` if given) and intensity on 10 ms frames."""
    return refine_pitch(samples, sample_rate, first_pass(samples, sample_rate, duration), speech)
