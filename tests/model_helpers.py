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
