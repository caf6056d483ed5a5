"""Voices: the WaveNet (causality, incremental generation, μ-law, receptive field, overfitting) and
the source-filter voice (F0 accuracy, silence, determinism), and splicing real audio into renders."""

import numpy as np
import pandas as pd
import pytest
import torch

from babbler.prosody import extract_prosody
from babbler.render import mix_dialogue, source_filter_voices, splice
from babbler.voices.source_filter import SpeakerVoice, Tracks, render_source_filter
from babbler.voices.wavenet import WaveNet, WaveNetConfig, mu_law_decode, mu_law_encode
from babbler.voices.wavenet_train import VoiceItem, WaveNetTrainConfig, crop_batch, train_wavenet

TINY = WaveNetConfig(stacks=2, layers_per_stack=4, residual=8, skip=8, cond=4)


def tiny_inputs(model, t=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (2, t), generator=g)
    cond = model.conditioning(torch.randn(2, 4, t // model.hop + 1, generator=g), torch.randn(2, 2, generator=g), t)
    return x, cond


def test_mu_law_round_trip():
    x = np.linspace(-1, 1, 10001)
    c = mu_law_encode(x)
    assert c.min() == 0 and c.max() == 255
    assert np.max(np.abs(mu_law_decode(c) - x)) < 0.032  # the coarsest step, at full scale
    small = np.linspace(-0.01, 0.01, 101)
    assert np.max(np.abs(mu_law_decode(mu_law_encode(small)) - small)) < 2.5e-4  # fine steps near zero
    assert torch.equal(mu_law_encode(torch.as_tensor(x)), torch.as_tensor(c))


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
    assert max(spans) == TINY.receptive_field == 31 and min(spans) >= TINY.receptive_field - 2


def test_incremental_logits_equal_the_full_forward_pass():
    torch.manual_seed(1)
    model = WaveNet(TINY).eval()
    x, cond = tiny_inputs(model)
    with torch.no_grad():
        assert torch.allclose(model.incremental_logits(x, cond), model(x, cond), atol=1e-4)


def test_fast_and_naive_generators_draw_the_same_samples():
    torch.manual_seed(2)
    model = WaveNet(TINY).eval()
    local, glob = torch.randn(2, 4, 3), torch.randn(2, 2)
    fast = model.generate(local, glob, 120, generator=torch.Generator().manual_seed(5))
    naive = model.generate_naive(local, glob, 120, generator=torch.Generator().manual_seed(5))
    assert torch.equal(fast, naive)


def test_tiny_wavenet_overfits_a_short_clip(tmp_path):
    sr = 8000
    t = np.arange(sr) / sr
    clip = 0.5 * np.sin(2 * np.pi * 200 * t) * (t < 0.6)  # 0.6 s tone, then silence
    local = np.zeros((4, 50), dtype=np.float32)
    local[0, :30] = 1
    item = VoiceItem(mu_law_encode(clip).astype(np.int16), local, np.zeros(2, np.float32), np.arange(30))
    cfg = WaveNetTrainConfig(steps=150, batch_size=4, crop=400, lr=5e-3, warmup=10, epoch_steps=50, device="cpu")
    summary = train_wavenet([item], [item], TINY, cfg, tmp_path / "w.pt", tmp_path / "w.csv", tmp_path / "w.ckpt")
    metrics = pd.read_csv(tmp_path / "w.csv")
    assert metrics["train_loss"].iloc[0] > 4.5  # starts near ln 256 ≈ 5.5
    assert summary["final_val_loss"] < 1.0  # far below chance


def test_wavenet_checkpoint_is_not_resumed_on_other_audio(tmp_path):
    """A finished WaveNet run's checkpoint is ignored when the audio under the same dialogue ids changed."""
    sr = 8000
    t = np.arange(sr // 2) / sr
    local = np.zeros((4, 25), dtype=np.float32)
    local[0, :15] = 1

    def item(freq):
        clip = 0.5 * np.sin(2 * np.pi * freq * t) * (t < 0.3)
        return VoiceItem(mu_law_encode(clip).astype(np.int16), local, np.zeros(2, np.float32), np.arange(15))

    cfg = WaveNetTrainConfig(steps=6, batch_size=2, crop=160, warmup=2, epoch_steps=3, device="cpu")
    train_wavenet([item(200)], [], TINY, cfg, tmp_path / "w.pt", tmp_path / "w.csv", tmp_path / "w.ckpt")
    train_wavenet([item(330)], [], TINY, cfg, tmp_path / "w.pt", tmp_path / "w.csv", tmp_path / "w.ckpt")
    train_wavenet([item(330)], [], TINY, cfg, tmp_path / "f.pt", tmp_path / "f.csv", tmp_path / "f.ckpt")
    a, b = pd.read_csv(tmp_path / "w.csv"), pd.read_csv(tmp_path / "f.csv")
    assert a["step"].tolist() == list(range(1, 7))
    assert np.allclose(a["train_loss"], b["train_loss"])


def test_crop_batch_is_frame_aligned_with_receptive_field_context():
    model = WaveNet(TINY)
    item = VoiceItem(np.arange(8000, dtype=np.int16) % 256, np.zeros((4, 50), np.float32), np.zeros(2, np.float32),
                     np.arange(50))
    x, target, local, glob, skip = crop_batch([item], model, WaveNetTrainConfig(batch_size=3, crop=480),
                                              np.random.default_rng(0))
    assert skip % model.hop == 0 and skip >= TINY.receptive_field - 1
    assert x.shape[1] == skip + 480 and torch.equal(target[:, :-1], x[:, 1:])
    assert local.shape[2] == x.shape[1] // model.hop + 1


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


def test_continuation_prompt_keeps_the_real_audio():
    sr, frames = 8000, 100
    table = pd.DataFrame({
        "va_A": np.r_[np.zeros(20), np.ones(60), np.zeros(20)].astype(bool), "f0_A": 150.0, "intensity_A": 60.0,
        "va_B": np.zeros(frames, dtype=bool), "f0_B": np.nan, "intensity_B": np.nan,
    })
    (voices,), _ = source_filter_voices([table], sr, seed=0)
    n = frames * sr // 50
    real = np.full((n, 2), 0.25)
    keep = np.arange(frames) < 50
    audio = mix_dialogue(voices, n, sr, 1, real, {"A": keep, "B": keep})
    assert np.allclose(audio[: 49 * sr // 50], 0.25)  # the prompt is the real audio
    assert not np.allclose(audio[51 * sr // 50 :, 0], 0.25)  # then the voice takes over
    spliced = splice(np.zeros(n), np.ones(n), np.arange(frames) >= 50, sr)
    assert spliced[0] == 0 and spliced[-1] == 1 and np.all(np.diff(spliced) >= -1e-12)


def test_f0_error_compares_token_frames_where_both_have_pitch():
    from babbler.fidelity import f0_errors_semitones

    asked = np.array([100.0, 200.0, np.nan, 150.0])
    measured = np.array([100.0, 0, 200 * 2 ** (1 / 12), 0, 300.0, 0, np.nan, 0, 999.0, 0])  # 10 ms frames
    assert f0_errors_semitones(asked, measured).round(6).tolist() == [0.0, 1.0]
