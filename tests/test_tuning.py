"""Sample settings chosen on the validation split (config `sample.{key}: auto`, babbler.evaluation.tuning): the mix and
temperature by selfplay timing, the prompt adaptation by the continuation, neutral values where validation is too
small, and the values each system is drawn with."""

import math

import numpy as np
import pytest

from babbler.evaluation.tuning import best_adaptation, best_listener, choose_settings
from babbler.models.baselines import MarkovModel
from babbler.sampling.odds import CONTEXTS, ContextOdds, agent_odds, fit_calibration
from babbler.sampling.tunables import (
    TUNABLES,
    TuneSettings,
    auto_keys,
    calibration_odds,
    needs_validation,
    system_settings,
)
from tests.model_helpers import varied_dialogue


@pytest.fixture(scope="module")
def split():
    """12 train and 8 validation dialogues of 60 s."""
    rng = np.random.default_rng(7)
    return [varied_dialogue(rng) for _ in range(12)], [varied_dialogue(rng) for _ in range(8)]


def rolled(dialogues: list[np.ndarray], shift: int = 700) -> list[np.ndarray]:
    """The same tracks with B's channel shifted in time: each speaker's own runs kept, their coordination lost."""
    return [np.stack([d[:, 0], np.roll(d[:, 1], shift)], axis=1) for d in dialogues]


def settings(**kw) -> TuneSettings:
    candidates = {"markov_weight": (0.0, 1.0), "temperature": (1.0,), "calibration": (0.0,), "prompt_adapt": (0.0, 100.0),
                  "listen_overlap_odds": (1.0,), "listen_gap_odds": (1.0,), **kw.pop("candidates", {})}
    return TuneSettings(**{"candidates": candidates, "minutes": 0.5, "samples": 1, "min_dialogues": 4,
                           "prompt_seconds": 10.0, **kw})


def test_the_mix_goes_to_the_model_whose_selfplay_is_closest_to_the_validation_timing(split):
    """A chain that lost the speakers' coordination against one fitted on it: the fitted one takes the whole weight,
    whichever side of the mix it is on; every candidate is recorded with its ratios, the choice is the lowest."""
    train, val = split
    good, bad = MarkovModel.fit(train, order=8), MarkovModel.fit(rolled(train), order=8)
    record = choose_settings(bad, good, train, val, settings())
    rows = record["selfplay"]
    assert [(r["markov_weight"], r["temperature"]) for r in rows] == [(0.0, 1.0), (1.0, 1.0)]
    assert rows[1]["score"] < 0.5 * rows[0]["score"], rows  # the coordinated chain is far closer (4.5 vs 16)
    assert record["chosen"]["markov_weight"] == 1.0 and record["how"]["temperature"] == "fixed in the config"
    assert record["how"]["markov_weight"].startswith("selfplay on validation")
    # with a count model in the mix, the prompt adaptation is chosen on the continuation, by the rule
    assert [r["prompt_adapt"] for r in record["continuation"]] == [0.0, 100.0]
    assert record["chosen"]["prompt_adapt"] == best_adaptation(record["continuation"])["prompt_adapt"]
    assert choose_settings(bad, good, train, val, settings()) == record  # seeded: the same choice again
    flipped = choose_settings(good, bad, train, val, settings())
    assert flipped["chosen"]["markov_weight"] == 0.0 and flipped["continuation"] == []
    assert flipped["chosen"]["prompt_adapt"] == 0.0 and "no count model" in flipped["how"]["prompt_adapt"]


def test_every_candidate_pair_is_tried_and_a_temperature_far_off_loses(split):
    train, val = split
    good = MarkovModel.fit(train, order=8)
    grid = {"markov_weight": (0.0, 0.5), "temperature": (1.0, 3.0), "prompt_adapt": (0.0,)}
    record = choose_settings(good, good, train, val, settings(candidates=grid))
    assert len(record["selfplay"]) == 4 and record["chosen"]["temperature"] == 1.0
    hot = [r["score"] for r in record["selfplay"] if r["temperature"] == 3.0]
    cool = [r["score"] for r in record["selfplay"] if r["temperature"] == 1.0]
    assert min(hot) > max(cool), record["selfplay"]


class Skewed:
    """A frame model whose odds of changing state are off by known factors per context (its runs too short, its
    starts too rare): the chain it wraps, scaled."""

    def __init__(self, chain, odds):
        self.chain, self.odds = chain, np.asarray(odds)

    def stream(self, batch: int):
        return ContextOdds(self.chain.stream(batch), agent_odds(self.odds))


def test_recalibration_on_validation_undoes_a_models_skewed_odds_and_is_taken(split):
    """A chain fitted on train with its stopping odds tripled and its starting odds cut to 0.4: the odds fitted on
    validation are the unskewed chain's divided by those factors, its selfplay with them is far closer to the validation timing, so the
    tuner takes calibration 1; the listener and the continuation are then drawn recalibrated too."""
    train, val = split
    skew = (0.4, 0.4, 0.4, 3.0, 3.0)
    model = Skewed(MarkovModel.fit(train, order=8), skew)  # the same fit as `chain` below
    grid = {"markov_weight": (0.0,), "calibration": (0.0, 1.0), "prompt_adapt": (0.0,)}
    record = choose_settings(model, None, train, val, settings(candidates=grid))
    fitted = record["calibration"]["odds"]["0"]
    assert record["calibration"]["contexts"] == list(CONTEXTS)
    chain = MarkovModel.fit(train, order=8)
    cut = [d[:1500] for d in val]  # tune.minutes 0.5 of each
    plain, events = fit_calibration(chain.stream, cut)
    enough = [i for i, c in enumerate(CONTEXTS) if events[c] >= 20]
    assert len(enough) >= 4, events  # the skew undone wherever validation has the changes to show it
    np.testing.assert_allclose(np.array(fitted)[enough], (np.array(plain) / np.array(skew))[enough], rtol=1e-6)
    rows = {r["calibration"]: r["score"] for r in record["selfplay"]}
    assert rows[1.0] < 0.5 * rows[0.0], rows
    assert record["chosen"]["calibration"] == 1.0 and "odds start_overlap" in record["how"]["calibration"]
    assert calibration_odds(record, 0.0, 1.0) == fitted and calibration_odds(record, 0.0, 0.0) is None
    np.testing.assert_allclose(calibration_odds(record, 0.0, 0.5), np.sqrt(fitted))


def test_too_few_validation_dialogues_keep_the_neutral_values(split):
    train, val = split
    good = MarkovModel.fit(train, order=8)
    record = choose_settings(good, good, train, val[:3], settings())
    assert record["chosen"] == {"markov_weight": 0.0, "temperature": 1.0, "calibration": 0.0, "prompt_adapt": 0.0,
                                "listen_overlap_odds": 1.0, "listen_gap_odds": 1.0}
    assert "3 validation dialogue(s), fewer than tune.min_dialogues = 4" in record["how"]["markov_weight"]
    assert record["selfplay"] == [] and record["how"]["temperature"] == "fixed in the config"


def test_the_prompt_adaptation_keeps_the_best_r_that_costs_no_timing():
    rows = [{"prompt_adapt": 0.0, "pearson_avg": 0.1, "score": 1.0},
            {"prompt_adapt": 30.0, "pearson_avg": 0.5, "score": 1.2},  # best r, but further from human timing
            {"prompt_adapt": 100.0, "pearson_avg": 0.3, "score": 0.9},
            {"prompt_adapt": 300.0, "pearson_avg": 0.2, "score": 0.8}]
    assert best_adaptation(rows)["prompt_adapt"] == 100.0
    undefined = [{**r, "pearson_avg": math.nan} for r in rows]
    assert best_adaptation(undefined)["prompt_adapt"] == 300.0  # by timing alone where r cannot be computed


def test_the_listeners_start_odds_bring_its_turn_taking_to_the_humans(split):
    """A listener that never overlaps against partners who do: the odds are searched in the partner's talk first,
    then after its silence at the best of those, then in the partner's talk again at the best gap odds, and the choice
    is the smallest miss in units of 50 ms / 0.05."""
    train, val = split
    good = MarkovModel.fit(train, order=8)
    odds = {"markov_weight": (0.0,), "prompt_adapt": (0.0,), "listen_overlap_odds": (0.5, 1.0, 2.0),
            "listen_gap_odds": (0.5, 1.0)}
    record = choose_settings(good, good, train, val, settings(candidates=odds, minutes=1.0))
    rows = record["listen"]
    tried = [(r["listen_overlap_odds"], r["listen_gap_odds"]) for r in rows]
    best = best_listener(rows)
    assert tried[:3] == [(0.5, 1.0), (1.0, 1.0), (2.0, 1.0)] and len(tried) == 4  # (o, 1) is not run twice
    assert tried[3] == (best_listener(rows[:3])["listen_overlap_odds"], 0.5)
    gap = best_listener(rows[:4])["listen_gap_odds"]
    assert tried[4:] == ([] if gap == 1.0 else [(o, 0.5) for o in (0.5, 1.0, 2.0) if o != tried[3][0]])
    assert (record["chosen"]["listen_overlap_odds"], record["chosen"]["listen_gap_odds"]) == tried[rows.index(best)]
    assert record["how"]["listen_gap_odds"].startswith("listen on validation")
    for r in rows:
        assert r["miss"] == pytest.approx(max(abs(r["fto_median_diff"]) / 0.05, abs(r["overlap_share_diff"]) / 0.05))
    share = {o: r["overlap_share"] for (o, g), r in zip(tried, rows) if g == 1.0}
    assert share[0.5] <= share[1.0] <= share[2.0], share  # more overlap odds, more transfers in overlap


def test_the_listener_kept_misses_least_without_losing_timing():
    rows = [{"listen_overlap_odds": o, "listen_gap_odds": 1.0, "miss": m, "score": s}
            for o, m, s in ((0.5, 3.0, 1.1), (1.0, 2.0, 1.0), (2.0, 0.5, 1.3), (1.4, 0.8, 0.95))]
    assert best_listener(rows)["listen_overlap_odds"] == 1.4  # 2.0 misses less but moves the timing away
    within = rows + [{"listen_overlap_odds": 2.8, "listen_gap_odds": 1.0, "miss": 0.3, "score": 1.08}]
    assert best_listener(within)["listen_overlap_odds"] == 2.8  # within 10 % of odds 1's timing: allowed


def test_each_system_is_drawn_with_its_numbers_or_the_chosen_values():
    chosen = {"markov_weight": 0.25, "temperature": 0.9, "calibration": 1.0, "prompt_adapt": 30.0,
              "listen_overlap_odds": 1.4, "listen_gap_odds": 0.7}
    auto = {k: "auto" for k in TUNABLES}
    assert system_settings(auto, chosen) == chosen  # the agent's systems
    baseline = {"markov_weight": 0, "prompt_adapt": 0, "temperature": "auto", "calibration": 0,
                "listen_overlap_odds": 1, "listen_gap_odds": 1}
    assert system_settings(baseline, None) == {**{k: 0.0 for k in ("markov_weight", "prompt_adapt", "calibration")},
                                               "temperature": 1.0, "listen_overlap_odds": 1.0, "listen_gap_odds": 1.0}
    assert system_settings({**auto, "markov_weight": 0.5}, chosen)["markov_weight"] == 0.5
    assert auto_keys({"markov_weight": "auto", "temperature": 1.0, "prompt_adapt": "auto"}) == ["markov_weight",
                                                                                               "prompt_adapt"]
    assert {t.neutral for t in TUNABLES.values()} == {0.0, 1.0}
    assert needs_validation({"markov_weight": 0.5, "temperature": 1.0, "calibration": 1.0})  # odds fitted there
    assert not needs_validation({"markov_weight": 0.5, "temperature": 1.0, "calibration": 0})
