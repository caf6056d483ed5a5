"""Map Task: ids, timed-units parsing, and the per-dialogue giver-channel check."""

import zipfile

import pandas as pd
import pytest
import soundfile as sf

from babbler.corpora import maptask
from babbler.errors import InputError
from babbler.va import merge_segments
from tests.helpers import (
    FOLLOWER_WORDS,
    GIVER_WORDS,
    maptask_wav,
    maptask_zip,
    timed_units_xml,
)


def test_dialogue_ids():
    ids = maptask.DIALOGUE_IDS
    assert len(ids) == len(set(ids)) == 128
    assert ids[0] == "q1ec1" and "q8nc8" in ids and "q4nc3" in ids
    assert maptask.audio_url("http://x/dialogues/", "q1ec1") == "http://x/dialogues/q1ec1.mix.wav"


def test_parse_timed_units_reads_tu_elements_only():
    seg = maptask.parse_timed_units(timed_units_xml("q1ec1", "g", GIVER_WORDS), "mem")
    assert list(zip(seg["start"], seg["end"])) == GIVER_WORDS  # the <sil> elements are ignored
    with pytest.raises(InputError, match="not well-formed"):
        maptask.parse_timed_units(b"<root><tu start='1'", "broken.xml")


def test_merge_segments_unions_touching_words():
    seg = pd.DataFrame({"start": [0.0, 0.5, 0.4, 2.0], "end": [0.5, 0.9, 0.6, 2.1]})
    merged = merge_segments(seg)
    assert merged.values.tolist() == [[0.0, 0.9], [2.0, 2.1]]


@pytest.mark.parametrize("giver_channel", [0, 1])
def test_prepare_dialogue_puts_the_giver_on_channel_0(tmp_path, giver_channel):
    raw = tmp_path / "q1ec1.mix.wav"
    raw.write_bytes(maptask_wav(giver_channel))
    zpath = tmp_path / "nxt.zip"
    zpath.write_bytes(maptask_zip(["q1ec1"]))
    out = {k: tmp_path / "out" / f"q1ec1.{k}" for k in ("wav", "csv", "json")}
    info = maptask.prepare_dialogue(raw, zpath, "q1ec1", out["wav"], out["csv"], out["json"])
    assert info["giver_channel"] == giver_channel
    assert info["channel_margin"] > 0.5
    audio, sr = sf.read(out["wav"])
    assert sr == 20000 and audio.shape[1] == 2
    va = pd.read_csv(out["csv"])
    assert va[va.speaker == "A"][["start", "end"]].values.tolist() == [list(w) for w in GIVER_WORDS]
    assert va[va.speaker == "B"][["start", "end"]].values.tolist() == [list(w) for w in FOLLOWER_WORDS]
    # after the swap, channel 0 is loud exactly where the giver speaks
    s, e = GIVER_WORDS[2]
    seg = audio[int(s * sr) : int(e * sr)]
    assert (seg[:, 0] ** 2).mean() > 100 * (seg[:, 1] ** 2).mean()


def test_the_unpacked_release_reads_as_the_zip_and_a_corrupt_zip_is_named(tmp_path):
    zpath = tmp_path / "nxt.zip"
    zpath.write_bytes(maptask_zip(["q1ec1", "q1ec2"]))
    with zipfile.ZipFile(zpath) as zf:
        zf.extractall(tmp_path / "maptaskv2-1")
    for d in ("q1ec1", "q1ec2"):
        unpacked = maptask.timed_units_from_zip(tmp_path / "maptaskv2-1", d)
        zipped = maptask.timed_units_from_zip(zpath, d)
        assert all(unpacked[r].equals(zipped[r]) for r in "gf") and len(unpacked["g"]) > 0
    with pytest.raises(InputError, match=r"maptaskv2-1: has no q2ec1\.g\.timed-units\.xml"):
        maptask.timed_units_from_zip(tmp_path / "maptaskv2-1", "q2ec1")
    cfg = {"maptask": {"annotations_url": str(tmp_path / "maptaskv2-1"), "audio": False, "dialogues": []}}
    maptask.CORPUS.check(cfg)  # a folder is accepted
    assert maptask.CORPUS.inputs(cfg, "q1ec1") == {"annotations": str(tmp_path / "maptaskv2-1")}
    (tmp_path / "cut.zip").write_bytes(zpath.read_bytes()[:100])
    with pytest.raises(InputError, match=r"cut\.zip: not a readable zip file"):
        maptask.timed_units_from_zip(tmp_path / "cut.zip", "q1ec1")


def test_missing_dialogue_in_zip_names_the_file(tmp_path):
    zpath = tmp_path / "nxt.zip"
    zpath.write_bytes(maptask_zip(["q1ec1"]))
    with pytest.raises(InputError, match=r"nxt.zip: has no q2ec1\.g\.timed-units\.xml"):
        maptask.timed_units_from_zip(zpath, "q2ec1")


def test_maptask_registry_entry_names_its_downloads():
    from babbler.corpora.registry import CORPORA

    cfg = {"maptask": {"audio_url": "http://x/dialogues/", "annotations_url": "http://x/nxt.zip", "dialogues": [],
                       "audio": True}}
    spec = CORPORA["maptask"]
    assert len(spec.dialogue_ids(cfg)) == 128 and spec.has_reference(cfg)
    files = spec.downloads(cfg, "q1ec1")
    assert files == {"wav": "q1ec1.mix.wav", "annotations": maptask.ANNOTATIONS_FILE}
    assert spec.download(cfg, files["wav"]).url == "http://x/dialogues/q1ec1.mix.wav"
    assert spec.download(cfg, files["annotations"]).url == "http://x/nxt.zip"
    assert spec.download(cfg, files["wav"]).verify is maptask.verify_mix_wav


def test_reversed_times_and_a_silent_speaker_are_errors_naming_the_file(tmp_path):
    from babbler.errors import InputError

    with pytest.raises(InputError, match=r"x\.xml: <tu> w1 has a negative, reversed or infinite time \(start 2\.0, "
                                         r"end 1\.5\)"):
        maptask.parse_timed_units(b'<stream><tu id="w1" start="2.0" end="1.5">okay</tu></stream>', "x.xml")
    with pytest.raises(InputError, match=r"<tu> w1 has a negative, reversed or infinite time \(start 2\.0, end inf"):
        maptask.parse_timed_units(b'<stream><tu id="w1" start="2.0" end="INF">okay</tu></stream>', "x.xml")
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("Data/timed-units/q1ec1.g.timed-units.xml", '<stream><tu id="w" start="1" end="2"/></stream>')
        zf.writestr("Data/timed-units/q1ec1.f.timed-units.xml", "<stream></stream>")
    with pytest.raises(InputError, match=r"q1ec1\.f\.timed-units\.xml: holds no timed words of the follower"):
        maptask.timed_units_from_zip(z, "q1ec1")


@pytest.mark.parametrize("rate", [8000, 16000])
def test_timing_only_dialogue_renders_at_the_configured_rate_with_speech_inside_its_va(tmp_path, rate):
    """audio.sample_rate sets the rate of rendered timing-only dialogues (the mono stage then has nothing to
    resample); the babble sounds inside the word-timed VA and nowhere else but the noise floor."""
    import numpy as np

    from babbler.corpora.timing_only import render_levels

    excerpt = maptask.__file__.rsplit("/babbler/", 1)[0] + "/tests/data/maptask-excerpt.zip"
    config = {"voice": {"bleed_db": -30, "noise_db": 30}, "audio": {"sample_rate": rate}}
    render = render_levels(config)
    assert render == {"bleed_db": -30.0, "noise_db": 30.0, "sample_rate": rate}
    out = {k: tmp_path / f"q1ec6.{k}" for k in ("wav", "csv", "json")}
    maptask.prepare_timing_only(excerpt, "q1ec6", 1, render, out["wav"], out["csv"], out["json"])
    audio, sr = sf.read(out["wav"])
    assert sr == rate and audio.shape[1] == 2 and len(audio) == pytest.approx(157.33 * rate, abs=2)
    va = pd.read_csv(out["csv"])
    for ch, spk in enumerate("AB"):
        inside = np.zeros(len(audio), dtype=bool)
        for start, end in va.loc[va["speaker"] == spk, ["start", "end"]].to_numpy():
            inside[int(start * rate):int(end * rate)] = True
        power = audio[:, ch] ** 2
        assert 10 * np.log10(power[inside].mean() / power[~inside].mean()) > 20  # speech 20 dB over floor and bleed
