"""Compile librosa's numba kernels once, before a run's parallel jobs each compile them.

librosa jit-compiles its numba kernels on first use and keeps them in numba's on-disk cache. In a
fresh environment every job that touches librosa compiles them itself (about 17 s of CPU each),
so the first wave of parallel jobs (one per dialogue) spends most of its time compiling the same
code at once. One compile before the jobs start leaves them a warm cache.
"""

from __future__ import annotations

import os
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np


def warm_librosa(sample_rate: int = 16000) -> float:
    """Run the librosa calls the stages make on one second of noise; return the seconds it took."""
    start = time.perf_counter()
    import librosa

    noise = np.random.default_rng(0).normal(0.0, 0.1, sample_rate)
    for dtype in (np.float64, np.float32):  # numba compiles each dtype apart: the voice is float64, plots float32
        spec = librosa.stft(noise.astype(dtype), n_fft=512, hop_length=128, window="hann", center=True)
        librosa.istft(spec, hop_length=128, window="hann", length=len(noise))  # voices.source_filter
    y = noise.astype(np.float32)
    librosa.amplitude_to_db(np.abs(spec))  # plots
    librosa.feature.melspectrogram(y=y, sr=sample_rate, n_fft=512, hop_length=160, n_mels=40)  # fidelity
    librosa.resample(y, orig_sr=sample_rate, target_sr=sample_rate // 2, res_type="soxr_hq")  # mono, render
    return time.perf_counter() - start


def stamp_path() -> Path:
    """The file that records a finished warm-up: in numba's cache of librosa (NUMBA_CACHE_DIR, else librosa's
    __pycache__), named after the versions that made it, so a wiped cache or an upgrade warms up again."""
    import librosa

    cache = os.environ.get("NUMBA_CACHE_DIR")
    folder = Path(cache) if cache else Path(librosa.__file__).parent / "__pycache__"
    python = f"{sys.version_info.major}{sys.version_info.minor}"
    return folder / f"babbler-warmup.librosa-{librosa.__version__}.numba-{version('numba')}.py{python}"


def warm_once(sample_rate: int = 16000) -> float | None:
    """`warm_librosa` unless this environment's cache is already warm (its stamp exists): the seconds, or None."""
    stamp = stamp_path()
    if stamp.exists():
        return None
    seconds = warm_librosa(sample_rate)
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(f"{seconds:.1f} s\n")
    except OSError:  # a read-only install: numba caches elsewhere and the warm-up simply runs every time
        pass
    return seconds
