"""A toy turn-taking rule learnt end to end: listen mode, the live Agent, selfplay."""

import numpy as np
import pandas as pd
import pytest
import torch

from babbler.live.agent import Agent
from babbler.models.dataset import VOCAB
from babbler.models.registry import load_model
from babbler.models.train_transformer import TrainConfig, train_transformer
from babbler.models.transformer import TransformerConfig
from babbler.sampling.generate import RunLimits, generate, sampler
from babbler.sampling.modes.listen import listen_plan
from babbler.sampling.modes.selfplay import selfplay_plan
from babbler.sampling.odds import ContextOdds, agent_odds
from babbler.va import runs
from tests.model_helpers import run_lengths_of, toy_dialogue


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
    for stop, most_overlap in (("frame", 0.01), ("duration", 0.04), ("overlap", 0.02)):
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


def test_live_agent_interpolated_with_the_count_model(toy_model):
    """Agent(markov=…, markov_weight=w) draws from (1 − w)·network + w·markov, the markov chain seeing the same
    frames with the agent on its seat."""
    from babbler.models.baselines import MarkovModel

    model, _, _ = toy_model
    real = toy_dialogue(np.random.default_rng(31))
    markov = MarkovModel.fit([toy_dialogue(np.random.default_rng(s)) for s in range(4)], order=4)
    alone, mixed = Agent(model, seed=1), Agent(model, seed=1, markov=markov, markov_weight=0.25)
    counts = markov.stream(1)
    for t in range(300):
        p_net, p_mix = alone.probs(int(real[t, 0])), mixed.probs(int(real[t, 0]))
        counts.push(np.array([[real[t, 0], mixed.own]]))
        np.testing.assert_allclose(p_mix, 0.75 * p_net + 0.25 * counts.next_probs()[0, 1], rtol=1e-6, atol=1e-9)
        alone.own = mixed.own = int(real[t + 1, 1])  # both agents go on as the real B did
    with pytest.raises(ValueError, match="markov"):
        Agent(model, markov_weight=0.5)


@pytest.mark.parametrize("stop, temperature, mixed, seat, odds, calibration", [
    ("overlap", 1.0, False, 1, (1.0, 1.0), None), ("duration", 0.8, True, 0, (1.0, 1.0), None),
    ("frame", 1.3, False, 1, (1.0, 1.0), None), ("overlap", 1.0, True, 1, (2.0, 0.5), None),
    ("overlap", 1.0, False, 0, (1.4, 1.0), (0.8, 1.2, 1.1, 0.9, 1.3))])
def test_live_agent_decides_frame_by_frame_as_the_workflows_listen_system(toy_model, stop, temperature, mixed, seat,
                                                                         odds, calibration):
    """One sampling path: the live Agent, fed a partner's frames one at a time, draws exactly the tokens the
    workflow's sample rule draws for the `listen` system (its mode's plan, `sampler`, the count-model ensemble, the
    recalibrated and the listener's start odds, run limits, the seeded generator) on the same partner with the same
    seed, stop rule and temperature."""
    from babbler.models.baselines import MarkovModel
    from babbler.models.ensemble import Ensemble
    from babbler.sampling.modes.registry import MODES

    model, _, _ = toy_model
    partner = toy_dialogue(np.random.default_rng(41))[:1500]
    limits = RunLimits(speech=5, silence=3)
    markov = MarkovModel.fit([toy_dialogue(np.random.default_rng(s)) for s in range(4)], order=4) if mixed else None
    workflow_model = Ensemble([model, markov], (0.7, 0.3)) if mixed else model
    plan = MODES["listen"].plan([partner], {"listen_agent": "AB"[seat]})
    scaled = agent_odds(calibration, (seat, *odds))
    factory = sampler(workflow_model, stop)
    if scaled is not None:
        factory = (lambda inner: lambda batch: ContextOdds(inner(batch), scaled))(factory)
    expected = generate(factory, plan, np.random.default_rng(7), temperature=temperature, limits=limits)[0, :, seat]
    agent = Agent(model, temperature=temperature, seed=7, limits=limits, stop=stop, seat=seat, markov=markov,
                  markov_weight=0.3 if mixed else 0.0, odds=odds, calibration=calibration)
    live = [0] + [agent.step(int(partner[t, 1 - seat])) for t in range(len(partner) - 1)]
    assert (np.array(live) > 0).mean() > 0.1  # it talks
    np.testing.assert_array_equal(np.array(live), expected)
