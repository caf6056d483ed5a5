"""The `source_filter` babble voice: the signal-level synthesizer (`babbler.synth.source_filter`) with a vocal
tract matched to each speaker (no training)."""

from __future__ import annotations

import numpy as np

from babbler.models.dataset import SpeakerScale
from babbler.synth.source_filter import SpeakerVoice, synthesize
from babbler.voices.spec import Tracks, Voice
from babbler.voices.streaming import StreamingSourceFilter


def render_source_filter(
    tracks: Tracks, sample_rate: int, voice: SpeakerVoice = SpeakerVoice(), seed: int | np.random.SeedSequence = 0
) -> np.ndarray:
    """One speaker's tracks through the synthesizer (pascal scale); exact zeros where VA is off."""
    return synthesize(tracks.va, tracks.f0, tracks.intensity, tracks.frame_rate, sample_rate, voice, seed)


def median_f0(tracks: Tracks, default: float = 120.0) -> float:
    """The speaker's median F0 over voiced frames (Hz), `default` when nothing is voiced."""
    voiced = tracks.f0[np.isfinite(tracks.f0)]
    return float(np.median(voiced)) if len(voiced) else default


def speaker_voice(tracks: Tracks) -> SpeakerVoice:
    """A source-filter voice matched to a speaker: a shorter vocal tract for a higher median F0."""
    scale = float(np.interp(median_f0(tracks), [100.0, 220.0], [1.0, 1.17]))
    return SpeakerVoice(formant_scale=scale)


def render(tracks: list[Tracks], sample_rate: int, seed: int, model=None, settings: dict | None = None) -> list:
    """The registry's render: every track with a voice matched to its speaker, seeds drawn in track order."""
    rng = np.random.default_rng(seed)
    return [render_source_filter(tr, sample_rate, speaker_voice(tr), seed=rng.integers(2**63)) for tr in tracks]


def stream(scale: SpeakerScale, sample_rate: int, f0: float, seed: int) -> StreamingSourceFilter:
    """The live agent's renderer: the streaming form of this voice, its vocal tract matched to the agent's F0."""
    return StreamingSourceFilter(scale, sample_rate, SpeakerVoice(formant_scale=(120.0 / f0) ** 0.25), seed=seed)


VOICE = Voice("source_filter", trains=False, render=render, stream=stream,
              note="hand-built harmonic + noise source through syllable-rate formants (no training)")
