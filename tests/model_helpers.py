"""Shared test data of the frame-model tests."""

import numpy as np

from babbler.va import runs


def toy_dialogue(rng: np.random.Generator, n: int = 3000) -> np.ndarray:
    """A talks for 0.5–2 s; B always answers 200 ms (10 frames) after A stops, for 0.5 s; then a 0.3–1 s gap."""
    tok = np.zeros((n, 2), dtype=np.int16)
    t = int(rng.integers(5, 20))
    while t < n - 200:
        a = int(rng.integers(25, 100))
        tok[t : t + a, 0] = 5
        t += a + 10
        tok[t : t + 25, 1] = 9
        t += 25 + int(rng.integers(15, 50))
    return tok


def run_lengths_of(track: np.ndarray) -> tuple[list[int], list[int]]:
    """Speech runs, and silences between speech, of one VA track (frames)."""
    starts, ends = runs(track)
    return (ends - starts).tolist(), (starts[1:] - ends[:-1]).tolist()


def varied_dialogue(rng: np.random.Generator, n: int = 3000) -> np.ndarray:
    """Two speakers taking turns at 50 Hz: turns of 0.5–2 s IPUs, a second IPU after a pause now and then, the next
    speaker starting after a gap of 200 ± 200 ms (an overlap when negative), the floor changing hands 3 times in 4."""
    tok = np.zeros((n, 2), dtype=np.int16)
    t, spk = int(rng.integers(5, 20)), 0
    while t < n - 200:
        for _ in range(1 + int(rng.random() < 0.3)):
            ipu = int(rng.integers(25, 100))
            tok[t : t + ipu, spk] = 5
            t += ipu + int(rng.integers(15, 40))
        t -= int(rng.integers(15, 40))
        if rng.random() < 0.75:
            t, spk = max(0, t + int(round(rng.normal(10, 10)))), 1 - spk
        else:
            t += int(rng.integers(20, 60))
    return tok
