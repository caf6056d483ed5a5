"""Switchboard by its ms98 word alignments: parsing, the archive and its folder, timing-only conversations, the
user's recordings put side A on channel 0, and bad input named."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from babbler.config import dialogue_ids
from babbler.corpora import switchboard
from babbler.corpora.registry import CORPORA
from babbler.corpora.timing_only import render_va
from babbler.errors import ConfigError, InputError
from babbler.util.seeds import derived_seed
from tests.helpers import SWB_SIDE_A, SWB_SIDE_B, tar_gz
from tests.helpers import ms98_word_file as word_file
from tests.helpers import switchboard_release as release_files

A_SEGMENTS = [[0.5, 1.1], [2.0, 2.4], [3.5, 4.0]]  # of SWB_SIDE_A
B_SEGMENTS = [[1.0, 1.9], [2.6, 3.2]]


def archive(path, files: dict[str, str]) -> str:
    path.write_bytes(tar_gz(files))
    return str(path)


def unpacked(root, files: dict[str, str]) -> str:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return str(root / "swb_ms98_transcriptions")


def section(**kw) -> dict:
    base = {"annotations_url": "https://example.org/a.tar.gz", "audio": None, "dialogues": [], "retries": 0,
            "timeout": 1, "backoff": 0}
    return {"name": "switchboard", "seed": 1, "split": {"val": 0.125, "test": 0.25}, "switchboard": {**base, **kw}}


def test_word_file_speech_is_every_token_but_silence_noise_and_aside_markers():
    seg = switchboard.parse_word_file(word_file("sw2001", "A", SWB_SIDE_A), "mem", "sw2001", "A")
    assert seg.values.tolist() == A_SEGMENTS  # "hi" + "um" merge; laughter and the aside's word are voice
    seg = switchboard.parse_word_file(word_file("sw2001", "B", SWB_SIDE_B), "mem", "sw2001", "B")
    assert seg.values.tolist() == B_SEGMENTS  # [noise] is not voice


def test_archive_and_its_folder_give_the_same_conversations(tmp_path):
    files = release_files()
    tar = archive(tmp_path / "switchboard_word_alignments.tar.gz", files)
    folder = unpacked(tmp_path / "x", files)
    for source in (tar, folder):
        assert switchboard.conversations_in(source) == ["sw2001", "sw2005"]
        words = switchboard.words_of(source, "sw2005")
        assert words["A"].values.tolist() == A_SEGMENTS and words["B"].values.tolist() == B_SEGMENTS
    switchboard.verify_archive(tmp_path / "switchboard_word_alignments.tar.gz")
    va = switchboard.va_from_sides(switchboard.words_of(tar, "sw2001"))
    assert va[["speaker", "start", "end"]].values.tolist() == [["A", *s] for s in A_SEGMENTS] + [
        ["B", *s] for s in B_SEGMENTS]


@pytest.mark.parametrize("line, problem", [
    ("sw2001A-ms98-a-0009 4.0 5.0\n", r"line 11: expected 'utterance-id start end word', got 'sw2001A-\S+ 4.0 5.0'"),
    ("sw2001A-ms98-a-0009 4.0 x well\n", r"line 11: start and end must be seconds, got '4.0' 'x'"),
    ("sw2001A-ms98-a-0009 5.0 4.5 well\n", r"line 11: negative, reversed or infinite time \(start 5.0, end 4.5\)"),
    ("sw2001A-ms98-a-0009 5.0 inf well\n", r"line 11: negative, reversed or infinite time \(start 5.0, end inf\)"),
    ("sw2001A-ms98-a-0009 nan 6.0 well\n", r"line 11: negative, reversed or infinite time \(start nan, end 6.0\)"),
])
def test_a_bad_line_is_named_by_file_and_line(tmp_path, line, problem):
    files = release_files(["sw2001"])
    name = "swb_ms98_transcriptions/20/2001/sw2001A-ms98-a-word.text"
    files[name] += line
    tar = archive(tmp_path / "a.tar.gz", files)
    with pytest.raises(InputError, match=rf"a\.tar\.gz:{name}: {problem}"):
        switchboard.words_of(tar, "sw2001")


def test_a_file_of_another_conversation_is_refused_and_a_stray_line_warned_about(tmp_path, caplog):
    files = release_files(["sw2001"])
    name = "swb_ms98_transcriptions/20/2001/sw2001A-ms98-a-word.text"
    files[name] = word_file("sw2002", "B", SWB_SIDE_A)  # the other file, under this name
    folder = unpacked(tmp_path / "x", files)
    with pytest.raises(InputError, match=r"sw2001A-ms98-a-word\.text: line 1: utterance sw2002B-ms98-a-0001 is not "
                                         r"sw2001 side A's \(ids start sw2001A-…\), nor is any other line's"):
        switchboard.words_of(folder, "sw2001")
    (tmp_path / "x" / name).write_text(word_file("sw2001", "A", SWB_SIDE_A) + "sw2001B-ms98-a-0009 5.0 5.5 well\n")
    with caplog.at_level("WARNING"):
        words = switchboard.words_of(folder, "sw2001")
    assert words["A"].values.tolist() == A_SEGMENTS + [[5.0, 5.5]]
    assert "1 of 11 lines (first: line 11, sw2001B-ms98-a-0009) carry another side's" in caplog.text


def test_missing_side_silent_side_and_cut_archive_are_errors_naming_the_file(tmp_path):
    files = release_files(["sw2001"])
    del files["swb_ms98_transcriptions/20/2001/sw2001B-ms98-a-word.text"]
    tar = archive(tmp_path / "a.tar.gz", files)
    with pytest.raises(InputError, match=r"a\.tar\.gz: has no sw2001B-ms98-a-word\.text \(conversation sw2001, side B"):
        switchboard.words_of(tar, "sw2001")
    files = release_files(["sw2001"])
    files["swb_ms98_transcriptions/20/2001/sw2001B-ms98-a-word.text"] = word_file(
        "sw2001", "B", [("0.0", "3.0", "[silence]"), ("3.0", "6.0", "[noise]")])
    folder = unpacked(tmp_path / "y", files)
    with pytest.raises(InputError, match=r"sw2001B-ms98-a-word\.text: holds no speech of side B"):
        switchboard.words_of(folder, "sw2001")
    whole = (tmp_path / "a.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"cut\.tar\.gz: the alignments archive is damaged") as theirs:
        switchboard.verify_archive(tmp_path / "cut.tar.gz")
    with pytest.raises(InputError, match=r"cut\.tar\.gz: the alignments archive is damaged") as read:
        switchboard.words_of(tmp_path / "cut.tar.gz", "sw2001")
    for err in (theirs, read):  # the user's own copy: never advised to delete it, and left as it was
        assert "delete" not in str(err.value) and "leaves your file as it is" in str(err.value)
    assert (tmp_path / "cut.tar.gz").read_bytes() == whole[: len(whole) // 2]
    fetched = tmp_path / "results" / "download" / "cut.tar.gz"  # the workflow's own download may be fetched again
    fetched.parent.mkdir(parents=True)
    fetched.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="delete it and run again to download it afresh"):
        switchboard.verify_archive(fetched)
    (tmp_path / "other.tar.gz").write_bytes((tmp_path / "a.tar.gz").read_bytes())
    archive(tmp_path / "other.tar.gz", {"README": "no alignments here"})
    with pytest.raises(InputError, match="holds no \\*-ms98-a-word.text files"):
        switchboard.verify_archive(tmp_path / "other.tar.gz")


def test_config_lists_conversations_of_a_local_copy_and_refuses_what_it_cannot_plan(tmp_path):
    tar = archive(tmp_path / "a.tar.gz", release_files())
    assert dialogue_ids({"corpus": section(annotations_url=tar)}) == ["sw2001", "sw2005"]
    assert dialogue_ids({"corpus": section(annotations_url="file://" + tar, dialogues=["sw2005"])}) == ["sw2005"]
    with pytest.raises(ConfigError, match=r"switchboard.dialogues.*1 conversation\(s\) not in .*a\.tar\.gz: sw3000"):
        dialogue_ids({"corpus": section(annotations_url=tar, dialogues=["sw2001", "sw3000"])})
    with pytest.raises(ConfigError, match=r"corpus.switchboard.dialogues.*name the conversations"):
        CORPORA["switchboard"].check(section())
    with pytest.raises(ConfigError, match=r"corpus.switchboard.annotations_url.*does not exist"):
        CORPORA["switchboard"].check(section(annotations_url=str(tmp_path / "nothing.tar.gz")))
    cfg = section(dialogues=["sw2001"])  # downloaded: fetched once, the conversations named
    CORPORA["switchboard"].check(cfg)
    assert CORPORA["switchboard"].downloads(cfg, "sw2001") == {"annotations": switchboard.ARCHIVE_FILE}
    assert CORPORA["switchboard"].download(cfg, switchboard.ARCHIVE_FILE).url == "https://example.org/a.tar.gz"


def test_timing_only_conversation_is_rendered_from_its_alignments(tmp_path):
    tar = archive(tmp_path / "a.tar.gz", release_files())
    cfg = section(annotations_url=tar)
    out = {k: tmp_path / "out" / f"sw2001.{k}" for k in ("wav", "csv", "json")}
    settings = CORPORA["switchboard"].settings({"corpus": cfg, "voice": {"bleed_db": -30, "noise_db": 30},
                                                "audio": {"sample_rate": 8000}})
    info = CORPORA["switchboard"].prepare(settings, "sw2001", CORPORA["switchboard"].inputs(cfg, "sw2001"),
                                          out["wav"], out["csv"], out["json"])
    assert info["rendered_from_va"] and info["n_segments_A"] == 3 and info["n_segments_B"] == 2
    assert info["duration"] == 5.0  # last segment's end (4.0 s) and a second of silence
    va = pd.read_csv(out["csv"]).sort_values(["speaker", "start"])
    assert va.values.tolist() == [["A", *s] for s in A_SEGMENTS] + [["B", *s] for s in B_SEGMENTS]
    audio, sr = sf.read(out["wav"])
    assert sr == 8000 and audio.shape == (40000, 2)
    s, e = B_SEGMENTS[0]
    seg = audio[int((s + 0.1) * sr) : int((e - 0.1) * sr)]
    assert (seg[:, 1] ** 2).mean() > 30 * (seg[:, 0] ** 2).mean()  # B speaks on channel 1


@pytest.mark.parametrize("a_channel, name", [(0, "sw02001.wav"), (1, "sw2001.flac")])
def test_recording_puts_side_a_on_channel_0(tmp_path, a_channel, name):
    tar = archive(tmp_path / "a.tar.gz", release_files(["sw2001"]))
    va = switchboard.va_from_sides(switchboard.words_of(tar, "sw2001"))
    audio, _ = render_va(va, 6.0, derived_seed(3, "sw2001"), sample_rate=8000)
    (tmp_path / "ldc" / "disc1").mkdir(parents=True)
    sf.write(tmp_path / "ldc" / "disc1" / name, audio[:, ::-1] if a_channel else audio, 8000, subtype="ULAW"
             if name.endswith(".wav") else "PCM_16")
    cfg = section(annotations_url=tar, audio=str(tmp_path / "ldc"))
    assert dialogue_ids({"corpus": cfg}) == ["sw2001"]
    out = {k: tmp_path / "out" / f"sw2001.{k}" for k in ("wav", "csv", "json")}
    info = CORPORA["switchboard"].prepare(CORPORA["switchboard"].settings({"corpus": cfg}), "sw2001",
                                          CORPORA["switchboard"].inputs(cfg, "sw2001"), out["wav"], out["csv"],
                                          out["json"])
    assert info["a_channel"] == a_channel and info["channel_match"] > 1.5
    written, sr = sf.read(out["wav"])
    assert sr == 8000 and sf.info(out["wav"]).subtype == "PCM_16"
    s, e = A_SEGMENTS[2]  # B is silent there
    seg = written[int(s * sr) : int(e * sr)]
    assert (seg[:, 0] ** 2).mean() > 30 * (seg[:, 1] ** 2).mean()  # side A's voice is channel 0


def test_with_recordings_and_a_download_the_audio_folder_names_the_conversations(tmp_path):
    for name in ("sw02005.wav", "sw02001.wav"):
        sf.write(tmp_path / name, np.zeros((800, 2)), 8000)
    cfg = section(audio=str(tmp_path))  # the alignments are downloaded: the recordings say which conversations
    CORPORA["switchboard"].check(cfg)
    assert dialogue_ids({"corpus": cfg}) == ["sw2001", "sw2005"]
    assert CORPORA["switchboard"].inputs(cfg, "sw2005") == {"audio": str(tmp_path / "sw02005.wav")}
    assert CORPORA["switchboard"].downloads(cfg, "sw2005") == {"annotations": switchboard.ARCHIVE_FILE}
    assert CORPORA["switchboard"].settings({"corpus": cfg}) == {}  # recordings depend on their files alone
    sf.write(tmp_path / "sw2001.flac", np.zeros((800, 2)), 8000)
    switchboard._recordings.cache_clear()
    with pytest.raises(ConfigError, match=r"corpus.switchboard.audio.*two recordings of conversation sw2001"):
        dialogue_ids({"corpus": cfg})


def test_undecodable_sphere_file_says_how_to_convert_it(tmp_path):
    header = (b"NIST_1A\n   1024\nsample_count -i 8000\nsample_rate -i 8000\nchannel_count -i 2\n"
              b"sample_n_bytes -i 1\nsample_coding -s26 ulaw,embedded-shorten-v2.00\nend_head\n")
    path = tmp_path / "sw02001.sph"
    path.write_bytes(header.ljust(1024, b" ") + bytes(np.random.default_rng(0).integers(0, 255, 4000, np.uint8)))
    with pytest.raises(InputError, match=r"sw02001\.sph: .*convert it with `sph2pipe -f wav`"):
        switchboard.read_recording(path)
    assert switchboard.recordings_in(tmp_path) == {"sw2001": str(path)}
    stereo = 0.1 * np.random.default_rng(1).standard_normal((800, 2))
    sf.write(path, stereo, 8000, format="NIST", subtype="PCM_16")  # uncompressed SPHERE: read as it is
    audio, sr = switchboard.read_recording(path)
    assert sr == 8000 and audio.shape == (800, 2) and np.allclose(audio, stereo, atol=1e-4)
    sf.write(path, stereo[:, 0], 8000, format="NIST", subtype="PCM_16")
    with pytest.raises(InputError, match=r"found mono audio") as err:
        switchboard.read_recording(path)
    assert "sph2pipe" not in str(err.value)  # readable: the conversion hint would mislead
