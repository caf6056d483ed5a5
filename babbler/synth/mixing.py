"""Mix two speakers' waveforms into a close-talk stereo recording with cross-talk bleed and a noise floor."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

P_REF = 2e-5  # Praat's intensity reference: samples are read as pascal, dB re 20 µPa


def coloured_noise(rng: np.random.Generator, n: int, level_db: float) -> np.ndarray:
    """Low-tilted background noise with an RMS of `level_db` dB re 20 µPa."""
    x = lfilter([1.0], [1.0, -0.9], rng.standard_normal(n))
    return x / (x.std() + 1e-12) * P_REF * 10 ** (level_db / 20)


def bleed(signal: np.ndarray, gain_db: float, delay: int) -> np.ndarray:
    """The partner's voice as heard by a close-talk microphone: attenuated, delayed, slightly dulled."""
    dulled = lfilter([0.6], [1.0, -0.4], signal)
    out = np.zeros_like(signal)
    if delay < len(signal):
        out[delay:] = dulled[: len(signal) - delay]
    return out * 10 ** (gain_db / 20)


def mix_stereo(
    a: np.ndarray,
    b: np.ndarray,
    sample_rate: int,
    rng: np.random.Generator,
    bleed_db: tuple[float, float] = (-25.0, -25.0),
    noise_db: tuple[float, float] = (30.0, 30.0),
    delay_ms: float = 2.0,
) -> np.ndarray:
    """Stereo (n × 2) of speaker A on channel 0 and B on channel 1, each with the other's bleed and noise."""
    delay = int(round(delay_ms * 1e-3 * sample_rate))
    ch_a = a + bleed(b, bleed_db[0], delay) + coloured_noise(rng, len(a), noise_db[0])
    ch_b = b + bleed(a, bleed_db[1], delay) + coloured_noise(rng, len(b), noise_db[1])
    return np.stack([ch_a, ch_b], axis=1)
