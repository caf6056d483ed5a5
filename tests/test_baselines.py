"""The independent and Markov baselines on demo-like timelines."""

import numpy as np
import pandas as pd
import pytest

from babbler.frame_eval import evaluate_frame_model
from babbler.models.baselines import IndependentModel, MarkovModel
from babbler.sampling import generate, selfplay_plan
from babbler.va import runs

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


def test_ensemble_draws_from_the_weighted_mean_of_its_members():
    from babbler.models.ensemble import Ensemble

    train = demo_like_tokens(6, 3)
    markov, independent = MarkovModel.fit(train, order=4), IndependentModel.fit(train)
    mix = Ensemble([markov, independent], (3.0, 1.0))
    assert mix.weights == (0.75, 0.25) and not mix.predicts_durations
    streams = [markov.stream(2), independent.stream(2), mix.stream(2)]
    for frame in train[0][:200]:
        p_m, p_i, p_mix = (s.next_probs() for s in streams)
        np.testing.assert_allclose(p_mix, 0.75 * p_m + 0.25 * p_i, atol=1e-12)
        np.testing.assert_allclose(p_mix.sum(axis=-1), 1.0, atol=1e-9)
        for s in streams:
            s.push(np.stack([frame, frame[::-1]]))
    with pytest.raises(ValueError, match="weights"):
        Ensemble([markov, independent], (1.0,))
    with pytest.raises(ValueError, match="weights"):
        Ensemble([markov], (-1.0,))
