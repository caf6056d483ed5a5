"""Audio for timing-only dialogues: voice activity without a recording (word alignments) rendered by the
`source_filter` voice, so the whole chain runs unchanged (design: timing-only corpora).

The prosody carries no turn cues: every IPU's boundary tone and loudness are drawn from one distribution,
whoever speaks next, so nothing but the timing itself tells a turn's end. The noise floor and the
cross-talk bleed are those of generated sets (config `voice.noise_db`, `voice.bleed_db`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from babbler.corpora.demo import prosody_tracks
from babbler.mixing import mix_stereo
from babbler.seeds import derived_seed
from babbler.va import VA_RATE, segments_to_frames
from babbler.voices.source_filter import SpeakerVoice, Tracks, render_source_filter

RENDER_RATE = 16000  # Hz of the rendered recordings (the mono stage resamples to audio.sample_rate)
TAIL_SECONDS = 1.0  # silence kept after the last segment


def dialogue_seed(corpus_seed: int, dialogue: str) -> np.random.SeedSequence:
    """A seed per dialogue from the corpus seed and the dialogue id."""
    return derived_seed(corpus_seed, dialogue)


def render_levels(config: dict) -> dict:
    """The noise floor and bleed of rendered dialogues (config `voice`), as `render_va` takes them."""
    return {"bleed_db": float(config["voice"]["bleed_db"]), "noise_db": float(config["voice"]["noise_db"])}


def va_duration(va: pd.DataFrame) -> float:
    """The length of a timing-only dialogue: its last segment's end and a second of silence."""
    return float(va["end"].max()) + TAIL_SECONDS if len(va) else TAIL_SECONDS


def render_va(va: pd.DataFrame, duration: float, seed: np.random.SeedSequence, bleed_db: float = -30.0,
              noise_db: float = 30.0, sample_rate: int = RENDER_RATE) -> tuple[np.ndarray, dict]:
    """Stereo babble (n × 2) whose speech is exactly `va`, and what was drawn for it."""
    rng = np.random.default_rng(seed)
    total = int(round(duration * VA_RATE))
    voices, info = [], {"rendered_from_va": True}
    for spk in "AB":
        female = bool(rng.random() < 0.5)
        base_f0 = rng.normal(205, 20) if female else rng.normal(110, 12)
        level = rng.uniform(66, 72)
        voice = SpeakerVoice(formant_scale=rng.uniform(1.12, 1.22) if female else rng.uniform(0.95, 1.05),
                             syllable_rate=rng.uniform(4.0, 6.0))
        track_va = segments_to_frames(va, spk, total)
        own = va[va["speaker"] == spk]
        segs = sorted(zip(own["start"].to_numpy(float), own["end"].to_numpy(float)))
        no_cue = list(rng.random(len(segs)) < 0.5)  # tone and fall drawn alike at every boundary
        f0, inten = prosody_tracks(segs, no_cue, total, base_f0, level, rng)
        tracks = Tracks(track_va, f0, np.where(track_va, inten, np.nan))
        voices.append(render_source_filter(tracks, sample_rate, voice, seed=rng.integers(2**63)))
        info[f"{spk}_f0_base"] = round(float(base_f0), 1)
    audio = mix_stereo(voices[0], voices[1], sample_rate, rng, bleed_db=(bleed_db, bleed_db),
                       noise_db=(noise_db, noise_db))
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0.99:
        audio *= 0.99 / peak
    info.update(bleed_db=bleed_db, noise_db=noise_db)
    return audio, info
