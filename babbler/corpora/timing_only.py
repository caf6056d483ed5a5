"""Audio for timing-only dialogues: voice activity without a recording (word alignments) rendered by the
`source_filter` voice, so the whole chain runs unchanged (design: timing-only corpora).

The prosody carries no turn cues: every IPU's boundary tone and loudness are drawn from one distribution,
whoever speaks next, so nothing but the timing itself tells a turn's end. The noise floor and the
cross-talk bleed are those of generated sets (config `voice.noise_db`, `voice.bleed_db`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from babbler.corpora.common import check_seconds, write_dialogue
from babbler.corpora.demo import draw_speaker, mix_recording, speaker_babble
from babbler.errors import InputError
from babbler.util.seeds import derived_seed
from babbler.va import VA_RATE

RENDER_RATE = 16000  # Hz of rendered recordings unless told (the workflow renders at audio.sample_rate)
TAIL_SECONDS = 1.0  # silence kept after the last segment
MAX_HOURS = 4.0  # a rendered dialogue's limit: two-party recordings last minutes; times in ms would last weeks


def render_levels(config: dict) -> dict:
    """The noise floor and bleed of rendered dialogues (config `voice`) and their rate (`audio.sample_rate`, so the
    mono stage has nothing to resample), as `render_va` takes them."""
    return {"bleed_db": float(config["voice"]["bleed_db"]), "noise_db": float(config["voice"]["noise_db"]),
            "sample_rate": int(config["audio"]["sample_rate"])}


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
        speaker = draw_speaker(rng)
        own = va[va["speaker"] == spk]
        segs = sorted(zip(own["start"].to_numpy(float), own["end"].to_numpy(float)))
        no_cue = list(rng.random(len(segs)) < 0.5)  # tone and fall drawn alike at every boundary
        voices.append(speaker_babble(va, spk, segs, no_cue, total, speaker, sample_rate, rng))
        info[f"{spk}_f0_base"] = round(speaker.base_f0, 1)
    audio = mix_recording(voices, sample_rate, rng, (bleed_db, bleed_db), (noise_db, noise_db))
    info.update(bleed_db=bleed_db, noise_db=noise_db)
    return audio, info


def write_rendered(va: pd.DataFrame, dialogue: str, corpus_seed: int, render: dict, wav_out, va_out, info_out,
                   source: str, extra: dict | None = None) -> dict:
    """Render a timing-only dialogue from its VA and write it in the corpus layout (as `write_dialogue`); raises
    InputError naming `source` for VA in milliseconds or running past MAX_HOURS."""
    check_seconds(va, source)
    duration = va_duration(va)
    if duration > MAX_HOURS * 3600:
        raise InputError(source, f"its last segment ends at {duration - TAIL_SECONDS:.0f} s "
                                 f"({(duration - TAIL_SECONDS) / 3600:.1f} h), past the {MAX_HOURS:g} h a rendered "
                                 f"dialogue may last")
    audio, info = render_va(va, duration, derived_seed(corpus_seed, dialogue), **render)
    rate = render.get("sample_rate", RENDER_RATE)
    return write_dialogue(dialogue, audio, rate, va, wav_out, va_out, info_out, extra={**info, **(extra or {})},
                          source=source)
