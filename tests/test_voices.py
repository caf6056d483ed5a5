"""Voices: the registry; the WaveNet, SampleRNN and Tacotron-style voices (causality, incremental generation against
the full forward pass, overfitting, resumable training on the shared loop); the F0 excitation; the source-filter
voice (F0 accuracy, silence, determinism); splicing real audio into renders; the fidelity measures."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from babbler.models.dataset import SpeakerScale
from babbler.signal.prosody import extract_prosody
from babbler.synth.source_filter import SpeakerVoice
from babbler.voices.features import crop_items, fundamental_phase, make_item, sample_f0
from babbler.voices.neural import sample_conditioning
from babbler.voices.registry import TRAINED, VOICES, load_voice_model, voice_models
from babbler.voices.render import mix_dialogue, speaker_tracks, splice
from babbler.voices.samplernn import SampleRNN, SampleRNNConfig
from babbler.voices.source_filter import render_source_filter
from babbler.voices.spec import Tracks
from babbler.voices.tacotron import Tacotron, TacotronConfig
from babbler.voices.tacotron_wavenet import MelWaveNet, MelWaveNetConfig, Vocoded
from babbler.voices.training import (
    VoiceTrainConfig,
    crop_tensors,
    save_voice,
    train_voice,
)
from babbler.voices.wavenet import WaveNet, WaveNetConfig, mu_law_decode, mu_law_encode

TINY = WaveNetConfig(stacks=2, layers_per_stack=4, residual=8, skip=8, cond=4)
TINY_SRNN = SampleRNNConfig(hidden=16, mlp=16, embed=4, cond=4)
TINY_TACO = TacotronConfig(sample_rate=8000, n_mels=40, n_fft=256, cond=16, prenet=16, rnn=16, postnet=16)
TINY_VOCODER = {**TINY.__dict__, "sample_rate": 8000, "n_mels": 40, "n_fft": 256}  # the tiny Tacotron's analysis
# Small sizes of the built-in voices for fast tests; a voice without an entry is tested at its defaults.
SIZES = {"wavenet": TINY.__dict__, "samplernn": TINY_SRNN.__dict__, "tacotron": TINY_TACO.__dict__,
         "tacotron_wavenet": TINY_VOCODER}
CROPS = {"tacotron": 800}  # training samples per crop where 400 is too few for a voice's frames


def tiny_inputs(model, t=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (2, t), generator=g)
    f0 = torch.where(torch.arange(t) < t // 2, 140.0, 0.0).expand(2, t)
    cond = model.conditioning(torch.randn(2, 4, t // model.hop + 1, generator=g), torch.randn(2, 2, generator=g), f0)
    return x, cond


def tone_item(freq=200.0, sr=8000, seconds=1.0, on=0.6):
    """A tone for the first `on` seconds, then silence, with its 50 Hz tracks."""
    t = np.arange(int(sr * seconds)) / sr
    clip = 0.5 * np.sin(2 * np.pi * freq * t) * (t < on)
    frames = int(seconds * 50)
    va = np.arange(frames) < int(on * 50)
    tracks = Tracks(va, np.where(va, freq, np.nan), np.where(va, 70.0, np.nan), frame_rate=50)
    return make_item(clip, tracks, SpeakerScale(freq, 70.0), sr)


def test_registry_holds_every_voice_module():
    assert set(VOICES) >= {"source_filter", "wavenet", "samplernn", "tacotron", "tacotron_wavenet"}  # the built-ins
    assert set(TRAINED) == {n for n, v in VOICES.items() if v.trains} and list(VOICES)[0] == "source_filter"
    for name in TRAINED:
        model = VOICES[name].build({})
        assert model.kind == name and hasattr(model, "loss") and model.context_frames() >= 0
    assert voice_models("tacotron_wavenet") == ["tacotron_wavenet", "tacotron"]
    assert voice_models("wavenet") == ["wavenet"] and voice_models("source_filter") == []


@pytest.mark.parametrize("name", list(VOICES))
def test_every_voice_renders_through_the_registry_signature(tmp_path, name):
    """Every voice (trained ones untrained, saved and loaded through the registry with the models they need): one
    finite waveform per track, as long as the track."""
    torch.manual_seed(0)
    tracks = [steady_tracks(150.0, rate=50), steady_tracks(220.0, rate=50)]
    voice, paths = VOICES[name], []
    for part in voice_models(name):
        paths.append(tmp_path / f"{part}.pt")
        save_voice(paths[-1], VOICES[part].build(SIZES.get(part, {})))
    model = load_voice_model(name, paths) if paths else None
    waves = voice.render(tracks, 16000, 3, model, {})
    assert [len(w) for w in waves] == [32000, 32000], name
    assert all(np.isfinite(w).all() for w in waves), name


def test_the_source_filter_voice_is_silent_off_va_and_sounds_on_it():
    tracks = [steady_tracks(150.0, rate=50), steady_tracks(220.0, rate=50)]
    waves = VOICES["source_filter"].render(tracks, 16000, 3, None, {})
    assert np.abs(waves[0][:7000]).max() == 0 and np.abs(waves[0][12000:20000]).max() > 0.01


def test_mu_law_round_trip():
    x = np.linspace(-1, 1, 10001)
    c = mu_law_encode(x)
    assert c.min() == 0 and c.max() == 255
    assert np.max(np.abs(mu_law_decode(c) - x)) < 0.032  # the coarsest step, at full scale
    small = np.linspace(-0.01, 0.01, 101)
    assert np.max(np.abs(mu_law_decode(mu_law_encode(small)) - small)) < 2.5e-4  # fine steps near zero
    assert torch.equal(mu_law_encode(torch.as_tensor(x)), torch.as_tensor(c))


def test_sample_f0_is_continuous_and_the_excitation_has_its_period():
    va = np.ones(10, dtype=bool)
    f0 = np.array([100.0] * 5 + [200.0] * 5)
    tracks = Tracks(va, f0, np.full(10, 60.0), frame_rate=50)
    per_sample = sample_f0(tracks, 8000, 1600)
    assert per_sample[0] == pytest.approx(100) and per_sample[-1] == pytest.approx(200)
    assert np.all(np.diff(per_sample) >= 0) and 100 < per_sample[800] < 200  # a glide, not a step
    sine = sample_conditioning(torch.full((1, 8000), 125.0), 8000)[0, 0].numpy()
    spectrum = np.abs(np.fft.rfft(sine))
    assert np.argmax(spectrum) == 125  # 1 s of signal: bin k is k Hz
    unvoiced = Tracks(va, np.full(10, np.nan), np.full(10, 60.0), frame_rate=50)
    assert not sample_f0(unvoiced, 8000, 1600).any()


def test_wavenet_is_causal_with_the_computed_receptive_field():
    torch.manual_seed(0)
    model = WaveNet(TINY).eval()
    x, cond = tiny_inputs(model)
    spans = []
    with torch.no_grad():
        ref = model(x, cond)
        for k in (0, 5, 100, 200):
            x2 = x.clone()
            x2[:, k] = (x2[:, k] + 77) % 256
            changed = (model(x2, cond) - ref).abs().amax(dim=(0, 1)) > 0
            idx = torch.nonzero(changed)[:, 0]
            assert idx.min() == k  # nothing before the perturbed sample changes
            spans.append(int(idx.max()) - k + 1)
    # the farthest reach is the computed receptive field (a single path can round to exactly 0 in float32)
    assert max(spans) <= TINY.receptive_field == 31 and min(spans) >= TINY.receptive_field - 2


def test_wavenet_incremental_logits_equal_the_full_forward_pass():
    torch.manual_seed(1)
    model = WaveNet(TINY).eval()
    x, cond = tiny_inputs(model)
    with torch.no_grad():
        assert torch.allclose(model.incremental_logits(x, cond), model(x, cond), atol=1e-4)


def test_mel_vocoder_incremental_logits_equal_the_full_forward_pass():
    """The Tacotron's WaveNet vocoder, conditioned on the tracks and stacked log-mel frames: the same equality."""
    torch.manual_seed(2)
    model = MelWaveNet(MelWaveNetConfig(**TINY_VOCODER)).eval()
    g = torch.Generator().manual_seed(0)
    t = 300
    x = torch.randint(0, 256, (2, t), generator=g)
    f0 = torch.where(torch.arange(t) < t // 2, 140.0, 0.0).expand(2, t)
    local = torch.cat([torch.randn(2, 4, t // model.hop + 1, generator=g),
                       model.frame_mels(torch.randn(2, 2 * (t // model.hop + 1), 40, generator=g), t // model.hop + 1)], 1)
    cond = model.conditioning(local, torch.randn(2, 2, generator=g), f0)
    with torch.no_grad():
        assert torch.allclose(model.incremental_logits(x, cond), model(x, cond), atol=1e-4)


def test_wavenet_fast_and_naive_generators_draw_the_same_samples():
    torch.manual_seed(2)
    model = WaveNet(TINY).eval()
    local, glob, f0 = torch.randn(2, 4, 3), torch.randn(2, 2), torch.full((2, 120), 150.0)
    fast = model.generate(local, glob, f0, generator=torch.Generator().manual_seed(5), chunk=50)
    naive = model.generate_naive(local, glob, f0, generator=torch.Generator().manual_seed(5))
    assert torch.equal(fast, naive)


def test_samplernn_incremental_logits_equal_the_full_forward_pass():
    torch.manual_seed(3)
    model = SampleRNN(TINY_SRNN).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 16 + 96), generator=g)
    cond = torch.randn(2, 6, 4, generator=g)
    samp = torch.randn(2, 96, 2, generator=g)  # the sine and log F0 of every predicted sample
    with torch.no_grad():
        full = model(x, cond, samp)
    inc = model.incremental_logits(x, cond, samp)
    assert full.shape == inc.shape == (2, 256, 96)
    assert torch.allclose(inc, full, atol=1e-5)
    # causal: changing a sample changes no prediction of it or of anything before it
    x2 = x.clone()
    x2[:, 16 + 50] = (x2[:, 16 + 50] + 99) % 256
    with torch.no_grad():
        changed = (model(x2, cond, samp) - full).abs().amax(dim=(0, 1)) > 0
    assert torch.nonzero(changed)[:, 0].min() == 51


def test_tacotron_decoder_frames_equal_the_teacher_forced_pass_on_its_own_output():
    import math

    from babbler.voices.tacotron import LOG_FLOOR

    torch.manual_seed(4)
    model = Tacotron(TacotronConfig(**{**TINY_TACO.__dict__, "prenet_dropout": 0.0})).eval()
    local, glob, f0 = torch.randn(2, 4, 20), torch.randn(2, 2), torch.full((2, 3200), 150.0)
    dec, post = model.decode(local, glob, f0, 40)
    x, source = model.frame_inputs(local, glob, f0, 0, 40)
    prev = torch.cat([torch.full_like(dec[:, :1], math.log(LOG_FLOOR)), dec[:, :-1]], dim=1)
    with torch.no_grad():
        dec2, post2 = model(model.encode(x), source, prev)
    assert torch.allclose(dec, dec2, atol=1e-5) and torch.allclose(post, post2, atol=1e-5)


def test_tacotron_source_puts_the_harmonics_at_the_f0():
    import librosa

    model = Tacotron(TacotronConfig())
    centres = librosa.mel_frequencies(82, fmin=0, fmax=8000)[1:-1]
    for f0 in (120.0, 210.0):
        source = model.harmonic_logmel(torch.tensor([[f0, 0.0]]))[0]
        assert abs(centres[int(source[0].argmax())] / f0 - 1) < 0.12  # the strongest band holds the fundamental
        assert not source[1].any()  # unvoiced: no source
    tone = torch.as_tensor(0.5 * np.sin(2 * np.pi * 200 * np.arange(16000) / 16000), dtype=torch.float32)[None]
    measured = model.log_mel(tone)[0, 50]  # the analysis puts a 200 Hz tone in the source's band of 200 Hz
    assert int(measured.argmax()) == int(model.harmonic_logmel(torch.tensor([[200.0]]))[0, 0].argmax())


@pytest.mark.parametrize("name", TRAINED)
def test_neural_voice_learns_a_tone_far_below_chance(tmp_path, name):
    sizes = SIZES.get(name, {})
    torch.manual_seed(1)
    model = VOICES[name].build(sizes)
    item = tone_item()
    crop = CROPS.get(name, 400)
    cfg = VoiceTrainConfig(steps=150, batch_size=4, crop=crop, lr=5e-3, warmup=10, epoch_steps=50, device="cpu")
    summary = train_voice(model, [item], [item], cfg, tmp_path / "v.pt", tmp_path / "v.csv", tmp_path / "v.ckpt")
    metrics = pd.read_csv(tmp_path / "v.csv")
    first = metrics["train_loss"].iloc[0]
    assert summary["final_val_loss"] < 0.4 * first  # μ-law voices start near ln 256 ≈ 5.5; the L1 far above its end
    reloaded = VOICES[name].load(str(tmp_path / "v.pt"))
    assert all(torch.equal(a, b) for a, b in zip(reloaded.state_dict().values(), model.state_dict().values()))


@pytest.mark.parametrize("name", TRAINED)
def test_interrupted_voice_training_resumes_to_the_same_run(tmp_path, name):
    """Stopped after 4 of 8 steps and resumed: the same losses as one run (the Tacotron's pre-net dropout included)."""
    sizes = SIZES.get(name, {})
    cfg = VoiceTrainConfig(steps=8, batch_size=2, crop=320, warmup=2, epoch_steps=4, device="cpu")
    items = [tone_item(200.0), tone_item(310.0)]

    def run(prefix, stop_after=None):
        torch.manual_seed(cfg.seed)
        model = VOICES[name].build(sizes)
        return train_voice(model, items, [], cfg, tmp_path / f"{prefix}.pt", tmp_path / f"{prefix}.csv",
                           tmp_path / f"{prefix}.ckpt", stop_after=stop_after)

    assert run("a", stop_after=4)["interrupted"]
    run("a")
    run("b")
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert a["step"].tolist() == list(range(1, 9))
    assert np.allclose(a["train_loss"], b["train_loss"], atol=1e-6)


def test_vocoder_conditioning_stacks_each_frames_two_mel_frames_of_its_audio():
    """The vocoder's training items: the tracks' four features, then the 10 ms log-mel frames 2j and 2j + 1 of
    their own audio for every 20 ms frame j (the tone's frames loud, the silence's at the floor)."""
    model = MelWaveNet(MelWaveNetConfig(**TINY_VOCODER))
    item = tone_item(freq=300.0, sr=8000, seconds=1.0, on=0.6)
    (ready,) = model.prepare_items([item])
    assert ready.local.shape == (4 + 2 * 40, 50) and np.array_equal(ready.local[:4], item.local)
    mel = Tacotron(TINY_TACO).log_mel(torch.as_tensor(item.audio)[None])[0].numpy()  # the Tacotron's own analysis
    for j in (3, 20, 40):
        expect = np.concatenate([mel[2 * j], mel[2 * j + 1]])
        assert np.allclose(ready.local[4:, j] * 4.0 + np.log(1e-4) / 2, expect, atol=1e-4)
    band = int(mel[40].argmax())  # the tone's band
    assert ready.local[4 + band, 15] - ready.local[4 + band, 40] > 1.5  # ≥ 6 nats louder in the tone than silence


def test_tacotron_wavenet_loads_with_the_tacotron_and_refuses_another_analysis(tmp_path):
    """The pairing loads both saved models and renders one waveform per track; a vocoder trained on another mel
    analysis than the Tacotron's is refused, naming the key."""
    torch.manual_seed(0)
    save_voice(tmp_path / "t.pt", Tacotron(TINY_TACO))
    save_voice(tmp_path / "v.pt", MelWaveNet(MelWaveNetConfig(**TINY_VOCODER)))
    save_voice(tmp_path / "w.pt", MelWaveNet(MelWaveNetConfig(**{**TINY_VOCODER, "n_mels": 32})))
    pair = load_voice_model("tacotron_wavenet", [tmp_path / "v.pt", tmp_path / "t.pt"])
    assert isinstance(pair, Vocoded) and pair.cfg.sample_rate == 8000
    waves = VOICES["tacotron_wavenet"].render([steady_tracks(150.0, seconds=0.5, rate=50)], 16000, 1, pair,
                                             {"temperature": 0.5})
    assert len(waves[0]) == 8000 and np.isfinite(waves[0]).all()
    with pytest.raises(ValueError, match="n_mels is 32 but voice.tacotron.model.n_mels is 40"):
        load_voice_model("tacotron_wavenet", [tmp_path / "w.pt", tmp_path / "t.pt"])
    with pytest.raises(ValueError, match="needs 2 saved models"):
        load_voice_model("tacotron_wavenet", tmp_path / "v.pt")


def test_fundamental_phase_follows_the_real_periods_not_the_track():
    """A 202 Hz tone with vibrato and a phase offset, under a flat 200 Hz track: the phase of its fundamental within
    0.01 rad of the tone's own (the track's phase drifts 4π rad a second away from it); unvoiced: the track's."""
    sr = 8000
    t = np.arange(2 * sr) / sr
    theta = 2 * np.pi * 202 * t + 1.0 + 0.3 * np.sin(2 * np.pi * 3 * t)
    f0 = np.where(t < 1.5, 200.0, 0.0).astype(np.float32)
    phase = fundamental_phase((0.5 * np.cos(theta)).astype(np.float32), f0, sr, 200.0)
    inner = slice(400, int(1.5 * sr) - 400)
    assert np.abs(np.angle(np.exp(1j * (phase[inner] - theta[inner])))).max() < 0.01
    track = np.mod(2 * np.pi * np.cumsum(f0.astype(np.float64)) / sr, 2 * np.pi)
    assert np.allclose(phase[int(1.5 * sr) :], track[int(1.5 * sr) :], atol=1e-4)


def test_phase_lock_trains_on_the_real_phase_only_when_set():
    """With `phase_lock` the WaveNet's loss reads the crop's phase; without, the phase integrated from the F0."""
    item = tone_item(freq=200.0)
    crop = crop_tensors(crop_items([item], 160, 10, 4, 2, 1.0, np.random.default_rng(0)), "cpu")
    shifted = {**crop, "phase": torch.remainder(crop["phase"] + 1.5, 2 * np.pi)}
    for lock in (False, True):
        torch.manual_seed(0)
        model = WaveNet(WaveNetConfig(**{**TINY.__dict__, "phase_lock": lock}))
        same = torch.equal(model.loss(crop), model.loss(shifted))
        assert same != lock


def test_harmonic_excitation_is_a_band_limited_sawtooth():
    """harmonics = 1: the sine; more: Σ sin(kφ)/k with nothing at or above 0.45 × the sample rate."""
    sr, n = 8000, 8000
    f0 = torch.full((1, n), 200.0)
    sine = sample_conditioning(f0, sr)[0, 0].numpy()
    saw = sample_conditioning(f0, sr, harmonics=40)[0, 0].numpy()
    spec_sine, spec_saw = np.abs(np.fft.rfft(sine)), np.abs(np.fft.rfft(saw))  # 1 Hz bins
    assert np.allclose(spec_saw[[200, 400, 600]] / spec_saw[200], [1, 1 / 2, 1 / 3], atol=0.01)
    assert spec_sine[400] < 1e-3 * spec_sine[200]
    assert spec_saw[3600:].max() < 1e-3 * spec_saw[200]  # 0.45 × 8000 = 3600 Hz: harmonics 18…40 are gone


def test_voice_checkpoint_is_not_resumed_on_other_audio(tmp_path):
    """A finished run's checkpoint is ignored when the audio under the same dialogue ids changed."""
    cfg = VoiceTrainConfig(steps=6, batch_size=2, crop=160, warmup=2, epoch_steps=3, device="cpu")

    def run(freq, prefix):
        torch.manual_seed(cfg.seed)
        return train_voice(WaveNet(TINY), [tone_item(freq, seconds=0.5, on=0.3)], [], cfg, tmp_path / f"{prefix}.pt",
                           tmp_path / f"{prefix}.csv", tmp_path / f"{prefix}.ckpt")

    run(200.0, "w")
    run(330.0, "w")
    run(330.0, "f")
    a, b = pd.read_csv(tmp_path / "w.csv"), pd.read_csv(tmp_path / "f.csv")
    assert a["step"].tolist() == list(range(1, 7))
    assert np.allclose(a["train_loss"], b["train_loss"])


def test_crops_are_frame_aligned_with_context():
    item = tone_item()
    crop = crop_items([item], 160, 3, 2, 3, 1.0, np.random.default_rng(0))
    assert crop.context == 320 and crop.audio.shape == (3, 5 * 160 + 1) and crop.local.shape == (3, 4, 6)
    assert crop.f0.shape == crop.audio.shape and set(np.unique(crop.f0)) <= {0.0, 200.0}


# ---------------------------------------------------------------- source-filter voice


def steady_tracks(f0=150.0, seconds=2.0, rate=100.0):
    n = int(seconds * rate)
    va = np.zeros(n, dtype=bool)
    va[int(0.5 * rate) : int(1.5 * rate)] = True
    return Tracks(va, np.where(va, f0, np.nan), np.where(va, 65.0, np.nan), frame_rate=rate)


@pytest.mark.parametrize("f0", [110.0, 210.0])
def test_source_filter_f0_within_two_percent_and_silent_where_va_is_off(f0):
    tracks = steady_tracks(f0)
    y = render_source_filter(tracks, 16000, SpeakerVoice(), seed=3)
    assert len(y) == 32000
    assert not np.any(y[: int(0.49 * 16000)]) and not np.any(y[int(1.51 * 16000) :])  # exact zeros off VA
    p = extract_prosody(y, 16000)
    voiced = p.f0[60:140][np.isfinite(p.f0[60:140])]
    assert len(voiced) > 70
    assert np.median(np.abs(voiced / f0 - 1)) < 0.02
    level = 10 * np.log10(np.mean(y[int(0.7 * 16000) : int(1.3 * 16000)] ** 2) / 4e-10)
    assert level == pytest.approx(65.0, abs=2.0)  # follows the asked intensity (dB re 20 µPa)


def test_source_filter_is_deterministic_for_a_seed():
    tracks = steady_tracks()
    a = render_source_filter(tracks, 16000, SpeakerVoice(), seed=7)
    b = render_source_filter(tracks, 16000, SpeakerVoice(), seed=7)
    c = render_source_filter(tracks, 16000, SpeakerVoice(), seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_silent_cuts_fall_in_the_middle_of_the_nearest_silence():
    from babbler.synth.source_filter import silent_cuts

    va = np.ones(1000, dtype=bool)
    va[180:220] = va[350:360] = va[420:440] = va[650:700] = False  # silences around 200, 355, 430 and 675
    assert silent_cuts(va, 700) == []  # at most 1.5 pieces: one piece
    # target 200: the silence at 200; 200 + 200: 430 is nearer than 355; 430 + 200: 675; then no silence within
    # half a piece of 875, so the cut is the target itself; 125 frames are left, less than 1.5 pieces
    assert silent_cuts(va, 200) == [200, 430, 675, 875]
    assert silent_cuts(np.ones(1000, dtype=bool), 300) == [300, 600]  # never a pause: cut at the targets


def test_a_long_track_is_rendered_in_pieces_cut_in_its_silences(monkeypatch):
    """Pieces meet in silence: every VA-on stretch is voiced right up to a cut, and the cut samples are zero."""
    from babbler.synth import source_filter

    rate, sr = 100, 8000
    va = np.zeros(10 * rate, dtype=bool)
    for start in np.arange(0.2, 9.5, 1.0):  # 0.7 s of speech every second
        va[int(start * rate) : int((start + 0.7) * rate)] = True
    tracks = Tracks(va, np.where(va, 140.0, np.nan), np.where(va, 65.0, np.nan), frame_rate=rate)
    whole = render_source_filter(tracks, sr, SpeakerVoice(), seed=5)
    monkeypatch.setattr(source_filter, "PIECE_SECONDS", 2.0)
    cuts = source_filter.silent_cuts(va, 2.0 * rate)
    assert np.allclose(cuts, [205, 405, 605, 805], atol=1)  # the middles of the pauses 1.9–2.2 s, 3.9–4.2 s, …
    y = render_source_filter(tracks, sr, SpeakerVoice(), seed=5)
    assert len(y) == len(whole) == 10 * sr and not np.array_equal(y, whole)
    assert np.array_equal(y, render_source_filter(tracks, sr, SpeakerVoice(), seed=5))  # seeded
    off = ~va & ~np.roll(va, 1) & ~np.roll(va, -1)  # off VA, 10 ms from speech (the onset ramps take a frame)
    assert not np.any(y[np.repeat(off, sr // rate)]) and not np.any(whole[np.repeat(off, sr // rate)])
    for start in np.arange(0.2, 9.5, 1.0):
        on = y[int((start + 0.05) * sr) : int((start + 0.65) * sr)]
        level = 10 * np.log10(np.mean(on**2) / 4e-10)
        assert level == pytest.approx(65.0, abs=3.0)  # each stretch at the asked level, in every piece


def test_continuation_prompt_keeps_the_real_audio():
    sr, frames = 8000, 100
    table = pd.DataFrame({
        "va_A": np.r_[np.zeros(20), np.ones(60), np.zeros(20)].astype(bool), "f0_A": 150.0, "intensity_A": 60.0,
        "va_B": np.zeros(frames, dtype=bool), "f0_B": np.nan, "intensity_B": np.nan,
    })
    voices = VOICES["source_filter"].render([speaker_tracks(table, spk) for spk in "AB"], sr, 0, None, {})
    n = frames * sr // 50
    real = np.full((n, 2), 0.25)
    keep = np.arange(frames) < 50
    audio = mix_dialogue(voices, n, sr, 1, real, {"A": keep, "B": keep})
    assert np.allclose(audio[: 49 * sr // 50], 0.25)  # the prompt is the real audio
    assert not np.allclose(audio[51 * sr // 50 :, 0], 0.25)  # then the voice takes over
    spliced = splice(np.zeros(n), np.ones(n), np.arange(frames) >= 50, sr)
    assert spliced[0] == 0 and spliced[-1] == 1 and np.all(np.diff(spliced) >= -1e-12)


def test_f0_error_compares_token_frames_where_both_have_pitch():
    from babbler.evaluation.voice_fidelity import f0_errors_semitones

    asked = np.array([100.0, 200.0, np.nan, 150.0])
    measured = np.array([100.0, 0, 200 * 2 ** (1 / 12), 0, 300.0, 0, np.nan, 0, 999.0, 0])  # 10 ms frames
    assert f0_errors_semitones(asked, measured).round(6).tolist() == [0.0, 1.0]


def test_mel_cepstral_distance_is_zero_for_the_same_audio_and_grows_with_difference():
    from babbler.evaluation.voice_fidelity import mel_cepstral_distance

    sr = 16000
    t = np.arange(sr) / sr
    rng = np.random.default_rng(0)
    voice = 0.3 * np.sin(2 * np.pi * 150 * t) + 0.01 * rng.standard_normal(sr)
    va = np.ones(50, dtype=bool)
    assert mel_cepstral_distance(voice, voice, sr, va).max() < 1e-6
    near = mel_cepstral_distance(voice, voice + 0.01 * rng.standard_normal(sr), sr, va).mean()
    far = mel_cepstral_distance(voice, 0.3 * rng.standard_normal(sr), sr, va).mean()
    assert 0 < near < far and far > 2
    assert len(mel_cepstral_distance(voice, voice, sr, np.r_[np.ones(10), np.zeros(40)].astype(bool))) == 20


def test_voice_training_holds_a_window_of_each_track_within_its_minutes(tmp_path):
    """voice.train_minutes: tracks that come to more keep the same share of each, read as a frame-aligned window
    whose audio and tracks match the whole track's at the same place; the speaker's scale stays the whole track's."""
    from babbler.voices.features import kept_share, voice_item

    assert kept_share([600.0, 1200.0], 60) == 1.0  # 30 minutes within 60: everything
    assert kept_share([3600.0, 3600.0], 60) == pytest.approx(0.5)
    sr, seconds = 8000, 20.0
    n10 = int(seconds * 100)  # 10 ms prosody frames
    t = np.arange(int(seconds * sr)) / sr
    audio = (0.1 * np.sin(2 * np.pi * 3.0 * t) * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    sf.write(tmp_path / "x.wav", audio, sr, subtype="FLOAT")
    k = np.arange(n10)
    va = (k // 50) % 2 == 0  # 0.5 s on, 0.5 s off
    pd.DataFrame({"va": va, "f0": np.where(va, 120.0 + (k % 50), np.nan),
                  "intensity": 60.0 + (k % 7)}).to_parquet(tmp_path / "x.parquet")
    whole = voice_item(tmp_path / "x.wav", tmp_path / "x.parquet", None, sr)
    part = voice_item(tmp_path / "x.wav", tmp_path / "x.parquet", None, sr, keep=0.25,
                      rng=np.random.default_rng(3))
    frames = len(part.tracks.va)
    assert frames == 250 and len(whole.tracks.va) == 1000 and len(part.audio) == frames * sr // 50
    first = next(i for i in range(1000 - frames + 1) if np.array_equal(whole.audio[i * 160 : i * 160 + 160],
                                                                          part.audio[:160]))
    np.testing.assert_array_equal(part.audio, whole.audio[first * 160 : (first + frames) * 160])
    np.testing.assert_array_equal(part.tracks.va, whole.tracks.va[first : first + frames])
    np.testing.assert_array_equal(part.tracks.f0, whole.tracks.f0[first : first + frames])
    with pytest.raises(ValueError, match="seeded rng"):  # a window's offset is always drawn from the run's seed
        voice_item(tmp_path / "x.wav", tmp_path / "x.parquet", None, sr, keep=0.25)
    assert part.scale == whole.scale  # measured on the whole track
