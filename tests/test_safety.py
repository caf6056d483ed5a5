"""Safe to hand a file to (issue 49): no code runs from a model file, nothing of the user's is overwritten, every bad
option and file gets a message naming it, and a live session's memory does not grow with its audio."""

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from babbler.cli import main as cli_main
from babbler.errors import InputError, OutputError
from babbler.live.frontend import HOP, STREAM_RATE
from babbler.live.server import LiveConfig, Recording, allowed_hosts, listening_socket
from babbler.models.baselines import IndependentModel, MarkovModel, save_baseline
from babbler.models.files import load_torch
from babbler.models.registry import load_model
from babbler.models.transformer import (
    FrameTransformer,
    TransformerConfig,
    save_transformer,
)
from babbler.util.fileio import atomic_path
from tests.model_helpers import toy_dialogue
from tests.test_live import with_client


class RunsCode:
    """A pickle that calls os.system when unpickled: it creates `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """An untrained frame transformer, saved as the train rule saves one."""
    path = tmp_path_factory.mktemp("model") / "transformer.pt"
    torch.manual_seed(0)
    save_transformer(path, FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=64)),
                     extra={"summary": {"best_val_loss": np.float64(1.5), "step": np.int64(3)}})
    return path


@pytest.fixture
def partner(tmp_path):
    """A 3 s one-speaker recording."""
    path = tmp_path / "take.wav"
    t = np.arange(3 * STREAM_RATE) / STREAM_RATE
    sf.write(path, 0.3 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0), STREAM_RATE)
    return path


# --- 1. a model file never runs code -------------------------------------------------------------------------------

def test_a_model_file_that_would_run_code_is_refused_and_runs_nothing(tmp_path, partner, capsys):
    """A .pt whose pickle calls os.system: `babbler respond` refuses it by name, and the marker file the call would
    create is NOT created; the same holds for every loader (frame models, voices, training checkpoints)."""
    from babbler.models.training_loop import load_checkpoint
    from babbler.voices.training import load_voice_state

    marker = tmp_path / "pwned"
    evil = tmp_path / "m.pt"
    torch.save({"kind": "transformer", "config": {}, "state": {}, "x": RunsCode(marker)}, evil)
    code = cli_main(["respond", "--model", str(evil), str(partner), str(tmp_path / "out.wav"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and str(evil) in err and "refused" in err and "could run code" in err
    assert not marker.exists() and not (tmp_path / "out.wav").exists()
    for load in (load_model, lambda p: load_voice_state(p, "wavenet"), load_torch):
        with pytest.raises(InputError, match="refused"):
            load(evil)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=64))
    opt = torch.optim.AdamW(model.parameters())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    assert load_checkpoint(evil, "run", model, opt, sched, np.random.default_rng(0), "cpu") is None  # afresh
    assert not marker.exists()


def test_models_and_checkpoints_load_as_data_alone(tmp_path, tiny_model):
    """What babbler saves loads with weights_only: the transformer, both baselines (their arrays as tensors, the
    same predictions after the round trip) and a training checkpoint (numpy RNG state, numpy scalars in the rows)."""
    from babbler.models.train_transformer import TrainConfig, train_transformer

    assert torch.load(tiny_model, weights_only=True)["summary"]["best_val_loss"] == 1.5
    rng = np.random.default_rng(1)
    dialogues = [toy_dialogue(rng, 600) for _ in range(3)]
    for model in (MarkovModel.fit(dialogues, order=3), IndependentModel.fit(dialogues)):
        save_baseline(tmp_path / f"{model.name}.pt", model)
        back = load_model(tmp_path / f"{model.name}.pt")
        a, b = model.stream(1), back.stream(1)
        for frame in dialogues[0][:50]:
            a.push(frame[None]), b.push(frame[None])
        np.testing.assert_array_equal(a.next_probs(), b.next_probs())
    part = train_transformer(dialogues[:2], dialogues[2:], TransformerConfig(d_model=16, layers=1, heads=2,
                                                                             context=64),
                             TrainConfig(steps=20, batch_size=2, crop=64, warmup=2, epoch_steps=10, threads=1),
                             tmp_path / "t.pt", tmp_path / "t.csv", tmp_path / "t.ckpt", stop_after=10)
    assert part["interrupted"] and torch.load(tmp_path / "t.ckpt", weights_only=True)["step"] == 10


def test_a_voice_model_or_a_checkpoint_as_the_agent_says_what_it_is(tmp_path, partner, capsys):
    from babbler.models.files import save_torch

    save_torch(tmp_path / "wavenet.pt", {"kind": "wavenet", "config": {}, "state": {}})
    save_torch(tmp_path / "t.ckpt", {"run_id": "x", "model": {}, "optimizer": {}, "step": 3})
    for path, says in ((tmp_path / "wavenet.pt", "a saved 'wavenet' model, not a frame model; expected a frame "
                                                 "model (transformer, markov, independent)"),
                       (tmp_path / "t.ckpt", "a training checkpoint"), (partner, "not a babbler model file")):
        assert cli_main(["respond", "--model", str(path), str(partner), str(tmp_path / "o.wav"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"{path}: {says}" in err and "Traceback" not in err


# --- 2. DNS rebinding --------------------------------------------------------------------------------------------

def test_live_answers_only_the_host_names_it_was_started_for(tiny_model):
    """A page on evil.example rebound to 127.0.0.1 addresses the server as evil.example: page and WebSocket are
    refused (403) although its Origin matches its Host; the loopback names are served."""
    cfg = LiveConfig(load_model(tiny_model))

    async def body(client):
        from aiohttp import WSServerHandshakeError

        port = client.port
        foreign = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
        assert (await client.get("/", headers={"Host": f"evil.example:{port}"})).status == 403
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers=foreign)
        assert refused.value.status == 403
        ok = await client.get("/", headers={"Host": f"localhost:{port}"})
        ws = await client.ws_connect("/ws", headers={"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port}"})
        await ws.close()
        return ok.status

    assert with_client(cfg, body) == 200
    assert {"127.0.0.1", "localhost", "::1", "10.1.2.3"} <= allowed_hosts("10.1.2.3")
    assert "evil.example" not in allowed_hosts("0.0.0.0") and socket.gethostname().lower() in allowed_hosts("0.0.0.0")


# --- 3, 16. recordings: never overwritten, streamed to disk; sessions paced --------------------------------------

def stream(cfg, hops: int, seconds: list | None = None):
    """One client streaming `hops` hops of a tone as fast as it may; returns the frames it got back."""
    y = 0.2 * np.sin(2 * np.pi * 140 * np.arange(hops * HOP) / STREAM_RATE) * (np.arange(hops * HOP) % 16000 < 9000)

    async def body(client):
        ws = await client.ws_connect("/ws")
        await ws.send_str(json.dumps({"type": "hello", "sampleRate": STREAM_RATE}))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        frames = []
        for h in range(hops):
            await ws.send_bytes(y[h * HOP : (h + 1) * HOP].astype("<f4").tobytes())
            await ws.receive_bytes()
            frames.append(json.loads(await ws.receive_str()))
        if seconds is not None:
            seconds.append(loop.time() - t0)
        await ws.close()
        for _ in range(100):
            if not cfg.active:
                break
            await asyncio.sleep(0.02)
        return frames

    return with_client(cfg, body)


def test_a_restarted_server_never_overwrites_a_recording(tiny_model, tmp_path):
    """session-000 of an earlier run stays byte for byte; the new server records session-001 (and with a number
    taken meanwhile by another server, the next free one)."""
    earlier = {tmp_path / "session-000.wav": b"RIFF earlier take", tmp_path / "session-000.va.csv": b"speaker\n"}
    for path, data in earlier.items():
        path.write_bytes(data)
    model = load_model(tiny_model)
    stream(LiveConfig(model, record=tmp_path, max_ahead=1e9), 60)
    assert all(path.read_bytes() == data for path, data in earlier.items())
    stereo, rate = sf.read(tmp_path / "session-001.wav")
    assert rate == STREAM_RATE and stereo.shape == (60 * HOP, 2)
    assert set(pd.read_csv(tmp_path / "session-001.va.csv")["speaker"]) <= {"A", "B"}
    (tmp_path / "session-002.wav").write_bytes(b"another server's")
    taken = Recording(tmp_path, 2)
    assert taken.number == 3 and (tmp_path / "session-002.wav").read_bytes() == b"another server's"
    taken.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session-000.va.csv", "session-000.wav",
                                                         "session-001.va.csv", "session-001.wav", "session-002.wav"]


def test_a_session_keeps_no_audio_in_memory_and_a_fast_client_is_paced(tiny_model, tmp_path, monkeypatch):
    """Without --record a session holds one byte per frame and no audio; with it the audio goes to disk as it comes
    (the hidden part file grows during the session). A client streaming 1.5 s of audio as fast as it can is answered
    no faster than real time, less the allowed lead."""
    import babbler.live.server as live
    from babbler.live.respond import Conversation

    kept = []
    real = live.Conversation

    def spy(**kw):
        kept.append(real(**kw))
        return kept[-1]

    monkeypatch.setattr(live, "Conversation", spy)
    sizes = []
    original_add = Recording.add

    def add(self, partner, agent):
        original_add(self, partner, agent)
        self.file.flush()
        sizes.append(self.part.stat().st_size)

    monkeypatch.setattr(Recording, "add", add)
    seconds = []
    stream(LiveConfig(load_model(tiny_model), record=tmp_path, max_ahead=0.3), 75, seconds)
    talk = kept[0]
    assert isinstance(talk, Conversation) and not talk.keep_audio and talk.partner == [] and len(talk.agent) == 1
    assert len(talk.heard) == 75 and isinstance(talk.heard, bytearray)
    assert sizes[-1] > sizes[10] > sizes[0] > 0  # streamed to disk during the session
    assert seconds[0] >= 1.5 - 0.3 - 0.1, seconds


def test_a_failing_agent_tells_the_page_and_the_server_goes_on(tiny_model, monkeypatch):
    import babbler.live.respond as respond

    def broken(self, partner):
        raise ZeroDivisionError("as a temperature of 0 once did")

    cfg = LiveConfig(load_model(tiny_model))

    async def body(client):
        ws = await client.ws_connect("/ws")
        await ws.send_str(json.dumps({"type": "hello", "sampleRate": STREAM_RATE}))
        with monkeypatch.context() as m:
            m.setattr(respond.LiveSession, "hop", broken)
            await ws.send_bytes(np.zeros(HOP, "<f4").tobytes())
            msg = await ws.receive()
        return json.loads(msg.data)["message"]

    assert "the agent failed" in with_client(cfg, body)


# --- 4, 11, 15. respond's outputs -----------------------------------------------------------------------------------

def test_respond_never_writes_over_its_input_nor_into_a_folder(tiny_model, partner, tmp_path, capsys):
    """The partner's own file as the output (directly, through a link, as --va) is refused and left as it was; an
    output that is a folder is refused before anything is written (no VA beside it)."""
    before = partner.read_bytes()
    link = tmp_path / "link.wav"
    link.symlink_to(partner)
    (tmp_path / "dir.wav").mkdir()
    for out, extra in ((partner, []), (link, []), (tmp_path / "o.wav", ["--va", str(partner)]),
                       (tmp_path / "dir.wav", [])):
        assert cli_main(["respond", "--model", str(tiny_model), str(partner), str(out), "--quiet", *extra]) == 2
        err = capsys.readouterr().err
        assert ("never writes over what it reads" in err or "is a folder" in err) and "Traceback" not in err, err
    assert partner.read_bytes() == before
    assert not (tmp_path / "dir.va.csv").exists() and not (tmp_path / "o.wav").exists()


def test_respond_writes_the_format_its_suffix_names(tiny_model, partner, tmp_path, capsys):
    assert cli_main(["respond", "--model", str(tiny_model), str(partner), str(tmp_path / "o.flac"), "--quiet"]) == 0
    assert sf.info(tmp_path / "o.flac").format == "FLAC" and (tmp_path / "o.va.csv").exists()
    assert cli_main(["respond", "--model", str(tiny_model), str(partner), str(tmp_path / "o.mp3"), "--quiet"]) == 2
    assert "writes WAV or FLAC audio (.wav, .flac), not .mp3" in capsys.readouterr().err
    assert not (tmp_path / "o.mp3").exists()


# --- 7, 8, 9. options -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, says", [
    ("--temperature", "-1", "--temperature must be > 0, got -1 (as sample.temperature in the config)"),
    ("--temperature", "0", "--temperature must be > 0, got 0"),
    ("--temperature", "nan", "--temperature must be a finite number, got nan"),
    ("--agent-f0", "0", "--agent-f0 must be >= 50, got 0"),
    ("--threads", "0", "--threads must be >= 1, got 0"),
    ("--seed", "-1", "--seed must be >= 0, got -1 (as sample.seed in the config)"),
    ("--markov-weight", "inf", "--markov-weight must be a finite number"),
])
def test_every_numeric_option_is_checked_by_the_configs_rules(tiny_model, partner, tmp_path, capsys, option, value,
                                                               says):
    for command in (["respond", "--model", str(tiny_model), str(partner), str(tmp_path / "o.wav"), "--quiet"],
                    ["live", "--model", str(tiny_model), "--port", "0"]):  # live refuses before it serves
        assert cli_main([*command, option, value]) == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, err
    assert not (tmp_path / "o.wav").exists()


def test_live_startup_problems_are_said_plainly(tiny_model, tmp_path, capsys):
    """A port in use, a port out of range and --record naming a file are refused with the reason; --port 0 prints the
    port the server really listens on."""
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    with pytest.raises(Exception, match=f"port {port} on 127.0.0.1 is already in use"):
        listening_socket("127.0.0.1", port)
    taken.close()
    assert cli_main(["live", "--model", str(tiny_model), "--port", "70000"]) == 2
    assert "--port must be <= 65535, got 70000" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("mine")
    assert cli_main(["live", "--model", str(tiny_model), "--record", str(tmp_path / "notes.txt")]) == 2
    assert "a file is in the way" in capsys.readouterr().err and (tmp_path / "notes.txt").read_text() == "mine"
    proc = subprocess.Popen([sys.executable, "-m", "babbler.cli", "live", "--model", str(tiny_model), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        shown = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert shown > 0
        with socket.create_connection(("127.0.0.1", shown), timeout=5):
            pass  # the printed port is the one it listens on
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_nan_or_infinite_setting_in_the_config_is_refused_naming_the_key():
    from babbler.config import check_config
    from babbler.errors import ConfigError
    from tests.test_config import _validated

    cfg = _validated({"sample": {"temperature": float("nan")}})
    with pytest.raises(ConfigError, match="config key 'sample.temperature': must be a finite number, got nan"):
        check_config(cfg)


# --- 5, 6, 12, 13. the corpus stage ---------------------------------------------------------------------------------

def test_a_va_folder_with_recordings_but_no_path_says_so(tmp_path):
    from babbler.corpora.local import CORPUS
    from babbler.errors import ConfigError

    (tmp_path / "d1.csv").write_text("speaker,start,end\nA,0.5,2.0\nB,2.2,3.0\n")
    sf.write(tmp_path / "d1.wav", np.zeros((16000, 2)), 16000)
    with pytest.raises(ConfigError, match=r"corpus.local.path.*also holds 1 recording\(s\) \(d1.wav\).*set "
                                          r"corpus.local.path"):
        CORPUS.check({"local": {"path": None, "va": str(tmp_path), "speakers": []}})


def test_recordings_with_nan_too_short_or_too_loud_are_handled_naming_the_users_file(tmp_path, caplog):
    """NaN or infinite samples and a one-sample file are refused naming the user's file, nothing written; float
    samples beyond full scale are scaled back, both channels alike, with a warning naming the user's file."""
    from babbler.corpora.local import prepare_dialogue

    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.1, (3 * 16000, 2))
    outs = lambda name: (tmp_path / f"{name}.o.wav", tmp_path / f"{name}.o.csv", tmp_path / f"{name}.o.json")  # noqa
    nan = audio.copy()
    nan[8000, 1] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 16000, subtype="FLOAT")
    with pytest.raises(InputError, match=r"nan\.wav: holds 1 NaN or infinite samples \(the first at 0\.500 s\)"):
        prepare_dialogue(tmp_path / "nan.wav", None, "nan", *outs("nan"))
    sf.write(tmp_path / "one.wav", audio[:1], 16000)
    with pytest.raises(InputError, match=r"one\.wav: lasts 0\.0001 s \(1 samples\); a dialogue must last at least 1 s"):
        prepare_dialogue(tmp_path / "one.wav", None, "one", *outs("one"))
    loud = audio * [10.0, 1.0]
    sf.write(tmp_path / "loud.wav", loud, 16000, subtype="FLOAT")
    with caplog.at_level(logging.WARNING):
        prepare_dialogue(tmp_path / "loud.wav", None, "loud", *outs("loud"))
    assert f"{tmp_path / 'loud.wav'}: its float samples peak at" in caplog.text
    written, _ = sf.read(outs("loud")[0])
    peak = np.abs(loud).max()
    np.testing.assert_allclose(written, loud / peak, atol=1e-4)  # scaled alike: channel 0 stays 10x channel 1
    assert not any(p.exists() for name in ("nan", "one") for p in outs(name))


def test_a_va_file_that_stops_before_the_speech_is_warned_of(tmp_path, caplog):
    from babbler.corpora.local import prepare_dialogue

    sr = 16000
    t = np.arange(60 * sr) / sr
    talk = lambda offset: (np.sin(2 * np.pi * 0.25 * t + offset) > 0) * np.sin(2 * np.pi * 150 * t)  # noqa: E731
    audio = np.stack([0.3 * talk(0), 0.3 * talk(np.pi)], axis=1) + rng_noise(len(t))
    sf.write(tmp_path / "x.wav", audio, sr)
    rows = [("A" if k % 2 == 0 else "B", 2.0 * k, 2.0 * k + 2.0) for k in range(20)]  # 0-40 s of 60 s
    (tmp_path / "x.csv").write_text("speaker,start,end\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))
    with caplog.at_level(logging.WARNING):
        prepare_dialogue(tmp_path / "x.wav", tmp_path / "x.csv", "x", tmp_path / "o.wav", tmp_path / "o.csv",
                         tmp_path / "o.json")
    assert "its VA ends at 40.00 s but" in caplog.text and "is the VA file cut short?" in caplog.text
    caplog.clear()
    quiet = audio.copy()
    quiet[40 * sr :] = rng_noise(20 * sr)  # the recording ran on in silence: nothing to say
    sf.write(tmp_path / "y.wav", quiet, sr)
    with caplog.at_level(logging.WARNING):
        prepare_dialogue(tmp_path / "y.wav", tmp_path / "x.csv", "y", tmp_path / "p.wav", tmp_path / "p.csv",
                         tmp_path / "p.json")
    assert "cut short" not in caplog.text


def rng_noise(n: int) -> np.ndarray:
    return np.random.default_rng(1).normal(0, 0.003, (n, 2))


# --- a full disk ----------------------------------------------------------------------------------------------------

def test_a_full_disk_is_named_with_the_file_and_nothing_half_written_stays(tmp_path, monkeypatch):
    import babbler.util.fileio as fileio

    dest = tmp_path / "out.wav"
    with pytest.raises(OutputError, match=rf"cannot write {dest}: the disk holding it \(.*\) is full"):
        with atomic_path(dest) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(28, "No space left on device")
    usage = fileio.shutil.disk_usage(tmp_path)
    monkeypatch.setattr(fileio.shutil, "disk_usage", lambda p: usage._replace(free=4096))
    with pytest.raises(OutputError, match=r"is full \(4096 bytes free\)"):
        with atomic_path(dest):
            raise sf.LibsndfileError(2, "System error.") if hasattr(sf, "LibsndfileError") else RuntimeError("x")
    assert list(tmp_path.iterdir()) == []

