"""Voices that learn from human recordings (`voice.speakers`): the recordings laid out as sessions, the
speech-likeness measures on known signals, and a tiny workflow that trains a voice on human speech and measures
it on held-out speech (tests/data/speech: a few seconds of LJ Speech and FSDD, with their licences)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from babbler.corpora import speakers
from babbler.errors import ConfigError, InputError
from babbler.evaluation.speech_likeness import (
    Half,
    distance_ratio,
    frechet_distance,
    held_out_span,
    mfcc_frames,
    modulation_frames,
)
from tests.test_workflow import TINY_DEMO, jobs_planned, run_snakemake

DATA = Path(__file__).parent / "data" / "speech"
SR = 16000
SETTINGS = {"val": 0.2, "test": 0.34, "seed": 1, "gap_seconds": 0.3, "sample_rate": SR}


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20000, 3))
    assert frechet_distance(x, rng.standard_normal((20000, 3))) < 0.01
    # a mean shift of (1, 2, 0) adds |Δμ|² = 5; a doubled standard deviation adds tr(Σ + 4Σ − 2·2Σ) = 3
    assert frechet_distance(x, x + [1, 2, 0]) == pytest.approx(5.0, abs=1e-6)
    assert frechet_distance(x, 2 * x) == pytest.approx(3.0, rel=0.02)


def test_modulation_frames_find_the_syllable_rate():
    """A noise carrier whose envelope beats at 4 Hz has its modulation power in the 4–5.7 Hz band; at 10 Hz in
    the 8–11.3 Hz band."""
    rng = np.random.default_rng(1)
    t = np.arange(10 * SR) / SR
    va = np.ones(1000, dtype=bool)
    for rate, band in ((4.0, 4), (10.0, 6)):
        y = 0.1 * rng.standard_normal(len(t)) * (1.1 + np.sin(2 * np.pi * rate * t))
        m = modulation_frames(y, SR, va)
        assert m.shape == (33, 8)
        assert np.argmax(m.mean(axis=0)) == band
    # windows under a quarter speech are left out: with speech in the first second only, those from 0, 0.25, 0.5 s
    assert len(modulation_frames(y, SR, np.r_[np.ones(100, bool), np.zeros(900, bool)])) == 3


def test_distance_ratio_is_one_for_the_speech_itself_and_large_for_a_buzz():
    """Babble that is the speech itself scores the human floor, 1; a buzz at the same level far above it."""
    y, sr = sf.read(DATA / "lj" / "LJ001-0002.flac", dtype="float32")
    z, _ = sf.read(DATA / "lj" / "LJ001-0078.flac", dtype="float32")
    n = min(len(y), len(z))
    y, z = y[:n], z[:n]
    va = np.ones(n * 100 // sr, dtype=bool)
    same = distance_ratio((Half(y, y, va), Half(z, z, va)), sr, mfcc_frames)
    assert same["ratio"] == pytest.approx(1.0, abs=1e-9)  # babble that is the speech: d(h1, h2) both ways
    t = np.arange(n) / sr
    buzz = (np.sign(np.sin(2 * np.pi * 180 * t)) * np.std(y)).astype(np.float32)
    far = distance_ratio((Half(y, buzz, va), Half(z, buzz, va)), sr, mfcc_frames)
    assert far["ratio"] > 5


def test_held_out_span_takes_whole_clips_and_halves_at_a_pause():
    clips = pd.DataFrame({"file": list("abcde"), "split": ["test"] * 4 + ["train"],
                          "start": [0.3, 2.6, 5.0, 9.0, 0.3], "end": [2.3, 4.7, 8.7, 11.0, 5.0]})
    assert held_out_span(clips, 9.0) == (pytest.approx(8.7), pytest.approx(4.85))
    assert held_out_span(clips, 1.0)[0] == pytest.approx(4.7)  # at least two clips
    with pytest.raises(ValueError, match="fewer than two"):
        held_out_span(clips.iloc[3:], 60)


def test_sessions_split_by_file_and_keep_every_sample(tmp_path):
    """Each file lies whole in exactly one session, at the place the clips table says, resampled to the run's
    rate; the partner channel is quiet; a zip gives the same sessions as the folder."""
    outs = {p: tmp_path / f"A-{p}.wav" for p in speakers.SPLITS}
    table = speakers.write_sessions("A", DATA / "fsdd", outs, tmp_path / "A.clips.csv", SETTINGS)
    assert sorted(table["file"]) == sorted(p.name for p in (DATA / "fsdd").glob("*.flac"))
    assert table.groupby("split").size().to_dict() == {"test": 3, "train": 3, "val": 2}
    for _, row in table.iterrows():
        audio, sr = sf.read(outs[row["split"]], dtype="float32")
        assert sr == SR and audio.shape[1] == 2
        src, src_sr = sf.read(DATA / "fsdd" / row["file"], dtype="float32")
        lo, hi = int(round(row["start"] * SR)), int(round(row["end"] * SR))
        assert hi - lo == int(round(len(src) * SR / src_sr))
        assert np.abs(audio[lo:hi, 0]).max() > 0.05  # the speech is there
        assert 20 * np.log10(np.sqrt(np.mean(audio[:, 1] ** 2))) < -70  # the partner is quiet
    zipped = tmp_path / "fsdd.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for p in sorted((DATA / "fsdd").glob("*.flac")):
            zf.write(p, f"speaker/{p.name}")
    outs2 = {p: tmp_path / f"Z-{p}.wav" for p in speakers.SPLITS}
    table2 = speakers.write_sessions("A", zipped, outs2, tmp_path / "Z.clips.csv", SETTINGS)
    assert table2["file"].str.removeprefix("speaker/").tolist() == table["file"].tolist()
    assert np.array_equal(sf.read(outs2["test"])[0], sf.read(outs["test"])[0])


def test_bad_recordings_are_named(tmp_path):
    (tmp_path / "few").mkdir()
    shutil.copy(DATA / "fsdd" / "0_jackson_0.flac", tmp_path / "few")
    with pytest.raises(InputError, match="holds 1 speech recordings"):
        speakers.recordings(tmp_path / "few")
    bad = tmp_path / "bad"
    shutil.copytree(DATA / "fsdd", bad)
    (bad / "5_jackson_0.flac").write_bytes(b"not audio")
    outs = {p: tmp_path / f"{p}.wav" for p in speakers.SPLITS}
    with pytest.raises(InputError, match="5_jackson_0.flac: not a readable audio file"):
        speakers.write_sessions("B", bad, outs, tmp_path / "clips.csv", SETTINGS)
    with pytest.raises(ConfigError, match="voice.speakers.B"):
        speakers.configured({"speakers": {"A": str(DATA / "lj"), "B": None}})
    with pytest.raises(ConfigError, match="neither a folder nor a zip"):
        speakers.check_speakers({"speakers": {"A": str(DATA / "lj"), "B": str(DATA / "lj" / "LJ001-0002.flac"),
                                              "val": 0.1, "test": 0.1}})


SPEAKERS_RUN = {
    **TINY_DEMO,
    "voices": ["source_filter", "wavenet"],
    "voice": {**TINY_DEMO["voice"],
              "speakers": {"A": str(DATA / "lj"), "B": str(DATA / "fsdd"), **SETTINGS, "eval_seconds": 30}},
}


@pytest.fixture(scope="module")
def speakers_run(tmp_path_factory):
    """The tiny demo whose neural voice learns from a few seconds of human speech."""
    workdir = tmp_path_factory.mktemp("speakers")
    run_snakemake(workdir, SPEAKERS_RUN)
    return workdir


def test_voices_learn_from_human_speech_and_are_measured_on_held_out_speech(speakers_run):
    res = speakers_run / "results"
    assert (res / "models/speakers/wavenet.pt").exists() and not (res / "models/demo/wavenet.pt").exists()
    log = (res / "logs/train/speakers/wavenet.log").read_text()
    assert "2 train / 2 val speaker tracks" in log
    metrics = json.loads((res / "eval/demo/metrics.json").read_text())
    for voice in ("source_filter", "wavenet"):
        speech = json.loads((res / f"eval/speakers/speech_{voice}.json").read_text())
        assert set(speech["seats"]) == {"A", "B"}
        assert np.isfinite(speech["seats"]["A"]["speech_distance_ratio"])
        assert speech["seats"]["A"]["seconds"] > 3
        assert metrics["voice"][voice]["speech_distance_ratio"] == pytest.approx(speech["speech_distance_ratio"])
    # the hand-built voice carries the held-out tracks
    sf_speech = json.loads((res / "eval/speakers/speech_source_filter.json").read_text())
    assert sf_speech["va_f1"] > 0.9 and sf_speech["f0_error_median_semitones"] < 0.5
    assert sf_speech["speech_distance_ratio"] > 2  # a formant synthesizer is far from a person
    report = (res / "report/demo/report.html").read_text()
    assert "Voices on held-out human speech" in report
    # the demo re-voiced by the human-learned voice at each seat's pitch (LJ's reader in A, a man of FSDD in B);
    # the hand-built voice keeps the tracks as they are
    shifts = json.loads((res / "corpus/demo.resynth_wavenet/render.json").read_text())["transposed_semitones"]
    test = metrics["test_dialogues"]
    assert set(shifts) == {f"{d}.{s}" for d in test for s in "AB"}
    assert all(shifts[f"{d}.A"] > shifts[f"{d}.B"] for d in test)
    assert "transposed_semitones" not in json.loads((res / "corpus/demo.resynth/render.json").read_text())
    # the held-out measure's length is the measure's own setting: only it and what reads it rerun
    changed = {**SPEAKERS_RUN, "voice": {**SPEAKERS_RUN["voice"],
                                         "speakers": {**SPEAKERS_RUN["voice"]["speakers"], "eval_seconds": 5}}}
    assert jobs_planned(speakers_run, changed) == {"speech_likeness": 2, "voice_fidelity": 2, "evaluate": 1,
                                                   "plots": 1, "report": 1, "all": 1}
    # the sessions keep their own rate: a corpus at another rate renders in the same voices, not retrained
    planned = jobs_planned(speakers_run, {**SPEAKERS_RUN, "audio": {"sample_rate": 8000}})
    assert planned["mono"] > 0 and not {"speaker_recordings", "train_voice", "speech_likeness"} & set(planned)


def test_a_voice_speaks_at_its_seats_pitch_and_level():
    """Tracks at a median of 100 Hz and 60 dB moved to a seat of 200 Hz and 70 dB: one octave up, 10 dB louder,
    timing and melody kept."""
    from babbler.models.dataset import SpeakerScale
    from babbler.voices.render import to_speaker
    from babbler.voices.spec import Tracks

    va = np.r_[np.zeros(10, bool), np.ones(40, bool), np.zeros(10, bool)]
    f0 = np.where(va, np.linspace(80, 125, 60), np.nan)
    db = np.where(va, 60.0, 30.0)
    moved, semitones = to_speaker(Tracks(va, f0, db, frame_rate=50), SpeakerScale(2 * np.nanmedian(f0), 70.0))
    assert semitones == pytest.approx(12.0)
    assert np.array_equal(moved.va, va)
    np.testing.assert_allclose(moved.f0[va], 2 * f0[va])
    np.testing.assert_allclose(moved.intensity, db + 10)
