"""The independent and Markov baselines on demo-like timelines."""

import numpy as np
import pandas as pd
import pytest

from babbler.models.baselines import IndependentModel, MarkovModel
from babbler.models.frame_eval import evaluate_frame_model
from babbler.sampling.generate import generate
from babbler.sampling.modes.selfplay import selfplay_plan
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


def test_adapted_markov_is_the_fitted_chain_as_a_prior_on_the_counts_of_the_dialogue_first_frames():
    train = demo_like_tokens(6, 3)
    base = MarkovModel.fit(train, order=3)
    prior, prompt = 20.0, 400
    track = train[0][:600]
    plain, same, adapted = base.stream(1), base.adapted(0, prompt).stream(1), base.adapted(prior, prompt).stream(1)
    own: dict[tuple, np.ndarray] = {}  # context (most recent first) → counts of the next joint state
    states = (track[:, 0] > 0) + 2 * (track[:, 1] > 0)
    for t, frame in enumerate(track):
        p = plain.va_joint()
        np.testing.assert_array_equal(same.va_joint(), p)
        if t >= 3:
            ctx = tuple(states[t - 1 : t - 4 : -1]) if t > 3 else tuple(states[2::-1])
            c = own.get(ctx, np.zeros(4))
            np.testing.assert_allclose(adapted.va_joint(), (c + prior * p) / (c.sum() + prior), rtol=1e-6)
            if t < prompt:  # the frames after the prompt are not counted
                own[ctx] = c + np.eye(4)[states[t]]
        else:
            np.testing.assert_array_equal(adapted.va_joint(), p)
        for s in (plain, same, adapted):
            s.push(frame[None])
    assert sum(c.sum() for c in own.values()) == prompt - 3
    with pytest.raises(ValueError, match="prior"):
        base.adapted(-1.0, prompt)


def test_adapted_markov_continues_a_prompt_at_its_own_pace():
    """A prompt whose speakers alternate 4 s turns with 1 s gaps: the adapted chain keeps the long turns."""
    from babbler.sampling.modes.continuation import continuation_plan

    train = demo_like_tokens(10, 1)
    model = MarkovModel.fit(train, order=8)
    turn, gap = 200, 50
    cycle = np.zeros((2 * (turn + gap), 2), dtype=np.int64)
    cycle[:turn, 0] = 1
    cycle[turn + gap : 2 * turn + gap, 1] = 1
    prompt = np.tile(cycle, (12, 1))  # 60 s
    dialogues = [np.concatenate([prompt, np.zeros((3000, 2), dtype=np.int64)])] * 8
    plan = continuation_plan(dialogues, len(prompt))

    def mean_run(m: MarkovModel) -> float:
        drawn = generate(m.stream, plan, np.random.default_rng(0))[:, len(prompt) :]
        lengths = [np.diff(np.stack(runs(d[:, s] > 0)), axis=0) for d in drawn for s in (0, 1)]
        return float(np.mean(np.concatenate(lengths, axis=1)))

    fitted = np.mean(np.concatenate([np.diff(np.stack(runs(t[:, s] > 0)), axis=0) for t in train for s in (0, 1)],
                                    axis=1))
    plain, adapted = mean_run(model), mean_run(model.adapted(50.0, len(prompt)))
    assert plain == pytest.approx(fitted, rel=0.3)
    assert adapted > 1.5 * plain and adapted > 0.5 * turn, (fitted, plain, adapted)


def test_fitted_scores_in_chunks_of_dialogues_equal_the_whole():
    """Bits per frame scored a few dialogues at a time (memory bounded by the chunk) equal the score of all at once."""
    from babbler.models.frame_eval import scored_bits

    rng = np.random.default_rng(3)
    dialogues = [np.where(rng.random((int(rng.integers(200, 900)), 2)) < 0.4, 37, 0).astype(np.int16)
                 for _ in range(7)]
    model = MarkovModel.fit(dialogues, order=3)
    va, tok, frames = scored_bits(model.stream, dialogues)
    chunked = scored_bits(model.stream, dialogues, chunk=2)
    assert chunked[2] == frames == sum(len(d) - 1 for d in dialogues)
    assert chunked[:2] == pytest.approx((va, tok), rel=1e-12) and 0 < va < tok


def test_shift_hold_threshold_comes_from_validation_and_leaves_the_test_draws_alone():
    from babbler.models.frame_eval import shift_hold_accuracy

    train, test, val = demo_like_tokens(10, 1), demo_like_tokens(2, 99), demo_like_tokens(2, 7)
    model = MarkovModel.fit(train, order=8)
    fixed = shift_hold_accuracy(model.stream, test, max_events=20)
    tuned = evaluate_frame_model(model.stream, test, "markov", max_events=20, val=val)
    assert fixed["shift_hold_threshold"] == 0.5
    assert tuned["shift_hold_threshold_from"] == "validation" and 0 < tuned["shift_hold_threshold"] < 1
    assert tuned["shift_hold_auc"] == fixed["shift_hold_auc"] and tuned["n_shift"] == fixed["n_shift"] > 0
    silent = [np.zeros((500, 2), dtype=np.int64)]  # a validation split without a single event
    alone = evaluate_frame_model(model.stream, test[:1], "markov", max_events=5, val=silent)
    assert alone["shift_hold_threshold"] == 0.5 and alone["shift_hold_threshold_from"].startswith("0.5: ")
