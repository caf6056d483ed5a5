"""Sampling: temperature, run limits, shift/hold events, tracks."""

import numpy as np
import pytest

from babbler.models.dataset import VOCAB, SpeakerScale, encode
from babbler.models.frame_eval import shift_hold_events
from babbler.sampling.generate import (
    FREE,
    RunLimits,
    generate,
    sample_token,
    tracks_table,
)
from babbler.sampling.modes.listen import listen_plan
from babbler.sampling.modes.selfplay import selfplay_plan
from babbler.sampling.odds import CONTEXTS, ContextOdds, agent_odds, agent_stream, fit_calibration
from tests.model_helpers import run_lengths_of

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



IPU, CYCLE, CUE = 50, 100, 5  # the partner talks 50 frames in every 100; its head sees the last 5 coming


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


def test_derived_seeds_are_named_repeatable_and_distinct():
    import zlib

    from babbler.util.seeds import derived_seed

    a, b = derived_seed(1, "selfplay"), derived_seed(1, "selfplay")
    assert a.generate_state(4).tolist() == b.generate_state(4).tolist()
    assert a.entropy == [1, zlib.crc32(b"selfplay")]  # what sampling has always used: its draws are unchanged
    states = {tuple(derived_seed(s, *n).generate_state(2)) for s in (1, 2) for n in (("x",), ("y",), ("x", "mix", 0))}
    assert len(states) == 6


def test_shift_auc_is_the_chance_a_shift_scores_above_a_hold():
    from babbler.models.frame_eval import shift_auc

    truth = np.array([True, True, False, False, False])
    assert shift_auc(np.array([0.9, 0.8, 0.1, 0.2, 0.3]), truth) == 1.0  # every shift above every hold
    assert shift_auc(np.array([0.1, 0.2, 0.9, 0.8, 0.7]), truth) == 0.0
    assert shift_auc(np.array([0.5, 0.5, 0.5, 0.5, 0.5]), truth) == 0.5  # a constant score: ties count half
    assert shift_auc(np.array([0.6, 0.2, 0.4, 0.1, 0.7]), truth) == pytest.approx(3 / 6)  # 0.6 beats 2 of 3, 0.2 1
    assert np.isnan(shift_auc(np.array([0.3, 0.4]), np.array([True, True])))


def test_shift_threshold_chosen_on_validation_separates_what_half_cannot():
    from babbler.models.frame_eval import recalls, validation_threshold

    truth = np.array([True, True, False, False, False])
    shy = np.array([0.3, 0.25, 0.1, 0.05, 0.0])  # ranks every shift first, yet never says "shift" at 0.5
    assert recalls(shy, truth, 0.5) == (0.0, 1.0)  # balanced accuracy 0.5: the degenerate score
    assert validation_threshold(shy, truth) == pytest.approx(0.175)  # between the lowest shift and highest hold
    assert recalls(shy, truth, 0.175) == (1.0, 1.0)
    assert validation_threshold(np.array([0.6, 0.1, 0.3]), np.array([True, False, False])) == 0.5  # ties: nearest 0.5
    assert validation_threshold(np.full(5, 0.2), truth) == 0.5  # a constant score separates nothing
    assert validation_threshold(np.array([0.3, 0.4]), np.array([False, False])) is None  # no shift to place it by
    assert validation_threshold(np.zeros(0), np.zeros(0, dtype=bool)) is None
    assert np.isnan(recalls(shy[2:], truth[2:], 0.5)[0])


class FixedStream:
    """A stream whose every next frame is the same: P(talk) = 0.2 for both speakers, spread over two tokens."""

    def __init__(self, batch: int):
        self.batch = batch

    def next_probs(self) -> np.ndarray:
        p = np.zeros((self.batch, 2, VOCAB))
        p[..., 0], p[..., 3], p[..., 7] = 0.8, 0.15, 0.05
        return p

    def push(self, tokens: np.ndarray) -> None:
        pass

    def repeat(self, k: int) -> None:
        self.batch *= k


class RecordingStream(FixedStream):
    """A FixedStream that keeps every frame pushed into it."""

    def __init__(self, batch: int):
        super().__init__(batch)
        self.pushed: list[np.ndarray] = []

    def push(self, tokens: np.ndarray) -> None:
        self.pushed.append(np.asarray(tokens).copy())


def test_shift_rollouts_continue_with_the_tokens_they_draw():
    """The rollouts behind P(shift) feed the model the tokens it drew (3 or 7 here), never a token it cannot draw (token
    1 for every speech frame, before: no score moved, since a rollout votes at its first speech frame, before pushing
    it, but a stream is only ever fed tokens it can draw)."""
    from babbler.models.frame_eval import HISTORY, p_shift_batch

    made: list[RecordingStream] = []

    def factory(batch: int) -> RecordingStream:
        made.append(RecordingStream(batch))
        return made[-1]

    tokens = np.zeros((300, 2), dtype=np.int64)
    tokens[:250, 0] = 7
    p = p_shift_batch(factory, [(tokens, 250, 0)], np.random.default_rng(0))
    rolled = np.concatenate(made[0].pushed[HISTORY:])
    assert len(rolled) > 0 and set(np.unique(rolled)) <= {0, 3, 7} and {3, 7} <= set(np.unique(rolled))
    assert 0.0 <= p[0] <= 1.0


def test_start_odds_scale_a_silent_listeners_odds_of_taking_the_floor_and_nothing_else():
    """Odds 0.2/0.8 = 1/4: ×2 in the partner's talk → 1/2 (P 1/3), ×0.5 after the partner's silence → 1/8 (P 1/9), the
    spoken tokens' shares kept; the listener's own speech and pauses, and the partner's channel, untouched."""
    stream = ContextOdds(FixedStream(4), agent_odds(listener=(1, 2.0, 0.5)))
    # rows: partner talks | partner spoke, now both silent | listener talks | listener paused after its own speech
    stream.push(np.array([[5, 0], [5, 0], [0, 5], [0, 5]]))
    stream.push(np.array([[5, 0], [0, 0], [0, 5], [0, 0]]))
    p = stream.next_probs()
    talk = 1 - p[:, 1, 0]
    np.testing.assert_allclose(talk, [1 / 3, 1 / 9, 0.2, 0.2])
    np.testing.assert_allclose(p[:, 1, 3] / p[:, 1, 7], 3.0)  # the spoken tokens keep their ratio
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[:, 0], FixedStream(4).next_probs()[:, 0])  # the partner's channel as it was
    stream.repeat(2)
    assert stream.next_probs().shape == (8, 2, VOCAB) and np.allclose(1 - stream.next_probs()[::2, 1, 0], talk)
    assert agent_odds(listener=(1, 1.0, 1.0)) is None  # odds 1: nothing to scale


def test_context_odds_scale_starting_and_stopping_in_each_turn_taking_context():
    """P(talk) 0.2 everywhere (odds of starting 1/4, of stopping 4): calibration odds (0.5, 3, 2, 0.25, 1.5) on both
    seats give P(start) 1/9 in the partner's talk, 3/7 after its silence, 1/3 after one's own (and in the opening
    silence); P(stop) 1/2 alone and 6/7 in overlap; a listener's start odds multiply on its seat only."""
    calibration = (0.5, 3.0, 2.0, 0.25, 1.5)
    odds = agent_odds(calibration, listener=(1, 2.0, 1.0))
    np.testing.assert_allclose(odds, [calibration, (1.0, 3.0, 2.0, 0.25, 1.5)])
    stream = ContextOdds(FixedStream(5), odds)
    # rows (seat A's view): A silent, B talks | both silent, B spoke last | both silent, A spoke last | A alone |
    # both talk
    stream.push(np.array([[0, 5], [0, 5], [5, 0], [5, 0], [5, 5]]))
    stream.push(np.array([[0, 5], [0, 0], [0, 0], [5, 0], [5, 5]]))
    np.testing.assert_array_equal(stream.contexts()[:, 0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(stream.contexts()[:, 1], [3, 2, 1, 0, 4])
    p = stream.next_probs()
    np.testing.assert_allclose(1 - p[:, 0, 0], [1 / 9, 3 / 7, 1 / 3, 1 / 2, 1 / 7])
    np.testing.assert_allclose(1 - p[:, 1, 0], [1 / 2, 1 / 3, 3 / 7, 1 / 5, 1 / 7])  # B in A's talk: 0.5 × 2 = 1
    np.testing.assert_allclose(p[..., 3] / p[..., 7], 3.0)  # the spoken tokens keep their ratio
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    assert list(CONTEXTS) == ["start_overlap", "start_gap", "start_pause", "stop_alone", "stop_overlap"]


def test_calibration_recovers_the_odds_the_dialogues_were_drawn_with():
    """Dialogues drawn from a chain with its odds scaled by known factors: fitted on them, teacher-forced through the
    unscaled chain, the calibration finds those factors (within 15 %); fitted through the scaled chain, about 1."""
    from babbler.models.baselines import MarkovModel
    from tests.model_helpers import varied_dialogue

    rng = np.random.default_rng(3)
    chain = MarkovModel.fit([varied_dialogue(rng) for _ in range(12)], order=6)
    true = (0.6, 1.6, 1.0, 0.7, 1.8)
    skewed = agent_stream(chain, odds=agent_odds(true))
    drawn = generate(skewed, selfplay_plan([6000] * 48), np.random.default_rng(4))
    fitted, events = fit_calibration(chain.stream, list(drawn))
    assert min(events.values()) > 200, events
    np.testing.assert_allclose(fitted, true, rtol=0.15)
    again, _ = fit_calibration(skewed, list(drawn))
    np.testing.assert_allclose(again, 1.0, rtol=0.1)
    few, counts = fit_calibration(chain.stream, [d[:200] for d in drawn[:1]], min_events=20)
    assert all(f == 1.0 for f, c in zip(few, counts.values()) if c < 20)  # too few changes: left as it is


def test_a_listener_with_higher_overlap_odds_starts_inside_its_partners_talk_more_often():
    """The same seeded draw beside the same partner: doubling the odds in the partner's talk raises the share of the
    listener's starts that fall inside it, and halving them lowers it."""
    from babbler.models.baselines import MarkovModel
    from tests.model_helpers import varied_dialogue

    rng = np.random.default_rng(5)
    chain = MarkovModel.fit([varied_dialogue(rng) for _ in range(6)], order=4)
    partners = [varied_dialogue(rng) for _ in range(6)]
    plan = listen_plan(partners, agent=1)

    def inside_share(overlap: float) -> float:
        odds = agent_odds(listener=(1, overlap, 1.0))
        drawn = generate(agent_stream(chain, odds=odds), plan, np.random.default_rng(1))
        starts = (drawn[:, 1:, 1] > 0) & (drawn[:, :-1, 1] == 0)
        return float((starts & (drawn[:, :-1, 0] > 0)).sum() / starts.sum())

    low, mid, high = inside_share(0.5), inside_share(1.0), inside_share(2.0)
    assert low < mid < high and high > 1.3 * mid, (low, mid, high)
