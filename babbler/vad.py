"""Voice activity of both speakers of a dialogue: intensity with a cross-talk guard, silero, or reference."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from babbler.va import VA_RATE, ipu_track, runs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntensityVadParams:
    """Thresholds of the intensity VAD, in dB above what noise and partner bleed explain."""

    on_db: float = 10.0  # a run starts where the level exceeds the explained level by this much
    off_db: float = 5.0  # … and lasts while it exceeds it by this much (hysteresis)
    noise_percentile: float = 5.0
    min_voiced_frames: int = 3  # a speech run must hold some voicing (drops clicks, coughs, noise bursts)
    min_dynamic_db: float = 10.0  # a channel whose level never rises this far above its floor is silent
    bleed_percentile: float = 5.0  # of own − partner level over the partner's loudest frames
    max_bleed_db: float = -6.0  # a close-talk channel never carries its partner within 6 dB of the partner


@dataclass
class ChannelLevels:
    """Per-dialogue estimates for one channel: its noise floor and how much of the partner bleeds in."""

    noise_db: float
    bleed_db: float  # partner level + bleed_db = the partner's level as heard in this channel


def _power_sum(*levels_db: np.ndarray) -> np.ndarray:
    """Level of the sum of incoherent sources given their levels in dB."""
    return 10 * np.log10(sum(10 ** (np.asarray(x) / 10) for x in levels_db))


def estimate_levels(own: np.ndarray, partner: np.ndarray, p: IntensityVadParams) -> ChannelLevels:
    """Noise floor (low percentile) and bleed coupling (own − partner level where only the partner is loud)."""
    noise = float(np.percentile(own, p.noise_percentile))
    loud = partner >= np.percentile(partner, 80)
    if loud.sum() < 10:
        return ChannelLevels(noise, -120.0)
    diff = own[loud] - partner[loud]
    # Where the partner is loud and this speaker silent, own − partner is the coupling; take the low end.
    # Short or overlap-heavy recordings have few such frames: the cap keeps own speech from passing for bleed.
    return ChannelLevels(noise, float(min(np.percentile(diff, p.bleed_percentile), p.max_bleed_db)))


def excess_db(own: np.ndarray, partner: np.ndarray, p: IntensityVadParams) -> tuple[np.ndarray, ChannelLevels]:
    """The cross-talk guard: how far a channel's level rises above what its noise floor and its partner's bleed
    explain (dB per frame), with the levels it estimated."""
    lv = estimate_levels(own, partner, p)
    explained = _power_sum(np.full(len(own), lv.noise_db), partner + lv.bleed_db)
    return own - explained, lv


def hysteresis(score: np.ndarray, on: float, off: float) -> np.ndarray:
    """Runs where `score` stays above `off` and somewhere exceeds `on`."""
    candidate = score > off
    out = np.zeros_like(candidate)
    for s, e in zip(*runs(candidate)):
        if (score[s:e] > on).any():
            out[s:e] = True
    return out


def intensity_vad(
    intensity: dict[str, np.ndarray], voiced: dict[str, np.ndarray], p: IntensityVadParams = IntensityVadParams(),
    name: str = "",
) -> dict[str, np.ndarray]:
    """VA of speakers A and B from both channels' intensity and voicing (partner bleed is not speech)."""
    out = {}
    for spk, other in (("A", "B"), ("B", "A")):
        own, partner = intensity[spk], intensity[other]
        if np.percentile(own, 99) - np.percentile(own, p.noise_percentile) < p.min_dynamic_db:
            log.warning("%s: channel %s never rises %.0f dB above its floor; taken as silent", name, spk,
                        p.min_dynamic_db)
            out[spk] = np.zeros(len(own), dtype=bool)
            continue
        excess, lv = excess_db(own, partner, p)
        speech = hysteresis(excess, p.on_db, p.off_db)
        for s, e in zip(*runs(speech)):
            if voiced[spk][s:e].sum() < p.min_voiced_frames:
                speech[s:e] = False
        log.info("%s: channel %s noise %.1f dB, partner bleed %+.1f dB", name, spk, lv.noise_db, lv.bleed_db)
        out[spk] = ipu_track(speech)
    return out


def silero_vad(
    samples: dict[str, np.ndarray], sample_rate: int, intensity: dict[str, np.ndarray], n: int,
    threshold: float = 0.5, name: str = "",
) -> dict[str, np.ndarray]:
    """VA per channel from the silero-vad model shipped in its wheel, gated by the intensity cross-talk guard."""
    import warnings

    import librosa
    import torch
    from silero_vad import load_silero_vad

    with warnings.catch_warnings():  # the package's own deprecated resource/JIT loading
        warnings.simplefilter("ignore", DeprecationWarning)
        model = load_silero_vad()
    guard_params = IntensityVadParams()
    out = {}
    for spk, other in (("A", "B"), ("B", "A")):
        y = samples[spk].astype(np.float32)
        if sample_rate not in (8000, 16000):
            y = librosa.resample(y, orig_sr=sample_rate, target_sr=16000, res_type="soxr_hq")
        sr = sample_rate if sample_rate in (8000, 16000) else 16000
        with torch.no_grad():
            probs = model.audio_forward(torch.from_numpy(y), sr).squeeze(0).numpy()
        chunk = 512 if sr == 16000 else 256  # samples per model step (32 ms)
        centres = (np.arange(n) + 0.5) / VA_RATE
        p_frames = probs[np.clip((centres * sr / chunk).astype(int), 0, len(probs) - 1)]
        speech = hysteresis(p_frames, threshold, threshold - 0.15)
        speech &= excess_db(intensity[spk], intensity[other], guard_params)[0] > guard_params.off_db  # not bleed
        out[spk] = ipu_track(speech)
        log.info("%s: silero VA on channel %s: %.1f%% of frames", name, spk, 100 * speech.mean())
    return out
