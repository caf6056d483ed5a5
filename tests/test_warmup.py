"""The onstart warm-up compiles every librosa kernel the stages use, so no job compiles one itself."""

import os
import subprocess
import sys
from pathlib import Path

STAGES = """
import numpy as np
import librosa
from babbler.corpora.demo import DemoParams, synthesize_dialogue
from babbler.evaluation.voice_fidelity import mel_cepstra

dialogue = synthesize_dialogue(DemoParams(duration=8.0), np.random.SeedSequence(1))  # corpus: source_filter
y = dialogue.audio[:, 0]
mel_cepstra(y, 16000)  # voice_fidelity
librosa.amplitude_to_db(np.abs(librosa.stft(y.astype(np.float32), n_fft=512, hop_length=128)), ref=np.max)  # plots
librosa.resample(y, orig_sr=16000, target_sr=8000, res_type="soxr_hq")  # mono, render
"""


def _compiled(cache: Path) -> set[str]:
    """The numba cache's compiled specializations (one .nbc file each)."""
    return {str(p.relative_to(cache)) for p in cache.rglob("*.nbc")}


def test_warm_up_leaves_nothing_for_the_stages_to_compile(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    run = dict(env=env, check=True, cwd=Path(__file__).parents[1], capture_output=True, text=True)
    subprocess.run([sys.executable, "-c", "from babbler.util.warmup import warm_librosa; warm_librosa()"], **run)
    warmed = _compiled(tmp_path)
    assert len(warmed) >= 10, warmed  # stft, istft's overlap-add and window sums, the dB and mel helpers
    subprocess.run([sys.executable, "-c", STAGES], **run)
    assert _compiled(tmp_path) == warmed, "a stage compiled a kernel the warm-up does not: add its call to warmup.py"


def test_warm_once_runs_once_per_cache(tmp_path, monkeypatch):
    from babbler.util import warmup

    calls = []
    monkeypatch.setattr(warmup, "warm_librosa", lambda sample_rate=16000: calls.append(sample_rate) or 12.5)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    stamp = warmup.stamp_path()
    assert stamp.parent == tmp_path and "librosa-" in stamp.name and "numba-" in stamp.name and not stamp.exists()
    assert warmup.warm_once() == 12.5 and stamp.read_text() == "12.5 s\n"
    assert warmup.warm_once() is None and len(calls) == 1  # the stamp says the cache is warm
    stamp.unlink()  # a wiped cache warms up again
    assert warmup.warm_once() == 12.5 and len(calls) == 2
