"""The `source_filter` voice in streaming form: one 20 ms frame of babble per call, as the agent decides it.

The batch voice (`source_filter.py`) filters a whole track in the STFT domain; a live agent cannot wait for the whole
track. This one keeps every state across calls so that frames join without clicks: the harmonic source's phase, a
cascade of five second-order formant resonators (Klatt 1980) whose filter memory carries over and whose formants
move between vowel targets at the speaker's syllable rate (updated every 5 ms), and a gain that ramps across each
frame from the last frame's value to the new one (20 ms fades in and out of speech).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import sosfilt

from babbler.models.dataset import SpeakerScale, token_values
from babbler.synth.mixing import P_REF
from babbler.synth.source_filter import BANDWIDTHS, UPPER_FORMANTS, VOWELS, SpeakerVoice

BLOCK = 80  # samples per formant update (5 ms at 16 kHz)


def resonator_sos(formants: np.ndarray, sample_rate: int) -> np.ndarray:
    """Second-order sections of a cascade of resonators at `formants` (Hz) with unity gain at 0 Hz."""
    r = np.exp(-np.pi * BANDWIDTHS[: len(formants)] / sample_rate)
    c = 2 * r * np.cos(2 * np.pi * formants / sample_rate)
    sos = np.zeros((len(formants), 6))
    sos[:, 0] = 1 - c + r**2
    sos[:, 3] = 1.0
    sos[:, 4] = -c
    sos[:, 5] = r**2
    return sos


class StreamingSourceFilter:
    """`frame(token)` → one 20 ms frame of this speaker's babble (pascal), continuous with the previous one."""

    def __init__(self, scale: SpeakerScale, sample_rate: int = 16000, voice: SpeakerVoice = SpeakerVoice(),
                 seed: int = 0, frame_s: float = 0.02):
        self.scale = scale
        self.sr = sample_rate
        self.voice = voice
        self.hop = int(round(frame_s * sample_rate))
        self.rng = np.random.default_rng(seed)
        self.phase = 0.0
        self.f0 = scale.f0_median
        self.voiced = 0.0
        self.gain = 0.0
        self.rms = None
        self.last_noise = 0.0
        self.zi = np.zeros((5, 2))
        self.t = 0.0  # seconds rendered
        self.targets = [self._vowel(), self._vowel()]
        self.target_t = [0.0, self._syllable()]

    def _vowel(self) -> np.ndarray:
        """F1–F3 of a random vowel for this speaker."""
        return VOWELS[int(self.rng.integers(len(VOWELS)))] * self.voice.formant_scale * self.rng.uniform(0.95, 1.05)

    def _syllable(self) -> float:
        """Duration of one syllable (gamma around the speaker's syllable rate)."""
        mean = 1.0 / self.voice.syllable_rate
        return float(self.rng.gamma(8.0, mean / 8.0))

    def _formants(self, t: float) -> np.ndarray:
        """F1–F5 at time t, moving linearly between the current and the next vowel target."""
        while t > self.target_t[1]:
            self.targets = [self.targets[1], self._vowel()]
            self.target_t = [self.target_t[1], self.target_t[1] + self._syllable()]
        w = (t - self.target_t[0]) / max(self.target_t[1] - self.target_t[0], 1e-6)
        low = (1 - w) * self.targets[0] + w * self.targets[1]
        return np.concatenate([low, UPPER_FORMANTS * self.voice.formant_scale])

    def _source(self, f0_to: float, voiced_to: float, active: bool) -> np.ndarray:
        """The excitation of one frame: harmonics ramping in F0 and voicing, breath and frication noise."""
        n = self.hop
        ramp = (np.arange(n) + 1) / n
        f0 = self.f0 + (f0_to - self.f0) * ramp
        f0 *= 1.0 + self.voice.jitter * self.rng.standard_normal() * 0.5
        phase = self.phase + 2 * np.pi * np.cumsum(f0) / self.sr
        self.phase = float(np.mod(phase[-1], 2 * np.pi))
        voiced = self.voiced + (voiced_to - self.voiced) * ramp
        fmax = min(self.voice.max_harmonic_hz, 0.45 * self.sr)
        k = np.arange(1, int(fmax / max(float(f0.min()), 40.0)) + 2)[:, None]  # harmonics × samples, summed in order
        harm = np.add.reduce(np.clip((fmax - k * f0) / (0.1 * fmax), 0.0, 1.0) / k * np.sin(k * phase), axis=0)
        noise = self.rng.standard_normal(n)
        fricative = noise - 0.85 * np.concatenate([[self.last_noise], noise[:-1]])
        self.last_noise = float(noise[-1])
        self.f0, self.voiced = f0_to, voiced_to
        return harm * voiced + self.voice.breathiness * voiced * noise + 0.5 * (1 - voiced) * fricative * active

    def frame(self, token: int) -> np.ndarray:
        """Render the next 20 ms for this token (0 = silence)."""
        va, f0, db = token_values(np.array([token]), self.scale)
        active = bool(va[0])
        voiced_to = 1.0 if active and np.isfinite(f0[0]) else 0.0
        f0_to = float(f0[0]) if voiced_to else self.f0
        src = self._source(f0_to, voiced_to, active)
        out = np.empty(self.hop)
        for s in range(0, self.hop, BLOCK):
            sos = resonator_sos(self._formants(self.t + s / self.sr), self.sr)
            out[s : s + BLOCK], self.zi = sosfilt(sos, src[s : s + BLOCK], zi=self.zi)
        self.t += self.hop / self.sr
        if active:  # gain: the token's intensity over a running estimate of the filtered level
            block_rms = float(np.sqrt(np.mean(out**2)) + 1e-12)
            self.rms = block_rms if self.rms is None else 0.5 * self.rms + 0.5 * block_rms
            target = P_REF * 10 ** (float(db[0]) / 20) / self.rms
        else:
            target = 0.0
        gain = self.gain + (target - self.gain) * (np.arange(self.hop) + 1) / self.hop
        self.gain = target
        return out * gain
