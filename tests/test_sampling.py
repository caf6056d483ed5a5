"""Sampling: temperature, run limits, shift/hold events, tracks."""

import numpy as np
import pytest

from babbler.dataset import VOCAB, SpeakerScale, encode
from babbler.frame_eval import shift_hold_events
from babbler.models.ensemble import Ensemble
from babbler.sampling import (FREE, RunLimits, StartCue, generate, listen_plan, sample_token, selfplay_plan,
                              tracks_table)
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


class CuedStream:
    """A listener that starts at 2 % a frame and stops at 30 %, blind; its partner head says the partner
    (talking frames t % 100 < 50) falls silent next frame with 0.5 in the last 5 frames of an IPU, else 0.01."""

    def __init__(self, batch: int):
        self.batch, self.t, self.talking = batch, -1, np.zeros((batch, 2), dtype=bool)

    def push(self, tokens: np.ndarray) -> None:
        self.t += 1
        self.talking = np.asarray(tokens) > 0

    def next_probs(self) -> np.ndarray:
        p = np.zeros((self.batch, 2, VOCAB))
        p[..., 0] = np.where(self.talking, 0.3, 0.98)
        p[..., 5] = 1 - p[..., 0]
        return p

    def partner_silence(self) -> np.ndarray:
        ending = IPU - CUE <= (self.t + 1) % CYCLE < IPU
        return np.tile([0.01, 0.5 if ending else 0.01], (self.batch, 1))


def test_start_cue_moves_starts_to_where_the_partner_head_expects_an_end():
    t = np.arange(3000)
    real = [np.stack([np.where(t % CYCLE < IPU, 7, 0), np.zeros_like(t)], axis=1)] * 40
    plan = listen_plan(real, agent=1)

    def starts_in_partner_talk(cue: float) -> tuple[int, float]:
        b = generate(CuedStream, plan, np.random.default_rng(0), start_cue=cue)[:, :, 1] > 0
        onset = b[:, 1:] & ~b[:, :-1]
        phase = (t[1:] % CYCLE)[None].repeat(len(b), 0)[onset]
        inside = phase < IPU
        return int(inside.sum()), float((phase[inside] >= IPU - CUE).mean())

    n0, late0 = starts_in_partner_talk(0.0)
    n1, late1 = starts_in_partner_talk(1.0)
    assert late0 == pytest.approx(CUE / IPU, abs=0.03)  # blind: the last 5 of 50 frames get a tenth of the starts
    assert late1 > 0.7  # q^1 / mean(q): about 8.5 times the rate there, 0.17 times elsewhere
    assert 0.8 < n1 / n0 < 1.2  # as many starts inside the partner's talk


def test_start_cue_leaves_other_frames_and_zero_strength_alone():
    p = np.random.default_rng(0).dirichlet(np.ones(VOCAB - 1), size=(3, 2)) * 0.1
    p = np.concatenate([np.full((3, 2, 1), 0.9), p], axis=-1)  # silence 0.9, starts 0.1
    talking = np.array([[False, True], [False, False], [True, True]])
    cue = StartCue(2.0, (3, 2))
    moved = cue.apply(p, np.full((3, 2), 0.3), talking, talking[:, ::-1])
    assert np.allclose(moved.sum(-1), 1)
    assert np.array_equal(moved[0, 1], p[0, 1]) and np.array_equal(moved[1:], p[1:])  # only a silent A with B talking
    assert np.allclose(moved[0, 0], p[0, 0])  # the first such frame is its own mean: scale 1
    moved = cue.apply(p, np.full((3, 2), 0.6), talking, talking[:, ::-1])  # q doubled, β = 2: 4 / mean(1, 4)
    assert 1 - moved[0, 0, 0] == pytest.approx((1 - p[0, 0, 0]) * 4 / 2.5)
    assert np.allclose(moved[0, 0, 1:] / moved[0, 0, 1:].sum(), p[0, 0, 1:] / p[0, 0, 1:].sum())
    assert np.array_equal(StartCue(0.0, (3, 2)).apply(p, np.full((3, 2), 0.9), talking, talking[:, ::-1]), p)
    with pytest.raises(ValueError, match="start_cue"):
        StartCue(-1.0, (1,))


def test_ensemble_partner_silence_averages_the_members_that_have_a_head():
    class Heads(CuedStream):
        def __init__(self, batch: int, q: float):
            super().__init__(batch)
            self.q = q

        def partner_silence(self) -> np.ndarray:
            return np.full((self.batch, 2), self.q)

    class Member:
        def __init__(self, q):
            self.q = q

        def stream(self, batch):
            return Heads(batch, self.q) if self.q is not None else CoinStream(batch)

    assert Ensemble([Member(0.2), Member(0.6), Member(None)], (1, 3, 4)).stream(2).partner_silence() == \
        pytest.approx(np.full((2, 2), 0.5))
    assert Ensemble([Member(None)]).stream(1).partner_silence() is None


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

    from babbler.seeds import derived_seed

    a, b = derived_seed(1, "selfplay"), derived_seed(1, "selfplay")
    assert a.generate_state(4).tolist() == b.generate_state(4).tolist()
    assert a.entropy == [1, zlib.crc32(b"selfplay")]  # what sampling has always used: its draws are unchanged
    states = {tuple(derived_seed(s, *n).generate_state(2)) for s in (1, 2) for n in (("x",), ("y",), ("x", "mix", 0))}
    assert len(states) == 6
