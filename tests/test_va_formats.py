"""Voice activity from Praat TextGrids, ELAN files and NIST RTTM files: tiers and speakers to A and B, and bad
files."""

import logging
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from babbler.corpora.local import CORPUS, prepare_dialogue
from babbler.corpora.maptask import parse_timed_units, va_from_words
from babbler.corpora.va_formats import read_user_va
from babbler.errors import ConfigError, InputError
from babbler.util.fileio import read_stereo
from babbler.va import merge_segments
from tests.helpers import FOLLOWER_WORDS, GIVER_WORDS, eaf, maptask_wav, textgrid


def words(spans, label="word"):
    return [(s, e, label) for s, e in spans]


def rows(va: pd.DataFrame) -> list:
    return [[r.speaker, round(r.start, 3), round(r.end, 3)] for r in va.itertuples()]


def test_textgrid_speech_intervals_become_va_merged_where_words_touch(tmp_path):
    """Silence labels (empty, sil, sp, <sil>) are not speech; touching words make one segment; tiers in file order."""
    path = tmp_path / "d.TextGrid"
    path.write_text(textgrid({"giver": [(0.5, 0.9, "right"), (0.9, 1.2, "okay"), (1.2, 1.3, "sp"), (1.3, 1.6, "go")],
                              "follower": [(1.0, 1.5, "sil"), (2.0, 2.4, "mhm"), (3.0, 3.2, "<sil>")]}))
    va, ordered = read_user_va(path)
    assert not ordered
    assert rows(va) == [["A", 0.5, 1.2], ["A", 1.3, 1.6], ["B", 2.0, 2.4]]
    va, ordered = read_user_va(path, ["follower", "giver"])
    assert ordered and rows(va) == [["B", 0.5, 1.2], ["B", 1.3, 1.6], ["A", 2.0, 2.4]]


def test_textgrid_tier_choice_mfa_words_and_bad_names(tmp_path):
    path = tmp_path / "mfa.TextGrid"  # the Montreal Forced Aligner's layout: words and phones per speaker
    path.write_text(textgrid({"s1 - words": words([(0.5, 1.0)]), "s1 - phones": words([(0.5, 0.7), (0.7, 1.0)]),
                              "s2 - words": words([(1.5, 2.0)]), "s2 - phones": words([(1.5, 2.0)])}))
    assert rows(read_user_va(path)[0]) == [["A", 0.5, 1.0], ["B", 1.5, 2.0]]
    with pytest.raises(InputError, match=r"mfa\.TextGrid: has no interval tier 's3' \(corpus\.local\.speakers\); "
                                         r"it holds: 's1 - words', 's1 - phones'"):
        read_user_va(path, ["s3", "s1 - words"])
    three = tmp_path / "three.TextGrid"
    three.write_text(textgrid({"a": words([(0.5, 1.0)]), "b": words([(1.5, 2.0)]), "c": words([(3.0, 3.5)])}))
    with pytest.raises(InputError, match=r"three\.TextGrid: holds 3 interval tiers \('a', 'b', 'c'\), not two: name "
                                         r"A's and B's in corpus\.local\.speakers, e\.g\. \[a, …\]"):
        read_user_va(three)
    not_a_grid = tmp_path / "broken.TextGrid"
    not_a_grid.write_text("speaker,start,end\nA,0,1\n")
    with pytest.raises(InputError, match=r"broken\.TextGrid: Praat cannot read it as a TextGrid"):
        read_user_va(not_a_grid)


def test_rttm_two_speakers_first_to_speak_is_a_others_dropped_with_a_warning(tmp_path, caplog):
    path = tmp_path / "d.rttm"
    path.write_text(";; diarization output\n"
                    "SPKR-INFO d 1 <NA> <NA> <NA> unknown spk_b <NA> <NA>\n"
                    "SPEAKER d 1 2.00 0.50 <NA> <NA> spk_b <NA> <NA>\n"
                    "SPEAKER d 1 0.40 1.00 <NA> <NA> spk_a <NA> <NA>\n"
                    "SPEAKER d 1 1.20 0.60 <NA> <NA> spk_a <NA> <NA>\n")
    assert rows(read_user_va(path)[0]) == [["A", 0.4, 1.8], ["B", 2.0, 2.5]]  # 0.4–1.4 and 1.2–1.8 overlap: merged
    path.write_text(path.read_text() + "SPEAKER d 1 3.00 0.25 <NA> <NA> noise <NA> <NA>\n")
    with pytest.raises(InputError, match=r"holds 3 speakers \('spk_a', 'spk_b', 'noise'\), not two"):
        read_user_va(path)
    with caplog.at_level(logging.WARNING):
        va, ordered = read_user_va(path, ["spk_b", "spk_a"])
    assert ordered and rows(va) == [["B", 0.4, 1.8], ["A", 2.0, 2.5]]
    assert "speaker 'noise' (0.2 s of speech) is neither speaker of corpus.local.speakers; left out" in caplog.text
    path.write_text("SPEAKER d 1 1.0 -0.5 <NA> <NA> x <NA> <NA>\n")
    with pytest.raises(InputError, match=r"d\.rttm: line 1: negative or infinite onset or duration"):
        read_user_va(path)
    path.write_text("SPEAKER d 1 1.0 inf <NA> <NA> x <NA> <NA>\n")
    with pytest.raises(InputError, match=r"d\.rttm: line 1: negative or infinite onset or duration \(1 s, inf s\)"):
        read_user_va(path)
    path.write_text("SPEAKER d 1 one 0.5 <NA> <NA> x <NA> <NA>\n")
    with pytest.raises(InputError, match=r"line 1: onset 'one' or duration '0.5' is not a number of seconds"):
        read_user_va(path)


def test_a_recording_orients_an_unordered_textgrid_and_checks_a_named_one(tmp_path):
    """Without corpus.local.speakers the speaker on channel 0 becomes A; with them, a swap is an error."""
    wav = tmp_path / "x.wav"
    wav.write_bytes(maptask_wav(giver_channel=0))
    grid = tmp_path / "x.TextGrid"  # the follower's tier first: the file's order is the wrong way round
    grid.write_text(textgrid({"f": words(FOLLOWER_WORDS), "g": words(GIVER_WORDS)}))
    info = prepare_dialogue(wav, grid, "x", tmp_path / "o.wav", tmp_path / "o.csv", tmp_path / "o.json")
    assert info["channel_match"] > 1.5
    written = pd.read_csv(tmp_path / "o.csv")
    assert written.loc[written["speaker"] == "A", ["start", "end"]].values.tolist() == [list(w) for w in GIVER_WORDS]
    with pytest.raises(InputError, match=r"x\.wav: its channels look swapped against .*x\.TextGrid"):
        prepare_dialogue(wav, grid, "y", tmp_path / "y.wav", tmp_path / "y.csv", tmp_path / "y.json", ["f", "g"])
    assert not any(tmp_path.glob("y.*"))
    audio, sr = read_stereo(wav)  # both speakers equally on both channels: the file's order is kept
    sf.write(tmp_path / "room.wav", np.repeat(audio.sum(axis=1, keepdims=True), 2, axis=1) / 2, sr)
    prepare_dialogue(tmp_path / "room.wav", grid, "z", tmp_path / "z.wav", tmp_path / "z.csv", tmp_path / "z.json")
    written = pd.read_csv(tmp_path / "z.csv")
    assert written.loc[written["speaker"] == "A", ["start", "end"]].values.tolist() == [list(w) for w in FOLLOWER_WORDS]


@pytest.mark.parametrize("speakers", [["a"], ["a", "a"], ["a", "b", "c"]])
def test_speakers_setting_needs_two_different_names(tmp_path, speakers):
    (tmp_path / "d.rttm").write_text("SPEAKER d 1 0.0 1.0 <NA> <NA> a <NA> <NA>\n")
    with pytest.raises(ConfigError, match=r"corpus\.local\.speakers.*give two different names"):
        CORPUS.check({"local": {"path": None, "va": str(tmp_path), "speakers": speakers}})


def test_a_dialogue_with_two_va_files_is_refused_naming_the_va_key(tmp_path):
    (tmp_path / "d.csv").write_text("speaker,start,end\nA,0,1\n")
    (tmp_path / "d.rttm").write_text("SPEAKER d 1 0.0 1.0 <NA> <NA> a <NA> <NA>\n")
    with pytest.raises(ConfigError, match=r"config key 'corpus\.local\.va': two files share the dialogue id 'd': "
                                          r"d\.csv and d\.rttm"):
        CORPUS.check({"local": {"path": None, "va": str(tmp_path), "speakers": []}})


EXCERPT = Path(__file__).parent / "data" / "maptask-excerpt.zip"  # two real Map Task dialogues' word timings


def test_real_word_timings_as_a_textgrid_give_the_nxt_readers_va(tmp_path):
    """Map Task's words written as an aligner's TextGrid (words and silences, a phones tier beside) read back as the
    VA the corpus's own NXT reader makes of them."""
    with zipfile.ZipFile(EXCERPT) as zf:
        xml = {n.split("/")[-1]: zf.read(n) for n in zf.namelist() if n.endswith("timed-units.xml")}
    raw = {role: parse_timed_units(xml[f"q1ec6.{role}.timed-units.xml"], role) for role in ("g", "f")}
    end = max(float(raw[r]["end"].max()) for r in raw) + 1.0
    tiers = {}
    for role in ("g", "f"):
        w = raw[role].sort_values("start")
        tiers[f"{role} - words"] = [(s, e, "word") for s, e in zip(w["start"], w["end"])]
        tiers[f"{role} - phones"] = [(s, e, "ph") for s, e in zip(w["start"], w["end"])]
    path = tmp_path / "q1ec6.TextGrid"
    path.write_text(textgrid(tiers, xmax=end))
    va, _ = read_user_va(path)
    expected = va_from_words({r: merge_segments(raw[r]) for r in raw})
    expected = expected.sort_values(["start", "speaker"], kind="stable").reset_index(drop=True)
    assert len(va) > 100
    pd.testing.assert_frame_equal(va, expected, check_exact=False, atol=1e-9)


def test_elan_top_level_tiers_become_va_and_their_layers_are_left_out(tmp_path, caplog):
    """An empty annotation is untranscribed speech, '#' a pause; a translation tier (with a parent) is no speaker."""
    path = tmp_path / "d.eaf"
    path.write_text(eaf({"Anna": [(0.5, 1.2, "so"), (1.2, 2.0, ""), (2.5, 3.0, "#")],
                         "Ben": [(1.9, 2.6, "mhm"), (4.0, 5.25, "right then")]},
                        dependent={"Anna-en": "Anna"}, unaligned=1))
    with caplog.at_level(logging.WARNING):
        va, ordered = read_user_va(path)
    assert not ordered and rows(va) == [["A", 0.5, 2.0], ["B", 1.9, 2.6], ["B", 4.0, 5.25]]
    assert "1 annotation(s) of top-level tiers have a time slot without a time; left out" in caplog.text
    va, ordered = read_user_va(path, ["Ben", "Anna"])
    assert ordered and rows(va) == [["B", 0.5, 2.0], ["A", 1.9, 2.6], ["A", 4.0, 5.25]]
    path.write_text(eaf({"Anna": [(0.5, 1.2, "so")], "Ben": [(1.9, 2.6, "mhm")], "Notes": [(0.0, 9.0, "noisy")]}))
    with pytest.raises(InputError, match=r"d\.eaf: holds 3 top-level tiers \('Anna', 'Ben', 'Notes'\), not two"):
        read_user_va(path)
    assert rows(read_user_va(path, ["Anna", "Ben"])[0]) == [["A", 0.5, 1.2], ["B", 1.9, 2.6]]
    path.write_text(eaf({"Anna": [(2.0, 1.5, "so")], "Ben": [(1.9, 2.6, "mhm")]}))
    with pytest.raises(InputError, match=r"d\.eaf: annotation a1 on tier 'Anna' ends \(1\.5 s\) before it starts"):
        read_user_va(path)
    path.write_text(eaf({"Anna": [(0.5, 1.2, "so")], "Ben": [(1.9, 2.6, "mhm")]}).replace('TIME_SLOT_REF2="ts2"',
                                                                                          'TIME_SLOT_REF2="ts9"'))
    with pytest.raises(InputError, match=r"annotation a1 on tier 'Anna' refers to a time slot the file lacks"):
        read_user_va(path)
    good = eaf({"Anna": [(0.5, 1.2, "so")], "Ben": [(1.9, 2.6, "mhm")]})
    path.write_text(good.replace('TIME_VALUE="500"', 'TIME_VALUE="half"'))
    with pytest.raises(InputError, match=r"time slot ts1 has the time 'half', not a number of milliseconds"):
        read_user_va(path)
    path.write_text(good.replace('TIME_VALUE="500"', 'TIME_VALUE="-5"'))
    with pytest.raises(InputError, match=r"time slot ts1 has the time '-5' \(ms\)"):
        read_user_va(path)
    path.write_text("<ANNOTATION_DOCUMENT><TIER")
    with pytest.raises(InputError, match=r"d\.eaf: not a readable ELAN file"):
        read_user_va(path)
    path.write_text(textgrid({"a": [(0.1, 0.2, "x")]}))
    with pytest.raises(InputError, match=r"d\.eaf: not a readable ELAN file"):
        read_user_va(path)
    path.write_text('<?xml version="1.0"?><TextGrid/>')
    with pytest.raises(InputError, match=r"holds <TextGrid>, not an ELAN <ANNOTATION_DOCUMENT>"):
        read_user_va(path)


def test_a_local_va_folder_finds_elan_files_beside_the_others(tmp_path):
    (tmp_path / "a.eaf").write_text(eaf({"x": [(0.5, 1.0, "hi")], "y": [(1.2, 2.0, "hey")]}))
    (tmp_path / "b.csv").write_text("speaker,start,end\nA,0.5,1.0\n")
    cfg = {"local": {"path": None, "va": str(tmp_path), "speakers": []}}
    assert CORPUS.dialogue_ids(cfg) == ["a", "b"]
    assert CORPUS.inputs(cfg, "a") == {"va": str(tmp_path / "a.eaf")}
