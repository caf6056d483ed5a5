"""The demo corpus: determinism, VA consistent with the sound, human-like turn-taking statistics."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from babbler.corpora import demo
from babbler.timing.events import dialogue_stats, extract_events, fto_values
from babbler.va import segments_to_frames

SECTION = {"duration": 30, "sample_rate": 16000}


def _make(tmp_path, seed, dlg="d001", name="x"):
    out = tmp_path / name
    demo.prepare_dialogue(SECTION, seed, dlg, out / f"{dlg}.wav", out / f"{dlg}.csv", out / f"{dlg}.json")
    return out / f"{dlg}.wav", out / f"{dlg}.csv"


def test_same_seed_gives_identical_bytes_other_seed_differs(tmp_path):
    wav1, va1 = _make(tmp_path, 7, name="a")
    wav2, va2 = _make(tmp_path, 7, name="b")
    wav3, _ = _make(tmp_path, 8, name="c")
    assert wav1.read_bytes() == wav2.read_bytes() and va1.read_bytes() == va2.read_bytes()
    assert wav1.read_bytes() != wav3.read_bytes()
    info = sf.info(wav1)
    assert (info.channels, info.samplerate, info.subtype) == (2, 16000, "PCM_16")
    assert info.frames == 30 * 16000


def test_va_matches_the_energy_of_each_speakers_channel(tmp_path):
    wav, va_path = _make(tmp_path, 3)
    audio, sr = sf.read(wav)
    va = pd.read_csv(va_path)
    hop = sr // 100
    n = len(audio) // hop
    energy = 10 * np.log10((audio[: n * hop].reshape(n, hop, 2) ** 2).mean(axis=1) + 1e-12)
    for c, spk in enumerate("AB"):
        speech = segments_to_frames(va, spk, n)
        assert speech.sum() > 100
        own, other = energy[speech, c], energy[~speech, c]
        # speech frames of the speaker's own channel sit well above its non-speech frames (bleed + noise)
        assert np.median(own) - np.median(other) > 15
        assert np.percentile(own, 10) > np.percentile(other, 50)


def test_demo_timeline_statistics_look_human():
    """On the true VA of 16 dialogues: overlap share, FTO mode/median, backchannels, pauses (design)."""
    p = demo.DemoParams()
    rows, ftos = [], []
    for i in range(1, 17):
        rng = np.random.default_rng(demo.dialogue_seed(1, f"d{i:03d}"))
        segs = demo._turn_timeline(p, rng)
        demo._add_backchannels(segs, p, rng)
        va = pd.DataFrame([("AB"[s], a, b) for s in (0, 1) for a, b in segs[s]], columns=["speaker", "start", "end"])
        ev = extract_events(va, p.duration)
        rows.append(dialogue_stats(ev, p.duration))
        ftos.append(fto_values(ev))
    fto = np.concatenate(ftos)
    share = (fto < 0).mean()
    assert 0.35 <= share <= 0.45
    assert 0.0 <= np.median(fto) <= 0.2
    hist, edges = np.histogram(fto, bins=np.arange(-1.2, 2.0001, 0.1))
    assert 0.0 <= edges[hist.argmax()] + 0.05 <= 0.2  # the mode bin lies within 0–200 ms
    stats = pd.DataFrame(rows)
    assert (stats["backchannel_per_min"] > 0).mean() >= 0.75
    assert stats["pause_per_min"].mean() > 5


def test_params_from_config_rejects_nothing_known_and_converts_lists():
    p = demo.params_from_config({"duration": 12, "bleed_db": [-25, -22]})
    assert p.duration == 12 and p.bleed_db == (-25, -22)
    assert demo.dialogue_ids(3) == ["d001", "d002", "d003"]
    with pytest.raises(TypeError):
        demo.DemoParams(unknown=1)
