"""Evaluation metrics on hand-made event tables with known distances and correlations; the report's HTML."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from babbler.evaluation.metrics import (
    distance,
    evaluate,
    finite_or_none,
    halvings,
    noise_floor,
    ranking,
)
from babbler.evaluation.plots import (
    durations_plot,
    fto_plot,
    spectrogram_plot,
    timeline_plot,
    training_plot,
)
from babbler.evaluation.report import render_report
from babbler.sampling.modes.continuation import (
    continuation_pearson,
    continuation_table,
    pearson,
)
from babbler.timing.events import durations


def events(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    """An events table from (type, speaker, start, end) rows."""
    t = pd.DataFrame(rows, columns=["type", "speaker", "start", "end"])
    t["duration"] = t["end"] - t["start"]
    return t


def modes(prompt_seconds: float, listen_agent: str = "B") -> dict[str, dict]:
    """Every mode's settings for `evaluate`."""
    return {"continuation": {"prompt_seconds": prompt_seconds}, "listen": {"listen_agent": listen_agent}}


def ipus(*lengths: float, start: float = 0.0) -> pd.DataFrame:
    """One speaker's IPUs of the given lengths, 1 s apart, from `start`."""
    rows, t = [], start
    for d in lengths:
        rows.append(("ipu", "A", t, t + d))
        t += d + 1.0
    return events(*rows)


def test_fto_is_gaps_and_negated_between_overlaps():
    ev = events(("gap", "B", 1.0, 1.3), ("overlap_between", "A", 2.0, 2.2), ("overlap_within", "A", 3.0, 3.5),
                ("pause", "A", 4.0, 4.4))
    assert sorted(durations(ev, "fto").round(6)) == [-0.2, 0.3]
    assert durations(ev, "pause").round(6).tolist() == [0.4]


def test_distance_known_values():
    d = distance(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    assert d.w1 == pytest.approx(1.0) and d.ks == pytest.approx(0.5)
    d = distance(np.array([0.0, 0.0]), np.array([3.0, 3.0]))
    assert d.w1 == pytest.approx(3.0) and d.ks == pytest.approx(1.0)
    assert math.isnan(distance(np.zeros(0), np.ones(3)).w1)


def test_halvings_are_disjoint_seeded_and_sized():
    ids = [f"d{i}" for i in range(10)]
    pairs = halvings(ids, 3, 25, seed=7)
    assert len(pairs) == 25 and pairs == halvings(ids, 3, 25, seed=7)
    assert all(len(a) == len(b) == 3 and not set(a) & set(b) for a, b in pairs)
    assert len({tuple(a) for a, _ in pairs}) > 5  # draws differ
    assert halvings(ids, 6, 5, seed=1) == []  # two sets of 6 do not fit in 10


def test_noise_floor_and_ratio_on_known_durations():
    human = {"h1": ipus(1.0, 1.0), "h2": ipus(2.0, 2.0)}  # every disjoint pair of singletons is {h1} vs {h2}
    floor = noise_floor(human, halvings(sorted(human), 1, 10, seed=0))
    assert floor["ipu"].w1 == pytest.approx(1.0) and floor["ipu"].ks == pytest.approx(1.0)
    assert math.isnan(floor["gap"].w1)  # no gaps anywhere
    generated = {"selfplay": {"h1": ipus(3.0, 3.0)}, "markov": {"h1": ipus(1.5, 1.5)}}
    result = evaluate(human, ["h1"], generated,
                      {"real": pd.DataFrame({"dialogue": ["h1", "h2"], "ipu_mean": [1.0, 2.0]}),
                       "selfplay": pd.DataFrame({"dialogue": ["h1"], "ipu_mean": [3.0]}),
                       "markov": pd.DataFrame({"dialogue": ["h1"], "ipu_mean": [1.5]})},
                      {"transformer": {"test_bits_per_frame": 0.1}}, {"source_filter": {"va_f1": 0.99, "rtf": 0.01}},
                      modes=modes(0.0), draws=10, seed=0)
    m = result.metrics
    assert m["distance"]["selfplay"]["ipu_w1"] == pytest.approx(2.0)
    assert m["distance"]["selfplay"]["ipu_w1_ratio"] == pytest.approx(2.0)
    assert m["distance"]["markov"]["ipu_w1_ratio"] == pytest.approx(0.5)
    assert m["distance"]["markov"]["gap_w1_ratio"] is None  # NaN is written as null
    assert m["systems"]["real"]["ipu_mean"] == pytest.approx(1.0)  # the test split only
    assert m["systems"]["selfplay"]["ipu_mean"] == pytest.approx(3.0)
    assert m["noise_floor"]["dialogues_per_half"] == 1 and m["noise_floor"]["ipu_w1"] == pytest.approx(1.0)
    assert m["frame_model"]["transformer"]["test_bits_per_frame"] == 0.1 and m["voice"]["source_filter"]["rtf"] == 0.01
    json.dumps(m, allow_nan=False)  # strict JSON


def test_bootstrap_intervals_and_paired_comparison():
    rng = np.random.default_rng(3)
    human = {f"h{i}": ipus(*rng.lognormal(0.0, 0.3, 20)) for i in range(8)}
    near = {f"h{i}": ipus(*rng.lognormal(0.0, 0.3, 20)) for i in range(4)}  # the same process
    far = {f"h{i}": ipus(*rng.lognormal(0.7, 0.3, 20)) for i in range(4)}  # IPUs twice as long
    stats = {"real": pd.DataFrame({"dialogue": list(human)}), "selfplay": pd.DataFrame({"dialogue": list(near)}),
             "markov": pd.DataFrame({"dialogue": list(far)}), "independent": pd.DataFrame({"dialogue": list(far)})}
    result = evaluate(human, ["h0", "h1", "h2", "h3"], {"selfplay": near, "markov": far, "independent": far}, stats,
                      {}, {}, modes=modes(0.0), draws=20, seed=0, bootstrap=100)
    m = result.metrics
    lo, hi = m["distance"]["selfplay"]["ipu_w1_ratio_ci90"]
    assert lo <= m["distance"]["selfplay"]["ipu_w1_ratio"] <= hi and hi < m["distance"]["markov"]["ipu_w1_ratio"]
    assert m["distance"]["markov"]["ipu_w1_ratio"] > 5  # far outside the human noise floor
    assert list(m["selfplay_vs_baselines"]) == ["ipu", "pause", "gap", "overlap_between", "fto"]  # every type
    versus = m["selfplay_vs_baselines"]["ipu"]
    assert versus["closer"] and versus["p_closer"] == {"independent": 1.0, "markov": 1.0}
    assert m["bootstrap_draws"] == 100
    reference = m["human_reference"]  # the human dialogues outside the test split, as many as selfplay's
    assert reference["dialogues"] == ["h4", "h5", "h6", "h7"]
    assert reference["ipu_w1_ratio"] < 3 < m["distance"]["markov"]["ipu_w1_ratio"]
    assert reference["p_closer"]["markov"]["ipu"] == 1.0
    assert "human_reference" not in m["distance"]  # not a generated system: no row, no rank
    from babbler.evaluation.report import baseline_sentences, headline

    assert "4 real dialogues outside the test split, scored in its place" in str(baseline_sentences(m))
    lines = headline(m)  # three lines: the closest system, the types won against both baselines, the minutes
    assert len(lines) <= 3 and "closer to human than both baselines on <b>" in str(lines[1])


def test_pearson_known_correlations_and_too_few_pairs():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert pearson(2 * x + 1, x) == pytest.approx(1.0)
    assert pearson(-x, x) == pytest.approx(-1.0)
    assert pearson(np.array([1.0, 2.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(0.0)
    assert math.isnan(pearson(x[:2], x[:2]))
    assert math.isnan(pearson(np.ones(4), x))
    assert pearson(np.array([1.0, np.nan, 3.0, 4.0]), x) == pytest.approx(1.0)  # NaN pairs dropped


def test_continuation_uses_only_events_after_the_prompt():
    prompt = 10.0
    real, gen = {}, {}
    for i, (r, g) in enumerate([(0.5, 1.0), (1.0, 2.0), (1.5, 3.0), (2.0, 4.0)]):
        # before the prompt: identical junk in both; after it: IPUs r and g, pauses r/2 and 3g, gaps r/4 and g/4
        junk = [("ipu", "A", 1.0, 9.0), ("pause", "A", 9.0, 9.5)]
        real[f"d{i}"] = events(*junk, ("ipu", "A", 10.0, 10.0 + r), ("pause", "A", 12.0, 12.0 + r / 2),
                               ("gap", "B", 15.0, 15.0 + r / 4))
        gen[f"d{i}"] = events(*junk, ("ipu", "A", 10.0, 10.0 + g), ("pause", "A", 12.0, 12.0 + 3 * g),
                              ("overlap_between", "B", 15.0, 15.0 + g / 4))
    table = continuation_table(real, gen, prompt)
    assert table["ipu_real"].tolist() == [0.5, 1.0, 1.5, 2.0] and table["ipu_generated"].tolist() == [1, 2, 3, 4]
    r = continuation_pearson(table)
    assert r["ipu"] == pytest.approx(1.0) and r["pause"] == pytest.approx(1.0)
    assert r["fto"] == pytest.approx(-1.0)  # generated FTOs are overlaps growing as the real gaps grow
    assert r["avg"] == pytest.approx(1 / 3) and r["n_dialogues"] == 4


def test_ranking_orders_by_mean_ratio():
    rows = [{"system": s, "type": t, "w1_ratio": v}
            for s, base in (("a", 3.0), ("b", 1.0), ("c", 2.0))
            for t, v in zip(("ipu", "pause", "gap", "overlap_between", "fto"), [base] * 5)]
    table = pd.DataFrame(rows).assign(w1_floor=1.0)
    assert ranking(table).index.tolist() == ["b", "c", "a"]
    # a type the humans lack (no floor) is left out; a system without a type the humans have ranks last
    table.loc[table["type"] == "overlap_between", "w1_floor"] = np.nan
    table.loc[(table["system"] == "b") & (table["type"] == "gap"), "w1_ratio"] = np.nan
    ranked = ranking(table)
    assert ranked.index.tolist() == ["c", "a", "b"] and ranked.loc["c", "mean_w1_ratio"] == pytest.approx(2.0)
    assert finite_or_none({"x": [float("nan"), np.float32(1.5)], "y": np.int64(3)}) == {"x": [None, 1.5], "y": 3}


def test_plots_and_report_are_self_contained(tmp_path):
    rng = np.random.default_rng(0)
    human = {f"h{i}": events(*[("ipu", "A", 3 * j, 3 * j + rng.uniform(0.3, 2)) for j in range(10)],
                             *[("gap", "B", 3 * j + 2.5, 3 * j + 2.5 + rng.uniform(0.05, 0.4)) for j in range(10)],
                             *[("pause", "A", 3 * j + 2.2, 3 * j + 2.2 + rng.uniform(0.2, 0.6)) for j in range(10)])
             for i in range(4)}
    # listen: the agent on B starts once inside A's first IPU and outlasts it
    listened = pd.concat([human["h3"], events(("ipu", "B", 0.1, 5.0))], ignore_index=True)
    systems = {"selfplay": {"h0": human["h1"]}, "markov": {"h0": human["h2"]}, "listen": {"h0": listened}}
    stats = {"real": pd.DataFrame({"dialogue": list(human), "ipu_mean": [1.0] * 4, "fto_median": [0.2] * 4,
                                   "minutes": [0.5] * 4}),
             "selfplay": pd.DataFrame({"dialogue": ["h0"], "ipu_mean": [1.1], "fto_median": [0.25]}),
             "markov": pd.DataFrame({"dialogue": ["h0"], "ipu_mean": [1.5], "fto_median": [0.5]})}
    result = evaluate(human, ["h0"], systems, stats, {}, {}, modes=modes(0.0), draws=5, seed=1)
    figs = {name: tmp_path / f"{name}.png" for name in ("fto", "durations", "timeline", "spectrogram", "training")}
    real = {"h0": human["h0"]}
    fto_plot(real, systems, figs["fto"], {"selfplay": 1.2})
    durations_plot(real, systems, figs["durations"])
    va = {"real": {"A": rng.random(6000) > 0.5, "B": rng.random(6000) > 0.5}}
    timeline_plot(va, 0.0, 60.0, figs["timeline"])
    spectrogram_plot({"tone": (np.sin(2 * np.pi * 200 * np.arange(16000) / 16000), 16000)}, figs["spectrogram"])
    training_plot({"transformer": pd.DataFrame({"step": [1, 2], "train_loss": [2.0, 1.0], "val_loss": [np.nan, 1.2]})},
                  {"markov": 0.16}, figs["training"])
    for path in figs.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    wav = tmp_path / "x.wav"
    sf.write(wav, rng.normal(0, 0.1, (16000 * 3, 2)), 16000)
    page = render_report("My <title>", "demo", result.metrics, result.distances, result.tables,
                         {k: v for k, v in figs.items()}, [("real", wav), ("selfplay", wav)], (1.0, 1.5),
                         {"report": {"title": "My <title>"}, "voices": ["source_filter"], "sample": {"voice": "wavenet"},
                          "voice": {"excerpt_seconds": 6, "wavenet": {"temperature": 0.3}, "samplernn": {"temperature": 0.7}}})
    assert "<title>My &lt;title&gt;</title>" in page
    assert page.count("data:image/png;base64,") == 6 and page.count("data:audio/wav;base64,") == 2  # + the summary's
    assert "&lt;p" not in page and "&lt;" not in page.replace("My &lt;title&gt;", "")  # no HTML shown as text
    config = page[page.index("<h2>Configuration</h2>"):page.index("<h2>Versions</h2>")]
    assert "wavenet" in config and "samplernn" not in config and "excerpt_seconds" in config  # voices that ran
    summary = page.index("<h2>Summary</h2>")
    assert summary < page.index("<h2>Listen</h2>") < page.index("<h2>Versions</h2>")
    assert "selfplay" in page[summary:] and "markov" in page[summary:] and "torch" in page
    assert "is the generated system closest to human timing" in page
    assert ("starts inside the partner's talk 2.0 times a minute (human: 0.0), and the partner ends first after 1.00 "
            "of those starts (human: –)") in page


def test_numeric_dialogue_ids_stay_text_through_every_table(tmp_path):
    """Ids like 001 must not become the number 1: the human statistics of the test split stay found."""
    from babbler.util.fileio import read_table

    path = tmp_path / "stats.csv"
    pd.DataFrame({"dialogue": ["001", "002", "010"], "minutes": [1.0, 2.0, 3.0], "ipu_mean": [0.5, 0.7, 0.9]}).to_csv(
        path, index=False)
    table = read_table(path)
    assert table["dialogue"].tolist() == ["001", "002", "010"]
    human = {d: ipus(0.5, 0.7, 0.9, 1.1) for d in ("001", "002", "010")}
    result = evaluate(human, ["002"], {"selfplay": {"002": ipus(0.6, 0.6)}}, {"real": table}, {}, {},
                      modes=modes(0.0), draws=3, seed=1)
    assert result.metrics["systems"]["real"]["ipu_mean"] == pytest.approx(0.7)
    assert not any("no timing statistics" in w for w in result.metrics["warnings"])


def test_degenerate_test_split_warns_and_the_report_claims_nothing(tmp_path):
    """One 0.3 s test dialogue with no events: every distance is undefined; the metrics say why, and the report's
    summary shows the warnings instead of a comparison."""
    human = {"a": ipus(0.5, 0.7, start=0.0), "b": ipus(0.4, 0.8), "t": events()}
    stats = {"real": pd.DataFrame({"dialogue": ["a", "b", "t"], "minutes": [0.5, 0.5, 0.005]})}
    result = evaluate(human, ["t"], {"selfplay": {"t": events()}, "markov": {"t": events()}}, stats, {}, {},
                      modes=modes(20.0), draws=3, seed=1)
    warnings = " | ".join(result.metrics["warnings"])
    assert "t (0.3 s)" in warnings and "prompt_seconds = 20 s" in warnings
    assert "hold no ipu, pause, gap, overlap_between, fto events" in warnings
    assert "this report compares nothing" in warnings and "only 1 test dialogue" in warnings
    wav = tmp_path / "x.wav"
    sf.write(wav, np.zeros((16000, 2)), 16000)
    page = render_report("t", "demo", result.metrics, result.distances, result.tables, {}, [("real", wav)],
                         (0.0, 0.5), {})
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Listen</h2>")]
    assert "Read these numbers with care" in summary and "this report compares nothing" in summary
    assert "closest to human timing:" not in summary and "No generated system could be compared" in summary
    rng = np.random.default_rng(0)
    healthy = {f"h{i}": ipus(*rng.uniform(0.2, 2.0, 8)) for i in range(6)}
    stats = {"real": pd.DataFrame({"dialogue": list(healthy), "minutes": [1.0] * 6})}
    ok = evaluate(healthy, ["h0", "h1", "h2"], {"selfplay": {"h0": ipus(0.6, 0.8)}}, stats, {}, {},
                  modes=modes(5.0), draws=3, seed=1)
    assert [w for w in ok.metrics["warnings"] if "ipu" in w or "nothing" in w or "prompt" in w] == []


def test_report_escapes_every_value_from_data_and_config(tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    human = {evil: ipus(0.5, 0.7, 0.9), "b": ipus(0.4, 0.8, 0.6), "c": ipus(0.5, 0.5), "d": ipus(0.9, 0.3)}
    stats = {"real": pd.DataFrame({"dialogue": list(human), "minutes": [1.0] * 4, f"x{evil}": [1.0] * 4})}
    systems = {"continuation": {evil: ipus(0.6, 0.6, 0.6)}}
    result = evaluate(human, [evil, "b"], systems, stats, {}, {}, modes=modes(0.0), draws=3, seed=1)
    wav = tmp_path / "x.wav"
    sf.write(wav, np.zeros((16000, 2)), 16000)
    page = render_report(evil, evil, result.metrics, result.distances, result.tables, {}, [(evil, wav)],
                         (0.0, 0.5), {"report": {"title": evil}})
    assert evil in result.tables["continuation"]["dialogue"].tolist()  # it reached the tables
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def _stats_row(dialogue, minutes, **sec):
    """A stats.csv row with per-minute rates of 1 event each second listed (sec: type → seconds per minute)."""
    from babbler.timing.events import EVENT_TYPES

    row = {"dialogue": dialogue, "minutes": minutes}
    for t in EVENT_TYPES:
        row[f"{t}_sec_per_min"] = sec.get(t, 0.0)
        row[f"{t}_per_min"] = 2.0 * sec.get(t, 0.0)
    return row


def test_minute_table_pools_by_length_counts_both_overlaps_and_has_a_human_floor():
    from babbler.evaluation.metrics import (
        abs_diff_sec_per_min,
        minute_rates,
        minute_table,
    )

    real = pd.DataFrame([_stats_row("a", 1.0, ipu=30, pause=4, gap=2, overlap_within=1, overlap_between=1),
                         _stats_row("b", 3.0, ipu=34, pause=8, gap=2, overlap_within=0, overlap_between=2)])
    rates = minute_rates(real)
    assert rates["ipu"]["sec_per_min"] == pytest.approx((30 + 3 * 34) / 4)  # weighted by minutes
    assert rates["overlap"]["sec_per_min"] == pytest.approx((2 + 3 * 2) / 4)  # within + between
    assert rates["pause"]["per_min"] == pytest.approx(2 * (4 + 24) / 4)
    system = pd.DataFrame([_stats_row("a", 1.0, ipu=40, pause=4, gap=6, overlap_between=2)])
    assert abs_diff_sec_per_min(minute_rates(system), minute_rates(real.iloc[[0]])) == pytest.approx(
        (10 + 0 + 4 + 0) / 4)
    table = minute_table({"real": real, "selfplay": system}, ["a"], [(["a"], ["b"]), (["b"], ["a"])])
    assert table["selfplay"]["abs_diff_sec_per_min"] == pytest.approx(3.5)
    assert table["human_floor"] == {"abs_diff_sec_per_min": pytest.approx((4 + 4 + 0 + 0) / 4), "pairs": 2}


def test_prompt_baseline_and_listen_comparison_on_known_events():
    from babbler.sampling.modes.continuation import prompt_pearson
    from babbler.sampling.modes.listen import listen_comparison

    real, rng = {}, np.random.default_rng(0)
    for i in range(5):  # each dialogue keeps its IPU length before and after the prompt at 10 s
        d = 0.5 + 0.3 * i
        real[f"d{i}"] = events(*[("ipu", "A", t, t + d) for t in np.arange(0, 20, 3.0)],
                               *[("pause", "A", t + d, t + d + rng.uniform(0.2, 0.4)) for t in np.arange(0, 20, 3.0)])
    r = prompt_pearson(real, sorted(real), 10.0)
    assert r["ipu"] == pytest.approx(1.0) and r["n_dialogues"] == 5
    human = {"x": events(("gap", "B", 1.0, 1.2), ("gap", "B", 3.0, 3.4), ("overlap_between", "B", 5.0, 5.1),
                         ("gap", "A", 7.0, 7.9))}
    agent = {"x": events(("overlap_between", "B", 1.0, 1.5), ("overlap_between", "B", 3.0, 3.3),
                         ("gap", "B", 5.0, 5.1))}
    out = listen_comparison(human, agent, "B")
    assert out["fto_median_human"] == pytest.approx(0.2) and out["fto_median"] == pytest.approx(-0.3)
    assert out["fto_median_diff"] == pytest.approx(-0.5)
    assert out["overlap_share_human"] == pytest.approx(1 / 3) and out["overlap_share_diff"] == pytest.approx(1 / 3)


def test_listen_counts_starts_inside_the_partners_talk_and_who_ends_first():
    from babbler.sampling.modes.listen import listen_comparison

    a_talk = [("ipu", "A", 0.0, 2.0), ("ipu", "A", 4.0, 6.0), ("ipu", "A", 7.0, 8.0)]
    # human B: one start the partner ends first (a transfer in overlap), one it outlasts, one at the partner's own
    # onset (not inside its talk) and one after it (a gap)
    human = {"x": events(*a_talk, ("ipu", "B", 1.8, 3.0), ("ipu", "B", 5.0, 5.5), ("ipu", "B", 7.0, 7.5),
                         ("ipu", "B", 8.2, 9.0), ("gap", "A", 3.0, 4.0), ("gap", "B", 8.0, 8.2))}
    # the agent starts inside A's talk three times; A ends first once
    agent = {"x": events(*a_talk, ("ipu", "B", 1.0, 1.5), ("ipu", "B", 4.5, 5.0), ("ipu", "B", 5.8, 7.5))}
    out = listen_comparison(human, agent, "B", minutes=0.5)
    assert out["starts_in_partner_talk_per_min_human"] == pytest.approx(4.0)
    assert out["starts_in_partner_talk_per_min"] == pytest.approx(6.0)
    assert out["partner_ends_first_human"] == pytest.approx(0.5) and out["partner_ends_first"] == pytest.approx(1 / 3)
    # floor transfers to B after A's silence: the human's at 8.2 s (A ended at 8.0), none of the agent's
    assert out["gap_transfers_per_min_human"] == pytest.approx(2.0) and out["gap_transfers_per_min"] == 0.0
    # without the dialogues' length the rates are unknown, the shares are not
    out = listen_comparison(human, agent, "B")
    assert np.isnan(out["starts_in_partner_talk_per_min"]) and out["partner_ends_first"] == pytest.approx(1 / 3)
    # the other channel: A's IPU at 7 s starts inside the agent's 5.8-7.5 one, which ends first
    out = listen_comparison(human, agent, "A", minutes=0.5)
    assert out["starts_in_partner_talk_per_min"] == pytest.approx(2.0) and out["partner_ends_first"] == 1.0


def test_plot_helpers_window_clip_and_curves(tmp_path):
    from babbler.evaluation.plots import read_clip, split_curves, timeline_window

    assert timeline_window(120.0, 20.0) == (15.0, 60.0)
    assert timeline_window(40.0, 20.0) == (0.0, 40.0)
    assert timeline_window(90.0, 50.0) == (30.0, 60.0)  # a full minute still fits
    wav = tmp_path / "m.wav"
    sf.write(wav, np.arange(16000 * 3) / (16000 * 3), 16000, subtype="FLOAT")
    y, sr = read_clip(wav, 2.5, 1.0)
    assert sr == 16000 and len(y) == 16000 and y[0] == pytest.approx(2 / 3, abs=1e-6)  # moved back to fit
    trained, base = split_curves({"transformer": pd.DataFrame({"step": [1], "val_loss": [1.0]}),
                                  "markov": pd.DataFrame({"val_bits_per_frame": [0.2]})})
    assert list(trained) == ["transformer"] and base == {"markov": 0.2}


def test_summary_figure_draws_intervals_that_miss_their_ratio():
    """A bootstrap interval need not hold the ratio it belongs to (the demo's run has such a one): the figure draws
    it as it is; a type with no interval or no ratio is left out, not an error."""
    from babbler.evaluation.plots import w1_ratio_png
    from babbler.evaluation.report import TYPE_LABEL

    distances = pd.DataFrame({"system": ["selfplay", "selfplay", "markov"], "type": ["ipu", "gap", "ipu"],
                              "w1_ratio": [1.6, np.nan, 4.6], "w1_ratio_lo": [1.7, 0.5, np.nan],
                              "w1_ratio_hi": [3.9, 2.0, np.nan]})
    png = w1_ratio_png(distances, TYPE_LABEL)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
