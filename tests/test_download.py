"""Downloads against a local HTTP server: resume, retry, verification, atomic landing."""

import pytest

from babbler.corpora.download import download
from babbler.corpora.maptask import verify_annotations_zip, verify_mix_wav
from babbler.errors import DownloadError
from tests.helpers import FileServer, maptask_wav, maptask_zip

WAV = maptask_wav(giver_channel=0)
ZIP = maptask_zip(["q1ec1"])


@pytest.fixture
def server():
    with FileServer({"/q1ec1.mix.wav": WAV, "/nxt.zip": ZIP, "/bad.mix.wav": b"<html>not audio</html>" * 50}) as s:
        yield s


def test_plain_download_is_byte_identical(server, tmp_path):
    dest = download(server.url + "/q1ec1.mix.wav", tmp_path / "a.wav", verify=verify_mix_wav, progress=False)
    assert dest.read_bytes() == WAV
    assert not (tmp_path / "a.wav.part").exists()


def test_dropped_connection_resumes_with_range(server, tmp_path):
    server.faults.drop_after["/q1ec1.mix.wav"] = 40_000
    server.faults.drops_left["/q1ec1.mix.wav"] = 2  # two drops, then a clean finish
    dest = download(server.url + "/q1ec1.mix.wav", tmp_path / "a.wav", verify=verify_mix_wav,
                    backoff=0.01, progress=False)
    assert dest.read_bytes() == WAV
    ranges = [r for p, r in server.requests if p == "/q1ec1.mix.wav"]
    assert ranges == [None, "bytes=40000-", "bytes=80000-"]


def test_partial_file_from_earlier_run_is_resumed(server, tmp_path):
    (tmp_path / "a.wav.part").write_bytes(WAV[:12345])
    dest = download(server.url + "/q1ec1.mix.wav", tmp_path / "a.wav", verify=verify_mix_wav, progress=False)
    assert dest.read_bytes() == WAV
    assert server.requests == [("/q1ec1.mix.wav", "bytes=12345-")]


def test_server_without_range_support_restarts_cleanly(server, tmp_path):
    server.faults.ignore_range.add("/q1ec1.mix.wav")
    (tmp_path / "a.wav.part").write_bytes(WAV[:5000])
    dest = download(server.url + "/q1ec1.mix.wav", tmp_path / "a.wav", verify=verify_mix_wav, progress=False)
    assert dest.read_bytes() == WAV


def test_404_is_a_clear_error_and_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match=r"missing\.mix\.wav: HTTP 404"):
        download(server.url + "/missing.mix.wav", tmp_path / "m.wav", progress=False, backoff=0.01)
    assert list(tmp_path.iterdir()) == []


def test_transient_503_is_retried_then_gives_up(server, tmp_path):
    server.faults.status["/q1ec1.mix.wav"] = 503
    with pytest.raises(DownloadError, match="HTTP 503"):
        download(server.url + "/q1ec1.mix.wav", tmp_path / "a.wav", retries=2, backoff=0.01, progress=False)
    assert len(server.requests) == 3
    assert list(tmp_path.iterdir()) == []


def test_corrupt_file_fails_verification_and_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match="failed verification.*not a readable audio file"):
        download(server.url + "/bad.mix.wav", tmp_path / "b.wav", verify=verify_mix_wav, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_truncated_stream_without_recovery_keeps_only_the_part(server, tmp_path):
    server.faults.drop_after["/q1ec1.mix.wav"] = 1000
    server.faults.drops_left["/q1ec1.mix.wav"] = 99
    with pytest.raises(DownloadError, match="after 2 attempts.*next run resumes"):
        download(server.url + "/q1ec1.mix.wav", tmp_path / "a.wav", retries=1, backoff=0.01, progress=False)
    assert not (tmp_path / "a.wav").exists()
    assert (tmp_path / "a.wav.part").stat().st_size == 2000  # two attempts, each resumed the last


def test_zip_verification(server, tmp_path):
    dest = download(server.url + "/nxt.zip", tmp_path / "nxt.zip", verify=verify_annotations_zip, progress=False)
    assert dest.read_bytes() == ZIP
    with pytest.raises(DownloadError, match="not a zip file"):
        download(server.url + "/bad.mix.wav", tmp_path / "x.zip", verify=verify_annotations_zip, progress=False)


def test_file_truncated_at_the_source_is_caught_by_verification(tmp_path):
    with FileServer({"/cut.mix.wav": WAV[:30000]}) as s:
        with pytest.raises(DownloadError, match="truncated"):
            download(s.url + "/cut.mix.wav", tmp_path / "c.wav", verify=verify_mix_wav, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_says_nothing_was_kept(tmp_path):
    """No byte arrived: the error must not claim a partial file is kept, and none is left behind."""
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="after 2 attempts.*no data arrived, nothing was written") as err:
        download(f"http://127.0.0.1:{port}/q1ec1.mix.wav", tmp_path / "a.wav", retries=1, backoff=0.01,
                 progress=False)
    assert "is kept" not in str(err.value) and list(tmp_path.iterdir()) == []
