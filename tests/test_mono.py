"""Mono stage and audio input checks: known two-tone input, resampling, and bad files."""

import logging

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from babbler.errors import InputError
from babbler.signal.mono import split_channels
from babbler.util.fileio import read_stereo
from tests.helpers import FOLLOWER_WORDS, GIVER_WORDS, maptask_wav


def _peak_hz(y: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[spec.argmax()])


def _tone_level_db(y: np.ndarray, sr: int, hz: float) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    band = np.abs(freqs - hz) < 5
    return 20 * np.log10(spec[band].max() + 1e-12)


@pytest.mark.parametrize("src_rate", [20000, 16000, 44100])
def test_two_tone_stereo_splits_and_resamples(tmp_path, src_rate):
    dur = 2.0
    t = np.arange(int(src_rate * dur)) / src_rate
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 1250 * t)], axis=1)
    src = tmp_path / "d.wav"
    sf.write(src, stereo, src_rate, subtype="PCM_16")
    out_a, out_b = tmp_path / "d.A.wav", tmp_path / "d.B.wav"
    split_channels(src, out_a, out_b, 16000)
    a, sr_a = sf.read(out_a)
    b, sr_b = sf.read(out_b)
    assert sr_a == sr_b == 16000
    assert sf.info(out_a).subtype == "PCM_16" and sf.info(out_a).channels == 1
    assert len(a) == len(b) == 32000
    assert _peak_hz(a, 16000) == pytest.approx(440, abs=1)
    assert _peak_hz(b, 16000) == pytest.approx(1250, abs=1)
    # each output holds only its own channel: the other tone is > 60 dB down
    assert _tone_level_db(a, 16000, 440) - _tone_level_db(a, 16000, 1250) > 60
    assert _tone_level_db(b, 16000, 1250) - _tone_level_db(b, 16000, 440) > 60
    assert np.sqrt(np.mean(a**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def _expect_bad(tmp_path, src, match):
    out_a, out_b = tmp_path / "o.A.wav", tmp_path / "o.B.wav"
    with pytest.raises(InputError, match=match) as err:
        split_channels(src, out_a, out_b, 16000)
    assert str(src) in str(err.value)
    assert not out_a.exists() and not out_b.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]


def test_mono_file_is_rejected(tmp_path):
    src = tmp_path / "mono.wav"
    sf.write(src, np.zeros(1600) + 0.1, 16000)
    _expect_bad(tmp_path, src, "found mono audio")


def test_three_channel_file_is_rejected(tmp_path):
    src = tmp_path / "three.wav"
    sf.write(src, np.zeros((1600, 3)) + 0.1, 16000)
    _expect_bad(tmp_path, src, "found 3-channel audio")


def test_empty_and_unreadable_files_are_rejected(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    _expect_bad(tmp_path, empty, "file is empty")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF this is not really a wave file" * 10)
    _expect_bad(tmp_path, junk, "not a readable audio file")
    _expect_bad(tmp_path, tmp_path / "absent.wav", "does not exist")


def test_truncated_wav_is_rejected(tmp_path):
    src = tmp_path / "full.wav"
    sf.write(src, np.random.default_rng(0).uniform(-0.5, 0.5, (16000, 2)), 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(src.read_bytes()[:30000])  # header promises 16000 frames
    with pytest.raises(InputError, match="cut.wav"):
        read_stereo(cut)
    with pytest.raises(InputError, match="cut.wav: truncated"):
        split_channels(cut, tmp_path / "a.wav", tmp_path / "b.wav", 16000)  # one channel at a time: the same check
    assert not (tmp_path / "a.wav").exists()


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_read_channel_gives_read_stereos_column_a_block_at_a_time(tmp_path, monkeypatch, subtype):
    from babbler.util import fileio

    src = tmp_path / "x.wav"
    sf.write(src, np.random.default_rng(0).uniform(-0.9, 0.9, (5003, 2)), 16000, subtype=subtype)
    monkeypatch.setattr(fileio, "BLOCK_FRAMES", 1000)
    whole, sr = read_stereo(src)
    for c in (0, 1):
        y, sr_c = fileio.read_channel(src, c)
        assert sr_c == sr and y.dtype == np.float32 and y.flags.c_contiguous and np.array_equal(y, whole[:, c])
    sf.write(tmp_path / "m.wav", whole[:, 0], 16000)
    with pytest.raises(InputError, match="m.wav: expected a stereo file"):
        fileio.read_channel(tmp_path / "m.wav", 0)


def test_silent_channel_warns_but_writes(tmp_path, caplog):
    src = tmp_path / "half.wav"
    stereo = np.zeros((16000, 2))
    stereo[:, 0] = 0.3 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000)
    sf.write(src, stereo, 16000, subtype="PCM_16")
    with caplog.at_level(logging.WARNING):
        split_channels(src, tmp_path / "h.A.wav", tmp_path / "h.B.wav", 16000)
    assert "channel 1 (speaker B) is digital silence" in caplog.text
    assert not np.any(sf.read(tmp_path / "h.B.wav")[0])


def test_bad_va_rows_are_logged_with_file_and_line_never_fixed_in_silence(tmp_path, caplog):
    """A local corpus's VA file with a missing end, a negative start, a zero-length row and a row past the end."""
    from babbler.corpora.local import prepare_dialogue
    from babbler.util.fileio import read_va

    va_file = tmp_path / "x.csv"
    va_file.write_text("speaker,start,end\nA,0.5,1.0\nB,-0.4,0.6\nA,1.2,\nB,1.5,1.5\nA,2.5,4.0\nB,3.5,3.9\n")
    wav = tmp_path / "x.wav"
    sf.write(wav, np.random.default_rng(0).normal(0, 0.1, (3 * 16000, 2)), 16000)
    with caplog.at_level(logging.WARNING):
        va = read_va(va_file)
        assert va.index.tolist() == [0, 1, 4, 5] and va.loc[1, "start"] == 0.0
        prepare_dialogue(wav, va_file, "x", tmp_path / "o.wav", tmp_path / "o.csv", tmp_path / "o.json")
    text = caplog.text
    assert f"{va_file}: line 3: segment starts at -0.4 s, before the recording; clipped to 0 s" in text
    assert f"{va_file}: line 4: end time missing; row dropped" in text
    assert f"{va_file}: line 5: zero-length segment at 1.5 s; row dropped" in text
    assert f"{va_file}: VA line 6 (A, 2.5–4 s) lies outside the recording; cut to the recording's 3.000 s" in text
    assert f"{va_file}: VA line 7 (B, 3.5–3.9 s) lies outside the recording; dropped" in text
    written = pd.read_csv(tmp_path / "o.csv")
    assert written.values.tolist() == [["B", 0.0, 0.6], ["A", 0.5, 1.0], ["A", 2.5, 3.0]]
    va_file.write_text("speaker,start,end\nA,0.5,1.0\nB,1.0,half past\n")
    with pytest.raises(InputError, match=r"x\.csv: line 3: end 'half past' is not a number of seconds"):
        read_va(va_file)
    va_file.write_text("speaker,start,end\nA,0.5,1.0\nB,2.0,1.0\n")
    with pytest.raises(InputError, match=r"line 3: a segment ends \(1 s\) before it starts \(2 s\)"):
        read_va(va_file)
    va_file.write_text("speaker,start,end\nA,0.5,1.0\nB,2.0,inf\n")  # was an OverflowError naming no file
    with pytest.raises(InputError, match=r"x\.csv: line 3: an infinite time \(2 s to inf s\)"):
        read_va(va_file)
    va_file.write_text("speaker, start, end\nA , 0.5, 1.0\nB, 1.2 ,2.0\n")  # spaces around the commas
    assert read_va(va_file).values.tolist() == [["A", 0.5, 1.0], ["B", 1.2, 2.0]]
    va_file.write_text("speaker;start;end\nA;0.5;1.0\n")
    with pytest.raises(InputError, match=r"lacks column\(s\) speaker, start, end \(its header: 'speaker;start;end' "
                                         r"separated by semicolons rather than commas; expected speaker,start,end\)"):
        read_va(va_file)


def _va_file(path, a_words, b_words):
    rows = [("A", s, e) for s, e in a_words] + [("B", s, e) for s, e in b_words]
    path.write_text("speaker,start,end\n" + "".join(f"{sp},{s},{e}\n" for sp, s, e in rows))
    return path


def test_local_va_that_swaps_the_channels_is_refused_naming_both_files(tmp_path, caplog):
    """Speaker A must be channel 0: a VA file whose speakers follow the other channels stops the dialogue."""
    from babbler.corpora.local import prepare_dialogue

    wav = tmp_path / "x.wav"
    wav.write_bytes(maptask_wav(giver_channel=0))  # giver words on channel 0, follower words on 1, −30 dB bleed
    right = _va_file(tmp_path / "right.csv", GIVER_WORDS, FOLLOWER_WORDS)
    info = prepare_dialogue(wav, right, "x", tmp_path / "o.wav", tmp_path / "o.csv", tmp_path / "o.json")
    assert info["channel_match"] > 1.5
    swapped = _va_file(tmp_path / "swapped.csv", FOLLOWER_WORDS, GIVER_WORDS)
    with pytest.raises(InputError, match=r"x\.wav: its channels look swapped against .*swapped\.csv.*"
                                         r"channel match -\d\.\d\d"):
        prepare_dialogue(wav, swapped, "y", tmp_path / "y.wav", tmp_path / "y.csv", tmp_path / "y.json")
    assert not any(tmp_path.glob("y.*"))
    # both speakers equally loud on both channels: the mapping cannot be checked, so it is kept with a warning
    audio, sr = read_stereo(wav)
    sf.write(tmp_path / "room.wav", np.repeat(audio.sum(axis=1, keepdims=True), 2, axis=1) / 2, sr)
    with caplog.at_level(logging.WARNING):
        info = prepare_dialogue(tmp_path / "room.wav", right, "z", tmp_path / "z.wav", tmp_path / "z.csv",
                                tmp_path / "z.json")
    assert abs(info["channel_match"]) < 0.1 and "barely tells which speaker is on which channel" in caplog.text


def test_va_in_milliseconds_or_weeks_long_is_refused_and_nothing_rendered(tmp_path):
    """VA times in ms (a common export) are refused with the hint, with or without a recording; a VA file that would
    render for more than four hours is refused before any sample is made."""
    from babbler.corpora.local import prepare_dialogue, prepare_timing_only

    ms = _va_file(tmp_path / "ms.csv", [(s * 1000, e * 1000) for s, e in GIVER_WORDS],
                  [(s * 1000, e * 1000) for s, e in FOLLOWER_WORDS])
    render = {"bleed_db": -30.0, "noise_db": 30.0, "sample_rate": 8000}
    hint = r"ms\.csv: its median segment lasts 700 s, where speech segments last about a second: are its times in " \
           r"milliseconds\? VA times are seconds"
    with pytest.raises(InputError, match=hint):
        prepare_timing_only(ms, "m", 1, render, tmp_path / "m.wav", tmp_path / "m.csv", tmp_path / "m.json")
    wav = tmp_path / "x.wav"
    wav.write_bytes(maptask_wav(giver_channel=0))
    with pytest.raises(InputError, match=hint):
        prepare_dialogue(wav, ms, "x", tmp_path / "o.wav", tmp_path / "o.csv", tmp_path / "o.json")
    far = _va_file(tmp_path / "far.csv", [(0.5, 1.5), (20000.0, 21000.0), (30000.0, 30001.0)], [(2.0, 3.0)])
    with pytest.raises(InputError, match=r"far\.csv: its last segment ends at 30001 s \(8\.3 h\), past the 4 h a "
                                         r"rendered dialogue may last"):
        prepare_timing_only(far, "f", 1, render, tmp_path / "f.wav", tmp_path / "f.csv", tmp_path / "f.json")
    assert not list(tmp_path.glob("[fmo].*"))


def test_one_file_per_speaker_makes_one_stereo_dialogue(tmp_path, caplog):
    """`x.A.flac` and `x.B.flac` (mono, one speaker each) become x's channels 0 and 1; the shorter is padded."""
    from babbler.corpora.local import local_recordings, prepare_dialogue

    sr = 16000
    t = np.arange(3 * sr) / sr
    sf.write(tmp_path / "x.A.flac", 0.3 * np.sin(2 * np.pi * 150 * t), sr)
    sf.write(tmp_path / "x.B.flac", 0.3 * np.sin(2 * np.pi * 250 * t[: int(1.5 * sr)]), sr)
    sf.write(tmp_path / "y.wav", np.zeros((sr, 2)), sr)
    recordings = local_recordings(tmp_path)
    assert {d: [p.name for p in f] for d, f in recordings.items()} == {"x": ["x.A.flac", "x.B.flac"], "y": ["y.wav"]}
    with caplog.at_level(logging.WARNING):
        info = prepare_dialogue(recordings["x"], None, "x", tmp_path / "o.wav", None, tmp_path / "o.json")
    assert "x.A.flac lasts 3.00 s and" in caplog.text and "x.B.flac 1.50 s: the shorter is padded" in caplog.text
    out, rate = sf.read(tmp_path / "o.wav")
    assert rate == sr and out.shape == (3 * sr, 2) and info["duration"] == 3.0
    assert _peak_hz(out[:sr, 0], sr) == pytest.approx(150, abs=2)
    assert _peak_hz(out[:sr, 1], sr) == pytest.approx(250, abs=2)
    assert not np.any(out[int(1.5 * sr):, 1])
    assert info["source_file"].endswith("x.A.flac + " + str((tmp_path / "x.B.flac").resolve()))
    sf.write(tmp_path / "z.A.wav", np.zeros((sr, 2)), sr)
    sf.write(tmp_path / "z.B.wav", np.zeros(sr), 8000)
    with pytest.raises(InputError, match=r"z\.A\.wav: expected a mono file of one speaker .*found 2-channel audio"):
        prepare_dialogue((tmp_path / "z.A.wav", tmp_path / "z.B.wav"), None, "z", tmp_path / "z.wav", None,
                         tmp_path / "z.json")
    sf.write(tmp_path / "z.A.wav", np.zeros(sr), sr)
    with pytest.raises(InputError, match=r"z\.B\.wav: is sampled at 8000 Hz but .*z\.A\.wav at 16000 Hz"):
        prepare_dialogue((tmp_path / "z.A.wav", tmp_path / "z.B.wav"), None, "z", tmp_path / "z.wav", None,
                         tmp_path / "z.json")
    assert not (tmp_path / "z.wav").exists() and not (tmp_path / "z.json").exists()


@pytest.mark.parametrize("files, message", [
    (["x.A.wav"], r"x\.A\.wav has no partner: .* needs x\.B\.wav"),
    (["x.B.flac"], r"x\.B\.flac has no partner: .* needs x\.A\.wav"),
    (["x.wav", "x.A.wav", "x.B.wav"], r"dialogue 'x' has a stereo file \(x\.wav\) and a speaker's file"),
    (["x.C.wav"], r"x\.C\.wav.*may not contain '\.'"),
])
def test_speaker_files_must_pair(tmp_path, files, message):
    from babbler.corpora.local import local_recordings
    from babbler.errors import ConfigError

    for name in files:
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(ConfigError, match=message):
        local_recordings(tmp_path)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_respect_the_umask(tmp_path, umask, mode):
    """Collaborators on a shared folder must be able to read results: no forced 0600."""
    import os

    from babbler.util.fileio import write_json, write_wav

    old = os.umask(umask)
    try:
        write_json(tmp_path / "m.json", {"a": 1})
        write_wav(tmp_path / "a.wav", np.zeros(100), 16000)
    finally:
        os.umask(old)
    for name in ("m.json", "a.wav"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("dtype, subtype", [(np.float32, "PCM_16"), (np.float64, "PCM_24"), (np.float32, "FLOAT")])
def test_write_wav_in_blocks_writes_the_bytes_of_one_whole_write(tmp_path, monkeypatch, dtype, subtype):
    """Blocks bound the memory of writing an hour of audio; the file is the one a single float64 write makes."""
    from babbler.util import fileio

    audio = np.random.default_rng(0).uniform(-1, 1, (10_007, 2)).astype(dtype)
    sf.write(tmp_path / "whole.wav", audio.astype(np.float64), 16000, subtype=subtype, format="WAV")
    monkeypatch.setattr(fileio, "BLOCK_FRAMES", 1000)  # 11 blocks, the last one short
    fileio.write_wav(tmp_path / "blocks.wav", audio, 16000, subtype=subtype)
    assert (tmp_path / "blocks.wav").read_bytes() == (tmp_path / "whole.wav").read_bytes()
    fileio.write_wav(tmp_path / "mono.wav", audio[:, 0], 16000, subtype=subtype)
    assert sf.info(tmp_path / "mono.wav").channels == 1 and sf.info(tmp_path / "mono.wav").frames == 10_007
    with pytest.raises(ValueError, match="exceeds full scale"):
        fileio.write_wav(tmp_path / "loud.wav", audio * 2, 16000)
    assert not (tmp_path / "loud.wav").exists()
