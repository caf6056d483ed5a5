"""Frame models: dataset tokens, the causal Transformer, training/resume, baselines, agent, evaluation."""

import numpy as np
import pandas as pd
import pytest
import torch

from babbler.agent import Agent
from babbler.dataset import (INT_BINS, UNVOICED, VOCAB, SpeakerScale, bin_centres, decode, encode, f0_bin,
                             intensity_bin, speaker_tokens)
from babbler.frame_eval import evaluate_frame_model, shift_hold_events
from babbler.models.baselines import IndependentModel, MarkovModel
from babbler.models.io import load_model
from babbler.models.durations import DUR_EDGES, TAIL_HAZARD, duration_bin, onset_durations, run_hazard
from babbler.models.transformer import FrameTransformer, TransformerConfig
from babbler.sampling import (FREE, RunLimits, generate, listen_plan, sample_token, sampler, selfplay_plan,
                              tracks_table)
from babbler.train import TrainConfig, sequence_nll, train_transformer
from babbler.va import runs

# ---------------------------------------------------------------- dataset tokens


def test_token_round_trip_and_bins():
    va = np.array([0, 1, 1, 1], dtype=bool)
    f0b = np.array([3, 0, UNVOICED, 15])
    ib = np.array([2, 7, 0, 4])
    tok = encode(va, f0b, ib)
    assert tok[0] == 0 and tok.max() < VOCAB
    v2, f2, i2 = decode(tok)
    assert v2.tolist() == va.tolist()
    assert f2[1:].tolist() == [0, UNVOICED, 15] and i2[1:].tolist() == [7, 0, 4] and f2[0] == -1
    assert f0_bin(np.array([200.0, 200 * 2 ** (0.5 / 12), 200 * 2 ** (-8.5 / 12), np.nan]), 200.0).tolist() == [
        8, 8, 0, UNVOICED]
    assert intensity_bin(np.array([60.0, 47.0, 65.0]), 60.0).tolist() == [6, 0, INT_BINS - 1]
    f0c, dbc = bin_centres(SpeakerScale(200.0, 60.0))
    assert f0_bin(f0c, 200.0).tolist() == list(range(16))
    assert intensity_bin(dbc, 60.0).tolist() == list(range(INT_BINS))


def test_speaker_tokens_from_10ms_prosody():
    n = 400
    va = np.zeros(n, dtype=bool)
    va[100:300] = True
    f0 = np.where(va, 150.0, np.nan)
    f0[200:220] = np.nan  # an unvoiced stretch
    prosody = pd.DataFrame({"time": np.arange(n) / 100, "f0": f0, "intensity": np.where(va, 65.0, 30.0), "va": va})
    tok, scale = speaker_tokens(prosody)
    assert len(tok) == 200 and scale.f0_median == pytest.approx(150.0) and scale.db_median == pytest.approx(65.0)
    v, fb, _ = decode(tok)
    assert v.sum() == 100 and v[50:150].all()
    assert (fb[100:110] == UNVOICED).all() and (fb[v & (np.arange(200) < 100)] == 8).all()


def test_dataset_round_trip_with_ids_that_are_savez_arguments(tmp_path):
    """Dialogue ids such as `file` or `allow_pickle` name numpy's own arguments; they must round-trip."""
    from babbler.dataset import FrameData, load_dataset, save_dataset

    ids = ["file", "allow_pickle", "001"]
    tokens = {d: np.full((5 + i, 2), i, dtype=np.int16) for i, d in enumerate(ids)}
    scales = {d: (SpeakerScale(100.0 + i, 60.0), SpeakerScale(200.0, 55.0)) for i, d in enumerate(ids)}
    save_dataset(FrameData(tokens, scales, dict(zip(ids, ["train", "val", "test"]))), tmp_path / "f.npz",
                 tmp_path / "s.csv")
    back = load_dataset(tmp_path / "f.npz", tmp_path / "s.csv")
    assert back.ids() == sorted(ids) and back.split["001"] == "test"
    assert all(np.array_equal(back.tokens[d], tokens[d]) for d in ids)
    assert back.scales["allow_pickle"][0].f0_median == pytest.approx(101.0)


# ---------------------------------------------------------------- the Transformer


def test_causality_and_cached_streaming_equal_full_forward():
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=32, layers=2, heads=4, context=40)).eval()
    own, other = torch.randint(0, VOCAB, (2, 100)), torch.randint(0, VOCAB, (2, 100))
    full_self, full_other, full_dur = model(own, other)  # FrameLogits unpacks in its field order
    changed = own.clone()
    changed[:, 60] = (changed[:, 60] + 1) % VOCAB
    again, _, _ = model(changed, other)
    assert torch.equal(again[:, :60], full_self[:, :60])  # nothing at t ≤ 59 sees frame 60
    assert (again[:, 60] - full_self[:, 60]).abs().max() > 1e-3
    cache, steps_self, steps_other = None, [], []
    for t in range(100):  # past the 40-frame window: the ring buffer slides
        (ls, lo, ld), cache = model.step(own[:, t], other[:, t], cache)
        steps_self.append(ls)
        steps_other.append(lo)
    assert torch.allclose(torch.stack(steps_self, 1), full_self, atol=1e-5)
    assert torch.allclose(torch.stack(steps_other, 1), full_other, atol=1e-5)


def test_onset_durations_mark_the_frame_before_each_complete_run():
    own = np.array([0, 0, 5, 5, 5, 0, 7, 0, 0, 3, 3])
    assert onset_durations(own).tolist() == [-1, 3, -1, -1, -1, 1, -1, -1, -1, -1, -1]  # the last run is cut off
    assert onset_durations(np.array([4, 4, 0, 0])).tolist() == [-1] * 4  # no frame before the first run


def test_run_hazard_of_known_duration_distributions():
    p = np.zeros((10, len(DUR_EDGES)))
    p[:, duration_bin(np.arange(1, 11))] = 0.1  # uniform over 1…10 frames, one bin per frame
    h = run_hazard(p, np.arange(1, 11))
    assert np.allclose(h[:-1], 1.0 / (11 - np.arange(1, 10))) and h[-1] == pytest.approx(1.0, abs=1e-5)
    k = duration_bin(np.array([300]))[0]  # a wide bin: uniform within it
    lo, hi = DUR_EDGES[k], DUR_EDGES[k + 1]
    q = np.zeros((hi - lo + 1, len(DUR_EDGES)))
    q[:, k] = 1.0
    r = np.arange(lo - 1, hi)
    h = run_hazard(q, r)
    assert h[0] < 1e-5 and np.allclose(h[1:-1], 1.0 / (hi - r[1:-1]), atol=1e-6) and h[-1] > 1 - 1e-5
    last = np.zeros((1, len(DUR_EDGES)))
    last[0, -1] = 1.0
    assert run_hazard(last, np.array([DUR_EDGES[-1] + 50]))[0] == pytest.approx(TAIL_HAZARD)


def test_duration_stream_changes_only_the_stop_of_running_speech():
    torch.manual_seed(1)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=2, heads=2, context=64)).eval()
    tokens = np.zeros((120, 2), dtype=np.int64)
    tokens[10:40, 0], tokens[50:58, 1], tokens[70:119, 0] = 9, 30, 44
    plain, timed = model.stream(1), model.stream(1, durations=True)
    for t in range(1, len(tokens)):
        p, q = plain.next_probs()[0], timed.next_probs()[0]
        for c in range(2):
            run_on = tokens[t - 1, c] > 0
            if not run_on:  # silent: the token head decides the onset in both
                assert np.allclose(p[c], q[c])
            else:  # talking: the speech tokens keep their proportions, the stop probability is the hazard
                assert np.allclose(q[c, 1:] / q[c, 1:].sum(), p[c, 1:] / p[c, 1:].sum())
                assert q[c].sum() == pytest.approx(1.0)
        plain.push(tokens[None, t])
        timed.push(tokens[None, t])
    nll = sequence_nll(model, np.concatenate([tokens, onset_durations(tokens[:, 0])[:, None]], axis=1),
                       torch.device("cpu"))
    assert nll.shape == (119,) and (nll[[9, 69]] > nll[[8, 68]] + 1.0).all()  # onsets also pay for the run length


def test_sampled_speech_runs_follow_the_duration_head():
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=64)).eval()
    with torch.no_grad():  # every run is predicted to last exactly 20 frames
        model.head_dur.weight.zero_()
        model.head_dur.bias.fill_(-30.0)
        model.head_dur.bias[duration_bin(np.array([20]))[0]] = 30.0
    tokens = generate(sampler(model, "duration"), selfplay_plan([1500] * 2), np.random.default_rng(0))
    lengths = np.array([e - s for t in tokens for c in range(2) for s, e in zip(*runs(t[:, c] > 0))
                        if e < len(t)])
    assert len(lengths) > 20 and (lengths == 20).all()
    tokens = generate(sampler(model, "frame"), selfplay_plan([1500] * 2), np.random.default_rng(0))
    lengths = np.array([e - s for t in tokens for c in range(2) for s, e in zip(*runs(t[:, c] > 0))])
    assert (lengths != 20).mean() > 0.5  # the token head decides instead


def toy_dialogue(rng: np.random.Generator, n: int = 3000) -> np.ndarray:
    """A talks for 0.5–2 s; B always answers 200 ms (10 frames) after A stops, for 0.5 s; then a 0.3–1 s gap."""
    tok = np.zeros((n, 2), dtype=np.int16)
    t = int(rng.integers(5, 20))
    while t < n - 200:
        a = int(rng.integers(25, 100))
        tok[t : t + a, 0] = 5
        t += a + 10
        tok[t : t + 25, 1] = 9
        t += 25 + int(rng.integers(15, 50))
    return tok


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory):
    rng = np.random.default_rng(0)
    train = [toy_dialogue(rng) for _ in range(6)]
    val = [toy_dialogue(rng) for _ in range(2)]
    out = tmp_path_factory.mktemp("toy")
    torch.manual_seed(0)
    summary = train_transformer(
        train, val, TransformerConfig(d_model=32, layers=2, heads=2, context=128, dropout=0.0),
        TrainConfig(steps=800, batch_size=16, crop=128, lr=3e-3, warmup=30, epoch_steps=50, patience=10, threads=2),
        out / "m.pt", out / "m.csv", out / "m.ckpt")
    return load_model(out / "m.pt"), summary, pd.read_csv(out / "m.csv")


def b_answer_delays(tokens: np.ndarray) -> np.ndarray:
    """Frames from each end of A's speech to B's next onset."""
    a_ends = runs(tokens[:, 0] > 0)[1]
    b_starts = runs(tokens[:, 1] > 0)[0]
    return np.array([b_starts[b_starts >= e][0] - e for e in a_ends if (b_starts >= e).any()])


def test_toy_rule_is_learned_loss_falls_far_below_chance(toy_model):
    model, summary, metrics = toy_model
    assert summary["best_val_loss"] < 0.1 * np.log(VOCAB)  # nats per own token; chance is ln 137 ≈ 4.9
    assert metrics["train_loss"].iloc[-20:].mean() < 0.2 * metrics["train_loss"].iloc[:5].mean()


def test_toy_rule_listen_mode_b_answers_200ms_after_a(toy_model):
    model, _, _ = toy_model
    real = [toy_dialogue(np.random.default_rng(s)) for s in (11, 12)]
    tokens = generate(sampler(model), listen_plan(real, agent=1), np.random.default_rng(3))
    assert (tokens[..., 0] == np.stack(real)[..., 0]).all()  # the real speaker is untouched
    delays = np.concatenate([b_answer_delays(t) for t in tokens])
    assert len(delays) > 30
    assert np.median(delays) == pytest.approx(10, abs=1)
    assert np.mean(np.abs(delays - 10) <= 2) > 0.8


def test_live_agent_follows_the_rule(toy_model):
    model, _, _ = toy_model
    real = toy_dialogue(np.random.default_rng(21))
    agent = Agent(model, temperature=1.0, seed=5)
    own = [0]
    for t in range(len(real) - 1):
        own.append(agent.step(int(real[t, 0])))
    tokens = np.stack([real[:, 0], np.array(own)], axis=1)
    delays = b_answer_delays(tokens)
    assert np.median(delays) == pytest.approx(10, abs=1) and np.mean(np.abs(delays - 10) <= 2) > 0.8
    limited = Agent(model, temperature=2.0, seed=5, limits=RunLimits(speech=30, silence=40))  # hot: it flickers
    own = [limited.step(int(real[t, 0])) for t in range(len(real) - 1)]
    speech, silence = run_lengths_of(np.array(own) > 0)
    assert len(speech) > 5 and min(speech[:-1]) >= 30 and min(silence) >= 40


def test_selfplay_of_the_toy_agent_keeps_the_structure(toy_model):
    """Two copies of the agent cannot know who is the answerer (roles are learnt symmetrically), but the
    toy's symmetric facts must hold: hardly any overlap, silences last at most ~1 s, both speakers talk. When both
    start at once, the frame rule lets one yield at once; under the duration rule a started run goes on to its
    predicted length, so such clashes last longer, and so can the silence after them."""
    model, _, _ = toy_model
    for stop, most_overlap in (("frame", 0.01), ("duration", 0.04)):
        tokens = generate(sampler(model, stop), selfplay_plan([2000, 2000]), np.random.default_rng(4))
        silences = []
        for t in tokens:
            on = t > 0
            assert (on[:, 0] & on[:, 1]).mean() < most_overlap
            assert on[:, 0].mean() > 0.1 and on[:, 1].mean() > 0.1
            s, e = runs(~on[:, 0] & ~on[:, 1])
            assert len(s) > 15
            silences += list(e - s)
        # the toy's silences last 10 or 15–49 frames; pooled over both dialogues (a p95 of ~30 silences per
        # dialogue is set by its two longest and moved by float rounding from one CPU to another)
        assert np.median(silences) <= 20 and np.percentile(silences, 90) <= 60 and max(silences) <= 100


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
    ck = torch.load(tmp_path / "r.ckpt", weights_only=False)
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

    from babbler.train import config_hash, load_checkpoint

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


# ---------------------------------------------------------------- baselines


def demo_like_tokens(n_dialogues: int, seed: int) -> list[np.ndarray]:
    """50 Hz VA tokens of demo-synthesizer timelines (no audio), speech token 1."""
    from babbler.corpora import demo
    from babbler.va import segments_to_frames

    p = demo.DemoParams()
    out = []
    for i in range(n_dialogues):
        rng = np.random.default_rng(demo.dialogue_seed(seed, f"d{i + 1:03d}"))
        segs = demo._turn_timeline(p, rng)
        demo._add_backchannels(segs, p, rng)
        va = pd.DataFrame([("AB"[s], a, b) for s in (0, 1) for a, b in segs[s]], columns=["speaker", "start", "end"])
        out.append(np.stack([segments_to_frames(va, s, int(p.duration * 50), rate=50) for s in "AB"], 1).astype(
            np.int16))
    return out


def joint_rates(tokens: list[np.ndarray]) -> np.ndarray:
    state = np.concatenate([(t[:, 0] > 0) + 2 * (t[:, 1] > 0) for t in tokens])
    return np.bincount(state, minlength=4) / len(state)


def test_markov_reproduces_marginal_va_rates():
    train = demo_like_tokens(10, 1)
    model = MarkovModel.fit(train, order=8)
    sampled = generate(model.stream, selfplay_plan([6000] * 8), np.random.default_rng(0))
    want, got = joint_rates(train), joint_rates(list(sampled))
    assert np.allclose(got, want, atol=0.03), (want, got)
    p_on = [(np.concatenate([t[:, s] for t in sampled]) > 0).mean() for s in (0, 1)]
    assert p_on == pytest.approx([(np.concatenate([t[:, s] for t in train]) > 0).mean() for s in (0, 1)], abs=0.03)


def test_independent_reproduces_run_lengths_but_ignores_the_partner():
    train = demo_like_tokens(10, 1)
    model = IndependentModel.fit(train)
    sampled = list(generate(model.stream, selfplay_plan([6000] * 8), np.random.default_rng(0)))
    run_len = [np.median(np.diff(np.stack(runs(t[:, 0] > 0)), axis=0)) for t in (train + sampled)]
    assert np.median(run_len[10:]) == pytest.approx(np.median(run_len[:10]), rel=0.25)
    # blind to the partner: overlap is what independence predicts, P(both) ≈ P(A)·P(B)
    r = joint_rates(sampled)
    pa, pb = r[1] + r[3], r[2] + r[3]
    assert r[3] == pytest.approx(pa * pb, abs=0.02)


def test_bits_per_frame_order_on_demo_timelines():
    train, test = demo_like_tokens(10, 1), demo_like_tokens(3, 99)
    bits = {name: evaluate_frame_model(m.stream, test, name, max_events=20)["test_bits_per_frame"]
            for name, m in (("markov", MarkovModel.fit(train, order=8)), ("independent", IndependentModel.fit(train)))}
    assert bits["markov"] < bits["independent"] < 1.0


# ---------------------------------------------------------------- sampling and evaluation helpers


def test_sample_token_follows_probabilities_and_temperature():
    rng = np.random.default_rng(0)
    p = np.tile(np.array([0.7, 0.2, 0.1]), (20000, 1))
    draws = sample_token(p, rng)
    assert np.bincount(draws, minlength=3) / 20000 == pytest.approx([0.7, 0.2, 0.1], abs=0.015)
    cold = sample_token(p, rng, temperature=0.25)  # p^4 normalised: 0.9957, 0.0041, 0.0003
    assert (cold == 0).mean() > 0.99


class CoinStream:
    """A frame model that says silence or token 5 with equal odds, whatever happened before."""

    def __init__(self, batch: int):
        self.batch = batch

    def push(self, tokens: np.ndarray) -> None:
        pass

    def next_probs(self) -> np.ndarray:
        p = np.zeros((self.batch, 2, VOCAB))
        p[..., 0] = p[..., 5] = 0.5
        return p


def run_lengths_of(track: np.ndarray) -> tuple[list[int], list[int]]:
    """Speech runs, and silences between speech, of one VA track (frames)."""
    starts, ends = runs(track)
    return (ends - starts).tolist(), (starts[1:] - ends[:-1]).tolist()


def test_run_limits_come_from_the_training_tracks():
    tok = np.zeros((60, 2), dtype=np.int16)
    tok[5:12, 0], tok[25:29, 0], tok[40:60, 0] = 3, 3, 3  # speech 7, 4, 20; silences between 13, 11
    tok[0:9, 1], tok[30:36, 1] = 2, 2  # speech 9 (at the start), 6; silence between 21; the end run is not between
    assert RunLimits.from_tracks([tok]) == RunLimits(speech=4, silence=11)


def test_limited_sampling_keeps_every_generated_run_at_least_as_long():
    plan = selfplay_plan([3000, 3000])
    free = generate(CoinStream, plan, np.random.default_rng(0))
    assert min(run_lengths_of(free[0, :, 0] > 0)[0]) == 1  # a coin flips every other frame
    limited = generate(CoinStream, plan, np.random.default_rng(0), limits=RunLimits(speech=4, silence=11))
    for d in range(2):
        for c in range(2):
            speech, silence = run_lengths_of(limited[d, :, c] > 0)
            assert min(speech[:-1]) >= 4 and min(silence) >= 11  # the last run may be cut by the end
    # a given channel is kept as it is: listen's real speaker flickers, the agent does not
    real = [np.tile(np.array([[5, 5], [0, 0]]), (500, 1))]
    listened = generate(CoinStream, listen_plan(real, agent=1), np.random.default_rng(1),
                        limits=RunLimits(speech=4, silence=11))
    assert np.array_equal(listened[0, :, 0], real[0][:, 0])
    assert min(run_lengths_of(listened[0, :, 1] > 0)[1]) >= 11


def test_shift_hold_events_need_one_second_either_side():
    tok = np.zeros((400, 2), dtype=np.int16)
    tok[0:100, 0] = 1     # A 2 s
    tok[110:200, 1] = 1   # silence 100–110 then B ≥ 1 s: a shift
    tok[215:300, 1] = 1   # B pause 200–215 then B again ≥ 1 s: a hold
    tok[310:330, 0] = 1   # A only 0.4 s after silence 300–310: not an event
    assert shift_hold_events(tok) == [(100, 110, 0, 1), (200, 215, 1, 1)]


def test_tracks_table_decodes_bins_to_values():
    tokens = np.array([[0, encode(np.array([True]), np.array([8]), np.array([6]))[0]]] * 3)
    table = tracks_table(tokens, (SpeakerScale(120.0, 60.0), SpeakerScale(200.0, 65.0)))
    assert table["va_A"].sum() == 0 and table["va_B"].all()
    assert table["f0_B"].iloc[0] == pytest.approx(200 * 2 ** (0.5 / 12), rel=1e-4)
    assert table["intensity_B"].iloc[0] == pytest.approx(65.0 + 1.0)
    assert np.isnan(table["f0_A"]).all() and FREE == -1
