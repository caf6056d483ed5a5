"""Compile librosa's numba kernels once, before a run's parallel jobs each compile them.

librosa jit-compiles its numba kernels on first use and keeps them in numba's on-disk cache. In a
fresh environment every job that touches librosa compiles them itself (about 17 s of CPU each),
so the first wave of parallel jobs (one per dialogue) spends most of its time compiling the same
code at once. One compile before the jobs start leaves them a warm cache.
"""

from __future__ import annotations

import time

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
    librosa.fft_frequencies(sr=sample_rate, n_fft=512)
    librosa.amplitude_to_db(np.abs(spec))  # plots
    librosa.feature.melspectrogram(y=y, sr=sample_rate, n_fft=512, hop_length=160, n_mels=40)  # fidelity
    librosa.resample(y, orig_sr=sample_rate, target_sr=sample_rate // 2, res_type="soxr_hq")  # mono, render
    return time.perf_counter() - start
