"""Training of the frame Transformer: resume, and checkpoints that must not be resumed."""

import numpy as np
import pandas as pd
import pytest
import torch

from babbler.models.registry import load_model
from babbler.models.train_transformer import TrainConfig, train_transformer
from babbler.models.transformer import FrameTransformer, TransformerConfig
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


def test_checkpoint_of_another_architecture_is_not_resumed(tmp_path):
    """Same settings, but the code's model changed: the stale checkpoint is ignored, not half-loaded."""
    import copy

    from babbler.models.training_loop import config_hash, load_checkpoint

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
    from babbler.evaluation.selfplay_timing import timing_scorer
    from babbler.models.selection import TimingSelection

    rng = np.random.default_rng(3)
    train, val = [toy_dialogue(rng, 1500) for _ in range(4)], [toy_dialogue(rng, 1500)]
    mcfg = TransformerConfig(d_model=16, layers=1, heads=2, context=64)
    tcfg = TrainConfig(steps=60, batch_size=4, crop=64, warmup=5, epoch_steps=10, patience=10, threads=1,
                       select="timing", select_every=20, select_minutes=0.5, select_samples=2)
    timing = tcfg.timing_selection("overlap", True)
    selection = timing_scorer(train, val, timing)
    ref = train_transformer(train, val, mcfg, tcfg, tmp_path / "ref.pt", tmp_path / "ref.csv", tmp_path / "ref.ckpt",
                            selection=selection)
    rows = pd.read_csv(tmp_path / "ref.csv")
    checked = rows.dropna(subset=["val_timing"])
    assert checked["step"].tolist() == [20, 40, 60]  # every select_every steps after the warm-up
    best = checked.loc[checked["val_timing"].idxmin()]
    assert ref["select"] == "timing" and ref["selected_step"] == best["step"]
    assert ref["selected_val_timing"] == pytest.approx(best["val_timing"])
    ratio_cols = [c for c in rows if c.startswith("val_w1_ratio_")]
    assert len(ratio_cols) == 5 and np.allclose(checked[ratio_cols].mean(axis=1), checked["val_timing"])
    # the saved model is the selected one: scoring it again gives the selected score (the draws are seeded)
    score = timing_scorer(train, val, timing).score(load_model(tmp_path / "ref.pt"))["score"]
    assert score == pytest.approx(best["val_timing"], abs=1e-6)
    # interrupted between two checks, the resumed run keeps the same best and ends on the same choice
    train_transformer(train, val, mcfg, tcfg, tmp_path / "r.pt", tmp_path / "r.csv", tmp_path / "r.ckpt",
                      stop_after=30, selection=selection)
    resumed = train_transformer(train, val, mcfg, tcfg, tmp_path / "r.pt", tmp_path / "r.csv", tmp_path / "r.ckpt",
                                selection=selection)
    assert resumed["selected_step"] == ref["selected_step"]
    assert np.allclose(pd.read_csv(tmp_path / "r.csv")["val_timing"].dropna(), checked["val_timing"], atol=1e-9)
    # other sampling settings are another run: its checkpoint is not resumed
    assert TimingSelection(stop="frame").ident() != timing.ident()
    with pytest.raises(ValueError, match="needs a checkpoint scorer"):
        train_transformer(train, val, mcfg, tcfg, tmp_path / "x.pt", tmp_path / "x.csv", tmp_path / "x.ckpt")


def test_timing_selection_needs_validation_dialogues():
    from babbler.evaluation.selfplay_timing import timing_scorer
    from babbler.models.selection import TimingSelection

    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match="needs validation dialogues"):
        timing_scorer([toy_dialogue(rng, 300)], [], TimingSelection())
    with pytest.raises(ValueError, match="at least twice"):
        timing_scorer([toy_dialogue(rng, 300)], [toy_dialogue(rng, 300) for _ in range(2)], TimingSelection())


def test_training_says_where_it_stands_on_the_console_and_in_its_log(monkeypatch, caplog):
    """Under a rule's log (stderr redirected to it), a line with the step, the loss and the time left reaches the
    console at the first step, at least every minute after, and at the last; the log gets the same lines."""
    import io
    import logging
    import sys

    from babbler.models.training_loop import ConsoleProgress

    console, rule_log = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", console)
    monkeypatch.setattr(sys, "stderr", rule_log)
    clock = iter([0.0, 1.0, 30.0, 61.0, 90.0, 125.0])
    monkeypatch.setattr("babbler.models.training_loop.time.perf_counter", lambda: next(clock))
    progress = ConsoleProgress("transformer", 100, 0)
    with caplog.at_level(logging.INFO, logger="babbler.models.training_loop"):
        for step, force in ((1, True), (10, False), (20, False), (30, False), (100, True)):
            progress.update(step, 2.5, force=force)
    lines = console.getvalue().splitlines()
    assert lines[0] == "babbler transformer: step 1/100, loss 2.5000, 0:01 elapsed, about 1:39 left"
    assert [line.split(",")[0] for line in lines] == ["babbler transformer: step 1/100", "babbler transformer: step 20/100",
                                                       "babbler transformer: step 100/100"]
    assert lines[1].endswith("about 4:04 left") and caplog.text.count("transformer: step") == 3
