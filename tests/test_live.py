"""The live agent's parts against their batch versions, `babbler respond` against listen mode, the `babbler live`
server and a real browser talking with it (issue 16)."""

import asyncio
import json
import shutil
import socket
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from babbler.cli import main as cli_main
from babbler.corpora import demo
from babbler.live.frontend import HOP, STREAM_RATE, StreamingFrontEnd
from babbler.live.respond import LiveSession, read_partner, respond
from babbler.live.server import LiveConfig, make_app
from babbler.models.dataset import (
    F0_BINS,
    SpeakerScale,
    encode,
    f0_bin,
    speaker_tokens,
    token_values,
)
from babbler.models.registry import load_model
from babbler.models.train_transformer import TrainConfig, train_transformer
from babbler.models.transformer import TransformerConfig
from babbler.sampling.generate import generate, sampler
from babbler.sampling.modes.listen import listen_plan
from babbler.sampling.modes.registry import MODES
from babbler.signal.extract import dialogue_va, extract_dialogue
from babbler.signal.mono import split_channels
from babbler.signal.prosody import first_pass
from babbler.signal.vad import intensity_vad
from babbler.timing.events import events_from_tracks, fto_values
from babbler.timing.vad_accuracy import frame_scores
from babbler.va import SPEAKERS, VA_PER_TOKEN, runs, segments_to_frames
from babbler.voices.streaming import StreamingSourceFilter


def demo_stereo(seconds: float, name: str, seed: int = 1) -> np.ndarray:
    """A demo dialogue's close-talk stereo recording at the stream's rate (bleed and noise included)."""
    d = demo.synthesize_dialogue(demo.DemoParams(duration=seconds, sample_rate=STREAM_RATE), demo.dialogue_seed(seed, name))
    return d.audio


def test_streaming_front_end_agrees_with_the_batch_extraction():
    """Channel B of a demo dialogue, 20 ms at a time through the causal front end, against the batch VAD that sees
    both channels: frame VA F1 ≥ 0.93 (bleed of A included), onsets at most 3 frames late (median), F0 bins of the
    frames both call voiced speech within one bin for ≥ 80 %."""
    audio = demo_stereo(90, "d002")
    samples = {s: audio[:, c].astype(np.float64) for c, s in enumerate(SPEAKERS)}
    prosody = {s: first_pass(samples[s], STREAM_RATE) for s in SPEAKERS}
    n = len(prosody["B"].vad_intensity)
    batch = dialogue_va("intensity", samples, STREAM_RATE, prosody, n)["B"]
    fe = StreamingFrontEnd()
    frames = [fe.push(samples["B"][h * HOP : (h + 1) * HOP]) for h in range(len(samples["B"]) // HOP)]
    stream = np.repeat([f.va for f in frames], VA_PER_TOKEN)[:n]
    batch = batch[: len(stream)]
    sc = frame_scores(stream, batch)
    assert sc["f1"] >= 0.93, sc
    b_on, s_on = runs(batch)[0], runs(stream)[0]
    delays = [s_on[s_on >= s - 5][0] - s for s in b_on if (s_on >= s - 5).any()]
    assert 0 <= np.median(delays) <= 3, delays
    # F0 bins: the batch F0 of each token frame, binned on the same running scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # token frames without a voiced 10 ms frame: NaN
        f0_batch = np.nanmean(prosody["B"].f0[: 2 * len(frames)].reshape(-1, 2), axis=1)
    both = np.array([f.va and np.isfinite(f.f0) for f in frames]) & np.isfinite(f0_batch) & batch[::2]
    med = frames[-1].scale.f0_median
    agree = np.abs(f0_bin(np.array([f.f0 for f in frames])[both], med) - f0_bin(f0_batch[both], med)) <= 1
    assert both.sum() > 500 and agree.mean() >= 0.8, (both.sum(), agree.mean())


def test_front_end_ignores_digital_silence_before_the_recording():
    """A second of exact zeros (a microphone still starting) before a demo channel with a voiced hum 15 dB under
    the speech: the zeros are silent, and the VA after them is the same as without them on ≥ 98 % of the frames.
    (Taken for the noise floor, the zeros made the hum speech throughout: agreement 0.51.)"""
    audio = demo_stereo(30, "d003")[:, 1].astype(np.float64)
    t = np.arange(len(audio)) / STREAM_RATE
    hum = sum(np.sin(2 * np.pi * 100 * k * t) / k for k in (1, 2, 3))
    audio = audio + hum * np.sqrt(np.mean(audio**2) / np.mean(hum**2)) * 10 ** (-15 / 20)
    plain, padded = StreamingFrontEnd(), StreamingFrontEnd()
    hops = len(audio) // HOP
    ref = np.array([plain.push(audio[h * HOP : (h + 1) * HOP]).va for h in range(hops)])
    late = np.concatenate([np.zeros(STREAM_RATE), audio])
    out = np.array([padded.push(late[h * HOP : (h + 1) * HOP]).va for h in range(hops + 50)])
    assert not out[:50].any()
    assert np.mean(out[50:] == ref) >= 0.98 and 0.2 < ref.mean() < 0.8


def test_front_end_refuses_a_hop_of_the_wrong_size():
    with pytest.raises(ValueError, match="320 samples"):
        StreamingFrontEnd().push(np.zeros(441))


def test_streaming_voice_follows_its_tokens_and_joins_frames_without_clicks():
    """Tokens with runs of speech, a moving F0 and 10 % unvoiced frames, rendered one 20 ms frame per call: the batch
    VAD finds the runs (F1 ≥ 0.95), Praat's F0 is the tokens' (median error < 0.5 semitone), and no sample step at a
    frame join is larger than the largest step inside frames."""
    rng = np.random.default_rng(0)
    n = 50 * 30
    va = np.zeros(n, bool)
    t = 10
    while t < n - 100:
        d = int(rng.integers(20, 100))
        va[t : t + d] = True
        t += d + int(rng.integers(15, 60))
    f0b = np.clip(8 + np.round(3 * np.sin(np.arange(n) / 40)).astype(int), 0, F0_BINS - 1)
    tokens = encode(va, np.where(rng.random(n) < 0.1, F0_BINS, f0b), np.full(n, 4))
    scale = SpeakerScale(130.0, 65.0)
    voice = StreamingSourceFilter(scale, seed=1)
    y = np.concatenate([voice.frame(int(k)) for k in tokens])
    assert len(y) == n * HOP
    p = first_pass(y + 2e-4 * rng.standard_normal(len(y)), STREAM_RATE)
    silent = np.full_like(p.vad_intensity, -20.0)
    found = intensity_vad({"A": p.vad_intensity, "B": silent}, {"A": p.voiced, "B": np.zeros(len(silent), bool)})["A"]
    ref = np.repeat(va, VA_PER_TOKEN)[: len(found)]
    assert frame_scores(found[: len(ref)], ref)["f1"] >= 0.95
    f0_ref = np.repeat(token_values(tokens, scale)[1], VA_PER_TOKEN)[: len(p.f0)]
    ok = np.isfinite(f0_ref) & np.isfinite(p.f0)
    assert np.median(12 * np.abs(np.log2(p.f0[ok] / f0_ref[ok]))) < 0.5
    step = np.abs(np.diff(y))
    joins = np.arange(HOP, len(y), HOP) - 1
    inside = np.setdiff1d(np.arange(len(step)), joins)
    assert step[joins].max() <= step[inside].max()


def test_streaming_voice_sums_its_harmonics_as_one_per_harmonic_loop_does():
    """The excitation's harmonics, summed as one (harmonics × samples) array, are bit for bit the running sum of
    one harmonic at a time (the first form of the code): at a low F0 (about 60 harmonics), a high one, a glide."""
    voice = StreamingSourceFilter(SpeakerScale(130.0, 65.0), seed=3)
    fmax = min(voice.voice.max_harmonic_hz, 0.45 * voice.sr)
    for f0_from, f0_to in ((80.0, 80.0), (300.0, 320.0), (90.0, 250.0)):
        voice.f0, voice.voiced, voice.phase = f0_from, 1.0, 0.7
        state = voice.rng.bit_generator.state
        got = voice._source(f0_to, 1.0, True)
        voice.rng.bit_generator.state = state  # the same jitter and noise for the reference
        ramp = (np.arange(voice.hop) + 1) / voice.hop
        f0 = (f0_from + (f0_to - f0_from) * ramp) * (1.0 + voice.voice.jitter * voice.rng.standard_normal() * 0.5)
        phase = 0.7 + 2 * np.pi * np.cumsum(f0) / voice.sr
        harm = np.zeros(voice.hop)
        for k in range(1, int(fmax / max(float(f0.min()), 40.0)) + 2):
            harm += np.clip((fmax - k * f0) / (0.1 * fmax), 0.0, 1.0) / k * np.sin(k * phase)
        noise = voice.rng.standard_normal(voice.hop)
        assert np.array_equal(got, harm + voice.voice.breathiness * noise)  # fully voiced: no frication


# --- babbler respond -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_agent(tmp_path_factory):
    """A small transformer trained on 10 demo dialogues' extracted tokens, and a held-out dialogue's mono tracks
    with their batch tokens."""
    root = tmp_path_factory.mktemp("live")
    dialogues = {}
    for i in range(11):
        name = f"d{i + 1:03d}"
        demo.prepare_dialogue({"duration": 120 if i == 10 else 60}, 5, name, root / f"{name}.wav", root / f"{name}.csv", root / f"{name}.json")
        mono = {s: root / f"{name}.{s}.wav" for s in SPEAKERS}
        split_channels(root / f"{name}.wav", mono["A"], mono["B"], STREAM_RATE)
        outs = {s: root / f"{name}.{s}.parquet" for s in SPEAKERS}
        extract_dialogue(mono, outs, "intensity")
        dialogues[name] = (mono, np.stack([speaker_tokens(pd.read_parquet(outs[s]))[0] for s in SPEAKERS], axis=1))
    names = sorted(dialogues)
    train = [dialogues[k][1] for k in names[:9]]
    torch.manual_seed(0)
    train_transformer(train, [dialogues[names[9]][1]],
                      TransformerConfig(d_model=48, layers=2, heads=2, context=256, dropout=0.1),
                      TrainConfig(steps=500, batch_size=16, crop=256, lr=3e-3, warmup=30, epoch_steps=100,
                                  patience=3, threads=2), root / "m.pt", root / "m.csv", root / "m.ckpt")
    return root / "m.pt", dialogues[names[10]]


def pooled_timing(dialogues: list[dict[str, np.ndarray]]) -> tuple[float, float]:
    """FTO median (s) and overlap share over the speaker changes of several dialogues' 10 ms VA tracks."""
    ftos, gaps, overlaps = [], 0, 0
    for tracks in dialogues:
        events = events_from_tracks(tracks)
        ftos.extend(fto_values(events))
        gaps += int((events["type"] == "gap").sum())
        overlaps += int((events["type"] == "overlap_between").sum())
    return float(np.median(ftos)), overlaps / (gaps + overlaps)


def test_respond_decides_as_listen_mode_on_what_it_heard_and_times_its_turns_alike(demo_agent, tmp_path):
    """One sampling path, end to end: a live session on B's recording of a held-out demo dialogue (front end,
    Agent.step, streaming voice) draws, frame by frame, exactly the agent tokens the workflow's listen mode draws on
    the tokens that front end heard, with the same seed, and `respond` is that loop. So the live agent's timing
    differs from listen mode on the batch extraction's tokens only by what the causal front end hears: pooled over
    twelve draws, FTO median within 200 ms and overlap share within 0.1. The same seed gives the same bytes."""
    model_path, (mono, tokens) = demo_agent
    model = load_model(model_path)
    partner = read_partner(mono["B"])
    heard = None
    for seed in (1, 2):  # the live loop, hop by hop
        session = LiveSession.create(model, seed=seed)
        hops = [session.hop(partner[h * HOP : (h + 1) * HOP]) for h in range(len(partner) // HOP)]
        heard = np.array([token for _audio, token, _own in hops])
        said = np.array([0] + [own for _audio, _token, own in hops])[: len(heard)]
        on_heard = np.stack([heard, np.zeros(len(heard), dtype=np.int64)], axis=1)
        expected = generate(sampler(model), MODES["listen"].plan([on_heard], {"listen_agent": "B"}),
                            np.random.default_rng(seed))[0, :, 1]
        np.testing.assert_array_equal(said, expected)
        if seed == 1:  # `respond` writes what that loop decided
            va = respond(model, mono["B"], tmp_path / "r1.wav", seed=1, progress=False)
            n = 2 * len(said)
            assert (segments_to_frames(va, "B", n) == np.repeat(said > 0, 2)).all()
    on_batch = np.stack([tokens[:, 1], np.zeros(len(tokens), dtype=np.int64)], axis=1)  # B as the batch heard it
    batch, live = [], []
    for partner_tokens, out in ((on_batch, batch), (on_heard, live)):  # twelve draws as one batch each
        drawn = generate(sampler(model), listen_plan([partner_tokens] * 12, agent=1), np.random.default_rng(1))
        out.extend({"A": np.repeat(d[:, 1] > 0, 2), "B": np.repeat(d[:, 0] > 0, 2)} for d in drawn)  # A: the agent
    (fto_batch, share_batch), (fto_live, share_live) = pooled_timing(batch), pooled_timing(live)
    assert abs(fto_batch - fto_live) <= 0.2, (fto_batch, fto_live)
    assert abs(share_batch - share_live) <= 0.1, (share_batch, share_live)
    agent_share = np.mean([t["A"].mean() for t in live])
    assert 0.1 < agent_share < 0.8  # the agent talks, and not all the time
    y, sr = sf.read(mono["B"])  # the same seed again gives the same bytes (on a 20 s excerpt, to keep it short)
    excerpt = tmp_path / "excerpt.wav"
    sf.write(excerpt, y[: 20 * sr], sr)
    once, again = tmp_path / "once.wav", tmp_path / "again.wav"
    for out in (once, again):
        respond(model, excerpt, out, seed=1, progress=False)
    assert again.read_bytes() == once.read_bytes()
    stereo, sr = sf.read(again)
    assert sr == STREAM_RATE and stereo.shape[1] == 2 and np.abs(stereo).max() <= 1.0


def test_respond_command_refuses_bad_input_and_leaves_nothing(demo_agent, tmp_path, capsys):
    model_path, (mono, _) = demo_agent
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.zeros((16000, 2)), 16000)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 16000)
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(100), 16000)
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    cut = tmp_path / "cut.wav"  # a partial copy: the header promises more data than the file holds
    sf.write(cut, np.zeros(16000), 16000)
    cut.write_bytes(cut.read_bytes()[:-2000])
    for bad, problem in ((stereo, "found 2 channels"), (empty, "holds no samples"), (short, "less than one 20 ms hop"),
                         (text, "not a readable"), (cut, "truncated"), (tmp_path / "absent.wav", "does not exist")):
        out = tmp_path / f"{bad.stem}.out.wav"
        assert cli_main(["respond", "--model", str(model_path), str(bad), str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert str(bad) in err and problem in err, err
        assert not out.exists() and not list(tmp_path.glob(f".{bad.stem}*"))
    assert cli_main(["respond", "--model", str(mono["A"]), str(mono["B"]), str(tmp_path / "x.wav")]) == 2
    assert "not a babbler model" in capsys.readouterr().err


def test_respond_command_reads_any_rate(demo_agent, tmp_path):
    """A 44.1 kHz FLAC partner is resampled; the output is 16 kHz stereo of the same duration (to a hop)."""
    model_path, (mono, _) = demo_agent
    y, sr = sf.read(mono["B"])
    import soxr

    partner = tmp_path / "partner.flac"
    sf.write(partner, soxr.resample(y[: 10 * sr], sr, 44100), 44100)
    out = tmp_path / "out.wav"
    assert cli_main(["respond", "--model", str(model_path), str(partner), str(out), "--quiet", "--seed", "3"]) == 0
    info = sf.info(out)
    assert info.samplerate == STREAM_RATE and info.channels == 2 and abs(info.duration - 10.0) <= 0.02
    va = pd.read_csv(out.with_suffix(".va.csv"))
    assert set(va["speaker"]) <= {"A", "B"} and (va["end"] > va["start"]).all()


def test_respond_command_interpolates_the_agent_with_the_count_model(demo_agent, tmp_path, capsys):
    """--markov with weight 0 answers byte for byte as without it; with weight 1 the chain alone decides, so the
    agent talks as much as the chain's own listen mode does on the same partner tokens; bad --markov files and weights
    are refused by name."""
    from babbler.models.baselines import MarkovModel, save_baseline

    model_path, (mono, tokens) = demo_agent
    markov = tmp_path / "markov.pt"
    save_baseline(markov, MarkovModel.fit([tokens[:, ::-1], tokens], order=8))
    partner, short = tmp_path / "partner.wav", tmp_path / "short.wav"
    y, sr = sf.read(mono["B"])
    sf.write(partner, y[: 40 * sr], sr)
    sf.write(short, y[: 15 * sr], sr)
    run = ["respond", "--model", str(model_path), str(partner), "--quiet", "--seed", "2"]
    short_run = ["respond", "--model", str(model_path), str(short), "--quiet", "--seed", "2"]
    assert cli_main([*short_run, str(tmp_path / "plain.wav")]) == 0
    assert cli_main([*short_run, str(tmp_path / "w0.wav"), "--markov", str(markov), "--markov-weight", "0"]) == 0
    assert (tmp_path / "w0.wav").read_bytes() == (tmp_path / "plain.wav").read_bytes()
    shares = []
    for seed in range(4):
        out = tmp_path / f"w1.{seed}.wav"
        assert cli_main([*run[:-1], str(seed), str(out), "--markov", str(markov), "--markov-weight", "1"]) == 0
        va = pd.read_csv(out.with_suffix(".va.csv"))
        shares.append(segments_to_frames(va, "B", 2 * 40 * 50).mean())
    chain = load_model(markov)
    chain_share = float(np.mean([generate(chain.stream, listen_plan([tokens[: 40 * 50]], agent=0),
                                          np.random.default_rng(s))[0, :, 0] > 0 for s in range(4)]))
    assert abs(np.mean(shares) - chain_share) < 0.1, (shares, chain_share)
    assert cli_main([*run, str(tmp_path / "x.wav"), "--markov", str(model_path)]) == 2
    assert "needs the markov baseline" in capsys.readouterr().err
    assert cli_main([*run, str(tmp_path / "x.wav"), "--markov", str(markov), "--markov-weight", "1.5"]) == 2
    assert "--markov-weight must be <= 1, got 1.5" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()
    # the settings a workflow run chose (--sampling): its weight and temperature, the explicit options winning
    chosen = tmp_path / "sampling.json"
    settings = {"markov_weight": 1.0, "temperature": 1.0, "calibration": 0.0, "prompt_adapt": 0.0,
                "listen_overlap_odds": 1.0, "listen_gap_odds": 1.0}
    chosen.write_text(json.dumps({"chosen": settings}))
    out = tmp_path / "tuned.wav"
    assert cli_main([*run[:-1], "0", str(out), "--markov", str(markov), "--sampling", str(chosen)]) == 0
    assert out.read_bytes() == (tmp_path / "w1.0.wav").read_bytes()
    assert cli_main([*short_run, str(tmp_path / "over.wav"), "--markov", str(markov), "--sampling", str(chosen),
                     "--markov-weight", "0"]) == 0
    assert (tmp_path / "over.wav").read_bytes() == (tmp_path / "plain.wav").read_bytes()
    assert cli_main([*run, str(tmp_path / "x.wav"), "--sampling", str(chosen)]) == 2
    assert "--sampling's markov_weight 1 needs --markov PATH" in capsys.readouterr().err
    # with the odds recalibrated on validation taken (calibration 1): the agent is drawn with them
    recalibrated = {"chosen": {**settings, "calibration": 1.0},
                    "calibration": {"odds": {"1": [3.0, 3.0, 3.0, 0.3, 0.3]}}}
    chosen.write_text(json.dumps(recalibrated))
    out = tmp_path / "recalibrated.wav"
    assert cli_main([*run[:-1], "0", str(out), "--markov", str(markov), "--sampling", str(chosen)]) == 0
    va, plain = pd.read_csv(out.with_suffix(".va.csv")), pd.read_csv((tmp_path / "w1.0.va.csv"))
    talk = [(v[v.speaker == "B"].end - v[v.speaker == "B"].start).mean() for v in (va, plain)]
    assert talk[0] > 1.5 * talk[1], talk  # stopping at 0.3 the odds: longer IPUs
    for junk in ("not json", json.dumps({"chosen": {**settings, "markov_weight": "heavy"}}),
                 json.dumps({"chosen": {**settings, "markov_weight": 2.0}}), json.dumps({"chosen": {}}),
                 json.dumps({**recalibrated, "calibration": {"odds": {"1": [1.0, -2.0]}}})):
        chosen.write_text(junk)
        assert cli_main([*run, str(tmp_path / "x.wav"), "--sampling", str(chosen)]) == 2
        err = capsys.readouterr().err
        assert f"--sampling {chosen}" in err and "Traceback" not in err
    assert not (tmp_path / "x.wav").exists()


# --- babbler live ---------------------------------------------------------------------------------------------------

def hello(rate: int = STREAM_RATE) -> str:
    return json.dumps({"type": "hello", "sampleRate": rate})


def with_client(cfg, body):
    """Run `body(client)` against the app on an aiohttp test server."""
    from aiohttp.test_utils import TestClient, TestServer

    async def run():
        async with TestClient(TestServer(make_app(cfg))) as client:
            return await body(client)

    return asyncio.run(run())


def test_respond_speaks_with_any_registered_voice_deciding_the_same(demo_agent, tmp_path, capsys):
    """--voice: a voice that renders whole tracks (a tiny untrained WaveNet here) voices the agent's track after the
    loop, with the same decisions (VA) as the default streaming voice; a trained voice needs its model, and `live`
    takes only a voice that renders 20 ms at a time. Every refusal is one line naming what to give."""
    from babbler.voices.training import save_voice
    from babbler.voices.wavenet import WaveNet, WaveNetConfig

    model_path, (mono, _) = demo_agent
    partner = tmp_path / "partner.wav"
    y, sr = sf.read(mono["B"])
    sf.write(partner, y[: 4 * sr], sr)
    torch.manual_seed(0)
    wavenet = tmp_path / "wavenet.pt"
    save_voice(wavenet, WaveNet(WaveNetConfig(stacks=1, layers_per_stack=3, residual=8, skip=8, cond=4)))
    run = ["respond", "--model", str(model_path), str(partner), "--quiet"]
    assert cli_main([*run, str(tmp_path / "sf.wav")]) == 0
    assert cli_main([*run, str(tmp_path / "wn.wav"), "--voice", "wavenet", "--voice-model", str(wavenet)]) == 0
    decided = [pd.read_csv(tmp_path / f"{n}.va.csv") for n in ("sf", "wn")]
    pd.testing.assert_frame_equal(*decided)  # the same decisions, another sound
    (sf_audio, _), (wn_audio, _) = sf.read(tmp_path / "sf.wav"), sf.read(tmp_path / "wn.wav")
    assert sf_audio.shape == wn_audio.shape and not np.allclose(sf_audio[:, 1], wn_audio[:, 1])
    assert len(decided[1][decided[1]["speaker"] == "B"]) > 0 and np.abs(wn_audio[:, 1]).max() > 0  # it spoke
    assert cli_main([*run, str(tmp_path / "x.wav"), "--voice", "wavenet"]) == 2
    assert "--voice wavenet needs --voice-model for its trained model(s), in this order: wavenet.pt" in \
        capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()
    assert cli_main(["live", "--model", str(model_path), "--voice", "wavenet", "--voice-model", str(wavenet)]) == 2
    assert "renders whole tracks, not 20 ms at a time; `babbler live` takes source_filter" in capsys.readouterr().err


def test_live_server_answers_every_hop_and_records_the_session(demo_agent, tmp_path):
    """A client streams 10 s of a demo partner: one 20 ms answer and one VA frame per hop; when it goes away the
    session is freed and recorded (audio, VA)."""
    model_path, (mono, _) = demo_agent
    y, sr = sf.read(mono["B"])
    cfg = LiveConfig(load_model(model_path), record=tmp_path)

    async def body(client):
        page = await client.get("/")
        assert page.status == 200 and "AudioWorkletNode" in await page.text()
        assert (await client.get("/babbler-io.js")).status == 200
        ws = await client.ws_connect("/ws")
        await ws.send_str(hello())
        frames = []
        for h in range(500):
            await ws.send_bytes(y[h * HOP : (h + 1) * HOP].astype("<f4").tobytes())
            audio = await ws.receive_bytes()
            assert len(audio) == 4 * HOP
            frames.append(json.loads(await ws.receive_str()))
        assert len(cfg.active) == 1
        await ws.close()
        for _ in range(50):
            if not cfg.active:
                break
            await asyncio.sleep(0.05)
        return frames

    frames = with_client(cfg, body)
    assert [f["hop"] for f in frames] == list(range(500))
    assert sum(f["partner"] for f in frames) > 50 and sum(f["agent"] for f in frames) > 0
    assert not cfg.active
    stereo, rate = sf.read(tmp_path / "session-000.wav")
    assert rate == STREAM_RATE and stereo.shape == (500 * HOP, 2)
    assert set(pd.read_csv(tmp_path / "session-000.va.csv")["speaker"]) == {"A", "B"}


def test_live_server_refuses_what_it_must_and_keeps_serving(demo_agent):
    """A foreign origin (403), a session past the cap (503, with the reason), a wrong sample rate and a malformed hop
    (an error message, then close) are refused; a client that vanishes mid-stream frees its session; the server
    serves the next client."""
    model_path, _ = demo_agent
    cfg = LiveConfig(load_model(model_path), max_sessions=1)

    async def body(client):
        from aiohttp import WSServerHandshakeError

        with pytest.raises(WSServerHandshakeError) as foreign:
            await client.ws_connect("/ws", origin="http://evil.example")
        assert foreign.value.status == 403
        first = await client.ws_connect("/ws")
        await first.send_str(hello())
        with pytest.raises(WSServerHandshakeError) as full:
            await client.ws_connect("/ws")
        assert full.value.status == 503
        await first.send_bytes(np.zeros(HOP, "<f4").tobytes())
        await first.receive_bytes()
        first._response.connection.transport.abort()  # the page vanishes without a close handshake
        for _ in range(100):
            if not cfg.active:
                break
            await asyncio.sleep(0.05)
        assert not cfg.active
        reasons = []
        for opening, data in ((hello(44100), None), (hello(), np.zeros(100, "<f4").tobytes()), (hello(), b"x" * 9000)):
            ws = await client.ws_connect("/ws")
            await ws.send_str(opening)
            if data is not None:
                await ws.send_bytes(data)
            msg = await ws.receive()
            reasons.append(json.loads(msg.data)["message"] if msg.type.name == "TEXT" else f"closed {ws.close_code}")
            await ws.close()
            for _ in range(100):
                if not cfg.active:
                    break
                await asyncio.sleep(0.05)
        last = await client.ws_connect("/ws")
        await last.send_str(hello())
        await last.send_bytes(np.zeros(HOP, "<f4").tobytes())
        assert len(await last.receive_bytes()) == 4 * HOP
        await last.close()
        return reasons

    reasons = with_client(cfg, body)
    assert "sampleRate 44100" in reasons[0]
    assert "got 400" in reasons[1]
    assert reasons[2] == "closed 1009"  # message too big: aiohttp closes with 1009


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver; .ci/run installs them)")
def test_a_real_browser_talks_with_the_agent(demo_agent, tmp_path):
    """Headless chromium with a demo partner as its fake microphone: the page connects, the agent's audio comes back
    for every hop, both timelines fill, and the recorded session's agent VA is neither silent nor always on; after
    Stop, Start opens a second session without a reload."""
    from aiohttp import web
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    model_path, (mono, _) = demo_agent
    y, sr = sf.read(mono["B"])
    partner = tmp_path / "partner.wav"
    sf.write(partner, y[: 40 * sr], sr, subtype="PCM_16")
    record = tmp_path / "sessions"
    record.mkdir()
    cfg = LiveConfig(load_model(model_path), record=record)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app(cfg))

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={partner}", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        for _ in range(50):
            try:
                driver.get(f"http://127.0.0.1:{port}/")
                break
            except Exception:
                time.sleep(0.1)
        driver.find_element(By.ID, "start").click()
        deadline = time.time() + 60
        stats = {}
        while time.time() < deadline:
            time.sleep(1)
            stats = driver.execute_script("return window.babblerStats;")
            if stats["error"] or (stats["replies"] >= 750 and stats["agentSpeech"] > 0):
                break
        assert stats["error"] is None, stats["error"]
        assert stats["replies"] >= 750, stats  # 15 s of hops answered
        assert stats["partnerSpeech"] > 100 and stats["agentSpeech"] > 0, stats
        assert np.median(stats["loopMs"]) < 100, "browser → server → browser took too long"
        driver.find_element(By.ID, "stop").click()
        assert driver.find_element(By.ID, "start").is_enabled() and not driver.find_element(By.ID, "stop").is_enabled()
        first = stats["replies"]
        driver.find_element(By.ID, "start").click()  # again, without a reload
        deadline = time.time() + 30
        while time.time() < deadline:
            time.sleep(0.5)
            stats = driver.execute_script("return window.babblerStats;")
            if stats["error"] or stats["replies"] >= first + 50:
                break
        assert stats["error"] is None and stats["sessions"] == 2 and stats["replies"] >= first + 50, stats
        driver.find_element(By.ID, "stop").click()
    finally:
        driver.quit()
    for _ in range(100):
        if len(list(record.glob("*.va.csv"))) == 2:
            break
        time.sleep(0.1)
    loop.call_soon_threadsafe(loop.stop)
    assert sorted(p.name for p in record.glob("*.wav")) == ["session-000.wav", "session-001.wav"]
    va = pd.read_csv(record / "session-000.va.csv")
    info = sf.info(record / "session-000.wav")
    agent = va[va["speaker"] == "B"]
    share = (agent["end"] - agent["start"]).sum() / info.duration
    assert 0.05 < share < 0.9, share
