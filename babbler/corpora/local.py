"""A `local` corpus: the user's own folder of stereo recordings, with optional VA files."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from babbler.corpora.common import clip_va, write_dialogue
from babbler.fileio import audio_info, read_stereo, read_va


def prepare_dialogue(src, va_src, dialogue: str, wav_out, va_out, info_out) -> dict:
    """Validate one user recording (and its VA, if given) and write them in the corpus layout."""
    audio, sr = read_stereo(src)
    va = read_va(va_src) if va_src else None
    if va is not None and len(va) and va["end"].max() > audio.shape[0] / sr + 1.0:
        from babbler.errors import InputError

        raise InputError(va_src, f"VA runs to {va['end'].max():.2f} s but {src} lasts {audio.shape[0] / sr:.2f} s")
    if va is not None:
        va = clip_va(va, audio.shape[0] / sr, str(va_src))
    subtype = audio_info(src).subtype
    if subtype not in sf.available_subtypes("WAV"):
        subtype = "PCM_16"
    extra = {"source_file": str(Path(src).resolve())}
    return write_dialogue(dialogue, audio, sr, va, wav_out, va_out, info_out, extra=extra, subtype=subtype,
                          source=str(src))
