"""Training of the frame Transformer: resume, and checkpoints that must not be resumed."""

import numpy as np
import pandas as pd
import pytest
import torch

from babbler.models.io import load_model
from babbler.models.transformer import FrameTransformer, TransformerConfig
from babbler.train import TrainConfig, train_transformer
from tests.model_helpers import toy_dialogue

# ---------------------------------------------------------------- training and resume


def test_interrupted_training_resumes_to_the_same_run(tmp_path):
    rng = np.random.default_rng(1)
    train, val = [toy_dialogue(rng, 800) for _ in range(3)], [toy_dialogue(rng, 800)]
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=64)
    tcfg = TrainConfig(steps=40, batch_size=4, crop=64, warmup=5, epoch_steps=10, patience=10, threads=1)
    ref = train_transformer(train, val, mcfg, tcfg, tmp_path / "ref.pt", tmp_path / "ref.csv", tmp_path / "ref.ckpt")
    part = train_transformer(train, val, mcfg, tcfg, tmp_path / "r.pt", tmp_path / "r.csv", tmp_path / "r.ckpt",
                             stop_after=20)
    assert part == {"step": 20, "interrupted": True} and not (tmp_path / "r.pt").exists()
    ck = torch.load(tmp_path / "r.ckpt", weights_only=True)
    assert ck["step"] == 20 and "optimizer" in ck and "scheduler" in ck and "numpy" in ck["rng"] and "torch" in ck["rng"]
    resumed = train_transformer(train, val, mcfg, tcfg, tmp_path / "r.pt", tmp_path / "r.csv", tmp_path / "r.ckpt")
    assert resumed["step"] == ref["step"] == 40
    a, b = pd.read_csv(tmp_path / "ref.csv"), pd.read_csv(tmp_path / "r.csv")
    assert a["step"].tolist() == b["step"].tolist() == list(range(1, 41))
    assert np.allclose(a["train_loss"], b["train_loss"], atol=1e-5)  # same batches, same dropout, same updates
    assert resumed["best_val_loss"] == pytest.approx(ref["best_val_loss"], abs=1e-5)


def test_weight_average_is_checked_saved_and_resumed(tmp_path):
    """train.ema: checks and the saved model use the moving average of the weights, which a resumed run carries
    on from its checkpoint as if never interrupted."""
    rng = np.random.default_rng(1)
    train, val = [toy_dialogue(rng, 800) for _ in range(3)], [toy_dialogue(rng, 800)]
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=64)
    runs = {}
    for name, ema, stop in (("raw", 0.0, None), ("ema", 0.9, None), ("resumed", 0.9, 20)):
        tcfg = TrainConfig(steps=40, batch_size=4, crop=64, warmup=5, epoch_steps=10, patience=10, threads=1, ema=ema)
        torch.manual_seed(0)
        args = (train, val, mcfg, tcfg, tmp_path / f"{name}.pt", tmp_path / f"{name}.csv", tmp_path / f"{name}.ckpt")
        if stop:
            train_transformer(*args, stop_after=stop)
            assert torch.load(tmp_path / f"{name}.ckpt", weights_only=True)["ema"] is not None
            torch.manual_seed(0)
        train_transformer(*args)
        runs[name] = (pd.read_csv(tmp_path / f"{name}.csv"), load_model(tmp_path / f"{name}.pt").state_dict())
    (raw, w_raw), (ema, w_ema), (resumed, w_res) = runs["raw"], runs["ema"], runs["resumed"]
    assert np.allclose(raw["train_loss"], ema["train_loss"], atol=1e-6)  # the same updates of the raw weights
    assert not np.allclose(raw["val_loss"].dropna(), ema["val_loss"].dropna())  # checked on other weights
    assert any(not torch.allclose(w_raw[k], w_ema[k]) for k in w_raw)
    assert np.allclose(ema["val_loss"].dropna(), resumed["val_loss"].dropna(), atol=1e-5)
    assert all(torch.allclose(w_ema[k], w_res[k], atol=1e-5) for k in w_ema)


def test_checkpoint_of_another_architecture_is_not_resumed(tmp_path):
    """Same settings, but the code's model changed: the stale checkpoint is ignored, not half-loaded."""
    import copy

    from babbler.loop import config_hash, load_checkpoint

    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=32)
    tcfg = TrainConfig(steps=10)
    model = FrameTransformer(mcfg)
    opt = torch.optim.AdamW(model.parameters())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    rid = config_hash(mcfg, tcfg, "x")
    stale = copy.deepcopy(model.state_dict())
    stale.pop("head_other.bias")
    torch.save({"run_id": rid, "model": stale}, tmp_path / "c.ckpt")
    before = copy.deepcopy(model.state_dict())
    assert load_checkpoint(tmp_path / "c.ckpt", rid, model, opt, sched, np.random.default_rng(0), "cpu") is None
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_checkpoint_of_other_settings_is_not_resumed(tmp_path):
    rng = np.random.default_rng(2)
    train = [toy_dialogue(rng, 600) for _ in range(2)]
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=32)
    tcfg = TrainConfig(steps=10, batch_size=2, crop=32, warmup=2, epoch_steps=5, threads=1)
    train_transformer(train, [], mcfg, tcfg, tmp_path / "a.pt", tmp_path / "a.csv", tmp_path / "c.ckpt", stop_after=5)
    other = TrainConfig(steps=12, batch_size=2, crop=32, warmup=2, epoch_steps=5, threads=1)
    train_transformer(train, [], mcfg, other, tmp_path / "a.pt", tmp_path / "a.csv", tmp_path / "c.ckpt")
    assert pd.read_csv(tmp_path / "a.csv")["step"].tolist() == list(range(1, 13))


def test_finished_checkpoint_is_not_resumed_after_the_training_data_changed(tmp_path):
    """Same ids, same settings, other tracks (a changed VAD, sample rate or re-recorded file): the kept checkpoint
    of the finished run must not be taken for this run; the result equals a fresh training on the new data."""
    rng = np.random.default_rng(3)
    old = [toy_dialogue(rng, 600) for _ in range(2)]
    new = [np.roll(t, 7, axis=0) for t in old]  # same dialogues, shifted tracks
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=32)
    tcfg = TrainConfig(steps=10, batch_size=2, crop=32, warmup=2, epoch_steps=5, threads=1)
    train_transformer(old, [], mcfg, tcfg, tmp_path / "m.pt", tmp_path / "m.csv", tmp_path / "m.ckpt")
    stale = load_model(tmp_path / "m.pt")
    train_transformer(new, [], mcfg, tcfg, tmp_path / "m.pt", tmp_path / "m.csv", tmp_path / "m.ckpt")
    train_transformer(new, [], mcfg, tcfg, tmp_path / "f.pt", tmp_path / "f.csv", tmp_path / "f.ckpt")
    got, fresh = load_model(tmp_path / "m.pt"), load_model(tmp_path / "f.pt")
    assert pd.read_csv(tmp_path / "m.csv")["step"].tolist() == list(range(1, 11))
    assert all(torch.equal(a, b) for a, b in zip(got.state_dict().values(), fresh.state_dict().values()))
    assert not all(torch.equal(a, b) for a, b in zip(got.state_dict().values(), stale.state_dict().values()))


def test_finished_or_early_stopped_run_rewrites_the_same_model(tmp_path):
    """Rerunning a finished training on unchanged data trains no further (an early stop stays stopped)."""
    rng = np.random.default_rng(4)
    train, val = [toy_dialogue(rng, 600) for _ in range(2)], [toy_dialogue(rng, 600)]
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=32)
    tcfg = TrainConfig(steps=60, batch_size=2, crop=32, warmup=2, epoch_steps=5, patience=1, lr=0.5, threads=1)
    first = train_transformer(train, val, mcfg, tcfg, tmp_path / "m.pt", tmp_path / "m.csv", tmp_path / "m.ckpt")
    assert first["stopped_early"] and first["step"] < 60
    before = load_model(tmp_path / "m.pt").state_dict()
    again = train_transformer(train, val, mcfg, tcfg, tmp_path / "m.pt", tmp_path / "m.csv", tmp_path / "m.ckpt")
    assert again["step"] == first["step"] and again["stopped_early"]
    after = load_model(tmp_path / "m.pt").state_dict()
    assert all(torch.equal(before[k], v) for k, v in after.items())


# ---------------------------------------------------------------- checkpoint selection by selfplay timing


def test_timing_selection_keeps_the_check_with_the_closest_selfplay_and_resumes(tmp_path):
    """train.select: timing scores selfplay at the checks, keeps the weights of the lowest mean W1 ratio (which the
    saved model reproduces), and an interrupted run resumes to the same choice."""
    from babbler.selection import TimingSelection, timing_scorer

    rng = np.random.default_rng(3)
    train, val = [toy_dialogue(rng, 1500) for _ in range(4)], [toy_dialogue(rng, 1500)]
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=64)
    tcfg = TrainConfig(steps=60, batch_size=4, crop=64, warmup=5, epoch_steps=10, patience=10, threads=1,
                       select="timing", select_every=20, select_minutes=0.5, select_samples=2)
    timing = tcfg.timing_selection("overlap", True)
    ref = train_transformer(train, val, mcfg, tcfg, tmp_path / "ref.pt", tmp_path / "ref.csv", tmp_path / "ref.ckpt",
                            timing=timing)
    rows = pd.read_csv(tmp_path / "ref.csv")
    checked = rows.dropna(subset=["val_timing"])
    assert checked["step"].tolist() == [20, 40, 60]  # every select_every steps after the warm-up
    best = checked.loc[checked["val_timing"].idxmin()]
    assert ref["select"] == "timing" and ref["selected_step"] == best["step"]
    assert ref["selected_val_timing"] == pytest.approx(best["val_timing"])
    ratio_cols = [c for c in rows if c.startswith("val_w1_ratio_")]
    assert len(ratio_cols) == 5 and np.allclose(checked[ratio_cols].mean(axis=1), checked["val_timing"])
    # the saved model is the selected one: scoring it again gives the selected score (the draws are seeded)
    score = timing_scorer(train, val, timing)(load_model(tmp_path / "ref.pt"))["score"]
    assert score == pytest.approx(best["val_timing"], abs=1e-6)
    # interrupted between two checks, the resumed run keeps the same best and ends on the same choice
    train_transformer(train, val, mcfg, tcfg, tmp_path / "r.pt", tmp_path / "r.csv", tmp_path / "r.ckpt",
                      stop_after=30, timing=timing)
    resumed = train_transformer(train, val, mcfg, tcfg, tmp_path / "r.pt", tmp_path / "r.csv", tmp_path / "r.ckpt",
                                timing=timing)
    assert resumed["selected_step"] == ref["selected_step"]
    assert np.allclose(pd.read_csv(tmp_path / "r.csv")["val_timing"].dropna(), checked["val_timing"], atol=1e-9)
    # other sampling settings are another run: its checkpoint is not resumed
    assert TimingSelection(stop="frame").ident() != timing.ident()
    with pytest.raises(ValueError, match="needs the sampling settings"):
        train_transformer(train, val, mcfg, tcfg, tmp_path / "x.pt", tmp_path / "x.csv", tmp_path / "x.ckpt")


def test_timing_selection_needs_validation_dialogues():
    from babbler.selection import TimingSelection, timing_scorer

    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match="needs validation dialogues"):
        timing_scorer([toy_dialogue(rng, 300)], [], TimingSelection())
    with pytest.raises(ValueError, match="at least twice"):
        timing_scorer([toy_dialogue(rng, 300)], [toy_dialogue(rng, 300) for _ in range(2)], TimingSelection())


# ---------------------------------------------------------------- voice-activity projection (model.transformer.vap)


def test_projection_targets_of_a_hand_built_track():
    from babbler.models.projection import projection_targets

    own = np.zeros(300, dtype=np.int64)
    own[50:150] = 5
    partner = np.zeros(300, dtype=np.int64)
    partner[160:170] = 5
    t = projection_targets(own, partner)
    assert (t[200:] == -1).all() and (t[:200] >= 0).all()  # the last 2 s have no whole horizon
    assert t[0] == 8  # frames 61…100: own talks all 40 (window 4, bit 3); 31…60 only 10 of 30 (below half)
    assert t[48] == 15  # frames 49…148: own talks in every window (49 is 1 silent frame of window 1's 10)
    assert t[139] == 1 + 32  # own's last 10 frames fill window 1; partner's 160…169 half of window 2 (150…169)
    assert t[150] == 0 and t[199] == 0


def test_projection_objective_adds_its_weighted_loss_and_leaves_the_token_loss_alone():
    from babbler.models.projection import CLASSES
    from babbler.train import loss_on, sample_batch, views

    rng = np.random.default_rng(1)
    seqs = views([toy_dialogue(rng, 600)])
    batch = torch.as_tensor(sample_batch(seqs, TrainConfig(batch_size=4, crop=200), np.random.default_rng(0)))
    batch[0, :, 4] = -1  # as padding: not scored
    losses = {}
    for vap in (0.0, 0.5, 1.0):
        torch.manual_seed(0)
        model = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=64, dropout=0, vap=vap))
        assert (model.head_vap is None) == (vap == 0)
        losses[vap] = float(loss_on(model, batch))
    # the same token and duration weights (the projection head is made last) plus the weighted projection loss
    assert losses[0.5] - losses[0.0] == pytest.approx((losses[1.0] - losses[0.0]) / 2, rel=1e-4)
    assert losses[1.0] - losses[0.0] == pytest.approx(np.log(CLASSES), rel=0.05)  # an untrained head: near uniform
    plain = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=64))
    assert not any(k.startswith("head_vap") for k in plain.state_dict())  # models saved before the option still load


def test_projection_head_learns_the_future_of_a_rhythmic_dialogue(tmp_path):
    """A dialogue whose turns alternate every 1.2 s: a trained head predicts the next 2 s far better than chance."""
    from babbler.models.projection import projection_targets
    from babbler.train import CLOCK_COLUMN, views

    period = 60
    frames = np.arange(3000)
    tok = np.stack([np.where((frames // period) % 2 == 0, 5, 0), np.where((frames // period) % 2 == 1, 5, 0)], axis=1)
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=128, vap=1.0)
    tcfg = TrainConfig(steps=150, batch_size=8, crop=160, warmup=10, epoch_steps=50, patience=10, threads=1)
    train_transformer([tok], [tok], mcfg, tcfg, tmp_path / "m.pt", tmp_path / "m.csv", tmp_path / "m.ckpt")
    model = load_model(tmp_path / "m.pt")
    assert model.head_vap is not None
    seq = torch.as_tensor(views([tok])[0][None, 1000:1400].astype(np.int64))
    with torch.no_grad():
        out = model(seq[..., 0], seq[..., 1], seq[..., CLOCK_COLUMN:], seq[:, 0, 3])
    target = projection_targets(tok[:, 0], tok[:, 1])[1000:1400]
    hit = (out.projection[0].argmax(-1).numpy() == target)[150:]  # past the first window's warm-up
    _, counts = np.unique(target, return_counts=True)
    assert counts.max() / counts.sum() < 0.25  # 12 patterns: always guessing the most common one is right 1 in 5
    assert hit.mean() > 0.5  # 0.63 after these 150 steps
