"""Split a stereo dialogue into one mono track per speaker at the configured sample rate."""

from __future__ import annotations

import logging
from pathlib import Path

import librosa
import numpy as np

from babbler.util.fileio import read_channel, silent_channels, write_wav

log = logging.getLogger(__name__)


def split_channels(src: str | Path, out_a: str | Path, out_b: str | Path, sample_rate: int) -> dict:
    """Write channel 0 as speaker A and channel 1 as speaker B, resampled with soxr (librosa), 16-bit. The channels
    are read one at a time: an hour of 48 kHz stereo never lies in memory whole."""
    outs = []
    for c in range(2):
        y, sr = read_channel(src, c)
        if silent_channels(y):
            log.warning("%s: channel %d (speaker %s) is digital silence", src, c, "AB"[c])
        if sr != sample_rate:
            y = librosa.resample(y, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq")
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        if peak > 1.0:  # resampling overshoot near full scale: clip rather than wrap
            log.warning("%s: channel %d peaks at %.3f after resampling; clipped to full scale", src, c, peak)
            y = np.clip(y, -1.0, 1.0)
        outs.append(y)
    write_wav(out_a, outs[0], sample_rate)
    try:
        write_wav(out_b, outs[1], sample_rate)
    except BaseException:
        Path(out_a).unlink(missing_ok=True)  # never leave one speaker without the other
        raise
    return {"source_rate": sr, "sample_rate": sample_rate, "frames": len(outs[0])}
