"""Phone-like units (babbler.voices.units): learned without labels from known sounds, drawn by their chain along
the voicing of a track, and carried by every voice that takes them through training, saving and rendering."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babbler.models.dataset import SpeakerScale
from babbler.voices.features import make_item
from babbler.voices.registry import VOICES
from babbler.voices.spec import Tracks
from babbler.voices.training import VoiceTrainConfig, train_voice
from babbler.voices.units import Units, fit_units, frame_mfcc, item_units
from tests.test_voices import SIZES

SR = 8000


def vowel_hiss_item(seconds: float = 6.0, seed: int = 0):
    """Speech that alternates a voiced vowel-like sound (150 Hz harmonics, 200 ms) and a hiss (high-passed noise,
    100 ms), with a pause every 1.2 s; its tracks say where it is voiced."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * 50)
    kind = np.array(["vowel"] * 10 + ["hiss"] * 5 + ["vowel"] * 10 + ["hiss"] * 5 + ["pause"] * 30)
    kind = np.resize(kind, frames)
    hop = SR // 50
    t = np.arange(frames * hop) / SR
    vowel = sum(np.sin(2 * np.pi * 150 * k * t) / k * np.exp(-((150 * k - 700) / 400) ** 2) for k in range(1, 20))
    hiss = np.diff(rng.standard_normal(len(t) + 1))
    per_sample = np.repeat(kind, hop)
    audio = np.where(per_sample == "vowel", 0.3 * vowel, np.where(per_sample == "hiss", 0.05 * hiss, 0.0))
    audio = (audio + 1e-4 * rng.standard_normal(len(t))).astype(np.float32)
    va = kind != "pause"
    f0 = np.where(kind == "vowel", 150.0, np.nan)
    tracks = Tracks(va, f0, np.where(va, 65.0, 30.0), frame_rate=50)
    return make_item(audio, tracks, SpeakerScale(150.0, 65.0), SR), kind


def test_units_tell_a_vowel_from_a_hiss_without_labels_and_the_chain_follows_voicing():
    item, kind = vowel_hiss_item()
    units = Units(2)
    fit_units(units, [item], SR, seed=1)
    assigned = units.assign(frame_mfcc(item.audio, SR, len(kind)), item.tracks.va)
    assert (assigned[kind == "pause"] == -1).all()
    vowel_unit = np.bincount(assigned[kind == "vowel"]).argmax()
    inner = np.r_[False, kind[1:-1] == kind[:-2], False] & (kind == kind[np.r_[1:len(kind), len(kind) - 1]])
    # away from the edges between sounds (where a window holds both), every frame gets its sound's unit
    assert (assigned[inner & (kind == "vowel")] == vowel_unit).mean() == 1.0
    assert (assigned[inner & (kind == "hiss")] == 1 - vowel_unit).mean() == 1.0
    # drawn along the tracks: voiced frames get the vowel unit, unvoiced speech frames the hiss, none off speech
    drawn = units.sample(item.tracks, np.random.default_rng(3))
    assert (drawn[kind == "pause"] == -1).all()
    assert (drawn[kind == "vowel"] == vowel_unit).mean() > 0.75  # chance: 0.5
    assert (drawn[kind == "hiss"] == 1 - vowel_unit).mean() > 0.75
    vectors = item_units(units, item.audio, SR, item.tracks)
    # two training speakers, an octave apart: a track takes the chain of the one nearest its pitch
    low, _ = vowel_hiss_item(seed=1)
    high = make_item(low.audio, Tracks(low.tracks.va, 2 * low.tracks.f0, low.tracks.intensity, frame_rate=50),
                     SpeakerScale(300.0, 65.0), SR)
    two = Units(2)
    fit_units(two, [low, high], SR, seed=1)
    assert two.log_chain.shape == (2, 2, 3, 2)
    assert two.speaker(item.tracks) == 0 and two.speaker(high.tracks) == 1
    assert vectors.shape == (13, len(kind)) and not vectors[:, kind == "pause"].any()


@pytest.mark.parametrize("name", ["wavenet", "samplernn", "tacotron"])
def test_a_voice_with_units_trains_saves_and_renders_them(tmp_path, name):
    """The units are learned before training, saved with the weights, drawn (seeded) in rendering."""
    torch.manual_seed(0)
    sizes = {**SIZES[name], "units": 4}
    voice = VOICES[name]
    model = voice.build(sizes)
    item, kind = vowel_hiss_item(4.0)
    if model.cfg.sample_rate != SR:
        pytest.skip("the tiny sizes run at 8 kHz")
    cfg = VoiceTrainConfig(steps=2, batch_size=2, crop=800, warmup=1, epoch_steps=1, device="cpu")
    other = make_item(item.audio, item.tracks, SpeakerScale(300.0, 65.0), SR)  # a second training speaker
    train_voice(model, [item, other], [item], cfg, tmp_path / "v.pt", tmp_path / "v.csv", tmp_path / "v.ckpt")
    loaded = voice.load(str(tmp_path / "v.pt"))
    assert torch.equal(loaded.units.centroids, model.units.centroids) and loaded.units.centroids.abs().sum() > 0
    assert torch.equal(loaded.units.log_chain, model.units.log_chain) and loaded.units.log_chain.shape[0] == 2
    a = voice.render([item.tracks], 16000, 5, loaded, {})
    b = voice.render([item.tracks], 16000, 5, loaded, {})
    assert len(a[0]) == 4 * 16000 and np.isfinite(a[0]).all() and np.array_equal(a[0], b[0])
