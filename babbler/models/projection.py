"""Voice-activity projection targets (VAP, Ekstedt & Skantze 2022): at each frame, which of both speakers talk in four
windows of the next 2 s, one of 256 classes, the training target of the frame model's optional projection head.

The windows are VAP's: 0.2, 0.4, 0.6 and 0.8 s long (10, 20, 30 and 40 frames at 50 Hz), back to back from the next
frame. A window counts as talk where at least half of its frames are speech. Class = Σ bit · 2^(4·speaker + window),
speaker 0 the own, 1 the partner. Frames whose 2 s run past the sequence's end get −1 (not scored).
"""

from __future__ import annotations

import numpy as np

WINDOWS = (10, 20, 30, 40)  # frames at 50 Hz: 0.2, 0.4, 0.6, 0.8 s
HORIZON = sum(WINDOWS)  # 100 frames, 2 s
CLASSES = 2 ** (2 * len(WINDOWS))  # 256


def projection_targets(own: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """Per frame t of (T,) own and partner tokens: the VAP class of frames t + 1 … t + 100, or −1 past the end."""
    n = len(own)
    out = np.full(n, -1, dtype=np.int64)
    valid = n - HORIZON  # frames 0 … valid − 1 have their whole horizon inside the sequence
    if valid <= 0:
        return out
    cls = np.zeros(valid, dtype=np.int64)
    t = np.arange(valid)
    for s, track in enumerate((own, partner)):
        csum = np.concatenate([[0], np.cumsum(np.asarray(track) > 0)])
        lo = 1
        for w, width in enumerate(WINDOWS):
            talk = csum[t + lo + width] - csum[t + lo]  # speech frames in t + lo … t + lo + width − 1
            cls += (2 * talk >= width).astype(np.int64) << (4 * s + w)
            lo += width
    out[:valid] = cls
    return out
