"""The causal Transformer: causality, cached streaming, the duration head and its hazard."""

import numpy as np
import pytest
import torch

from babbler.models.clock import (
    N_FEATURES,
    PER_SPEAKER,
    TEMPO_ALPHA,
    TEMPO_STEPS,
    Clock,
    clock_features,
    clock_range,
)
from babbler.models.dataset import VOCAB
from babbler.models.durations import (
    DUR_EDGES,
    TAIL_HAZARD,
    duration_bin,
    onset_durations,
    run_hazard,
)
from babbler.models.train_transformer import CLOCK_COLUMN, LazyViews, views, views_nll
from babbler.models.transformer import FrameTransformer, TransformerConfig
from babbler.sampling.generate import generate, sampler
from babbler.sampling.modes.selfplay import selfplay_plan
from babbler.va import runs

# ---------------------------------------------------------------- the Transformer


@pytest.mark.parametrize("clock, seat", [(False, False), (True, False), (False, True)])
def test_causality_and_cached_streaming_equal_full_forward(clock, seat):
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=32, layers=2, heads=4, context=40, clock=clock,
                                               seat=seat)).eval()
    own, other = torch.randint(0, VOCAB, (2, 100)), torch.randint(0, VOCAB, (2, 100))
    seats = torch.tensor([0, 1])  # the first row's own speaker talks on channel A, the second's on B
    full_self, full_other, full_dur = model(own, other, seat=seats)  # FrameLogits unpacks in its field order
    changed = own.clone()
    changed[:, 60] = (changed[:, 60] + 1) % VOCAB
    again, *_ = model(changed, other, seat=seats)
    assert torch.equal(again[:, :60], full_self[:, :60])  # nothing at t ≤ 59 sees frame 60
    assert (again[:, 60] - full_self[:, 60]).abs().max() > 1e-3
    cache, steps_self, steps_other = None, [], []
    for t in range(100):  # past the 40-frame window: the ring buffer slides
        (ls, lo, ld), cache = model.step(own[:, t], other[:, t], cache, seats)
        steps_self.append(ls)
        steps_other.append(lo)
    assert torch.allclose(torch.stack(steps_self, 1), full_self, atol=1e-5)
    assert torch.allclose(torch.stack(steps_other, 1), full_other, atol=1e-5)
    swapped = model(own, other, seat=1 - seats).own
    assert torch.equal(swapped, full_self) != seat  # the seat changes the prediction only where it is an input


def test_attention_dropout_is_its_own_setting():
    """In training mode only the dropouts that are on make a forward pass random: with the residual dropout off,
    attention_dropout 0 gives the eval-mode logits exactly and 0.5 does not; unset, it is `dropout`."""
    own, other = torch.randint(0, VOCAB, (2, 50)), torch.randint(0, VOCAB, (2, 50))
    out = {}
    for p in (0.0, 0.5):
        torch.manual_seed(0)
        model = FrameTransformer(TransformerConfig(d_model=32, layers=2, heads=4, context=40, dropout=0.0,
                                                   attention_dropout=p))
        eval_logits = model.eval()(own, other).own
        out[p] = (model.train()(own, other).own - eval_logits).abs().max().item()
    assert out[0.0] == 0.0
    assert out[0.5] > 1e-3
    # unset, it follows `dropout` (a config that turned dropout off before the keys were split still does)
    assert TransformerConfig(dropout=0.0).attention_p == 0.0 and TransformerConfig(dropout=0.3).attention_p == 0.3


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
    nll = views_nll(model, views([tokens])[:1], torch.device("cpu"))[0]
    assert nll.shape == (119,) and (nll[[9, 69]] > nll[[8, 68]] + 1.0).all()  # onsets also pay for the run length


def test_batched_validation_windows_score_each_frame_as_one_window_per_pass():
    """Batching the validation windows (as on a GPU) right-pads the short ones; the causal attention keeps the padding
    from the scored frames, so each frame's NLL is that of one window per pass (the CPU's default), seat and clock
    included."""
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=2, heads=2, context=32, clock=True, seat=True)).eval()
    rng = np.random.default_rng(0)
    tokens = [(rng.random((n, 2)) < 0.5) * rng.integers(1, VOCAB, (n, 2)) for n in (150, 37, 90)]
    seqs = views(tokens, clock=True)  # both seats of each dialogue: six sequences, none a multiple of the window
    one = views_nll(model, seqs, torch.device("cpu"))
    batched = views_nll(model, seqs, torch.device("cpu"), frames_per_batch=32 * 7)  # 7 windows of unequal length
    assert [len(x) for x in one] == [149, 149, 36, 36, 89, 89]
    for a, b in zip(one, batched):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)
    assert np.array_equal(views_nll(model, seqs[2:3], torch.device("cpu"))[0], one[2])  # alone as among others
    assert not np.allclose(one[0], one[1])  # the two seats' views score different frames


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


def test_overlap_stop_yields_to_the_token_head_while_the_partner_talks():
    """`stop: overlap`: the run-length hazard ends a run while the partner is silent, the token head while the
    partner talks (a run planned at its onset does not know of a barge-in)."""
    torch.manual_seed(1)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=2, heads=2, context=64)).eval()
    tokens = np.zeros((100, 2), dtype=np.int64)
    tokens[10:80, 0], tokens[40:60, 1] = 9, 30  # A talks throughout; B barges in at 40 and stops at 60
    plain, timed, hybrid = model.stream(1), model.stream(1, durations=True), sampler(model, "overlap")(1)
    seen = {"overlap": 0, "alone": 0}
    for t in range(1, len(tokens)):
        p, q, h = (s.next_probs()[0, 0] for s in (plain, timed, hybrid))
        if tokens[t - 1, 0] > 0 and t - 1 > 10:  # A inside a run whose onset the hazard saw
            partner = tokens[t - 1, 1] > 0
            assert np.allclose(h, p if partner else q)
            assert not np.allclose(p[0], q[0], atol=1e-4)  # the two rules do differ here
            seen["overlap" if partner else "alone"] += 1
        for s in (plain, timed, hybrid):
            s.push(tokens[None, t])
    assert seen["overlap"] == 20 and seen["alone"] > 40


# ---------------------------------------------------------------- the clock


def test_clock_counts_runs_and_remembers_the_last_ones():
    own = np.array([0, 0, 3, 3, 3, 0, 0, 7, 0])
    clock = clock_features(own, np.zeros_like(own))
    talk, silence, last_talk, last_silence, tempo = clock[:, :PER_SPEAKER].T
    run = 1 + duration_bin(np.arange(1, 4))  # the index of a run 1, 2, 3 frames long
    assert talk.tolist() == [0, 0, *run, 0, 0, run[0], 0]
    assert silence.tolist() == [*run[:2], 0, 0, 0, *run[:2], 0, run[0]]
    assert last_talk.tolist() == [0] * 5 + [run[2]] * 3 + [run[0]]  # known once the run has ended
    assert last_silence.tolist() == [0] * 2 + [run[1]] * 5 + [run[1]] * 2
    log2_tempo = (np.log2(3) + TEMPO_ALPHA * (np.log2(1) - np.log2(3))) * TEMPO_STEPS
    assert tempo[5] == 1 + round(np.log2(3) * TEMPO_STEPS) and tempo[8] == 1 + round(log2_tempo)
    assert (clock[:, PER_SPEAKER:][:, [0, 2, 3, 4]] == 0).all()  # the partner never talked nor ended a silence
    assert clock[:, PER_SPEAKER + 1].tolist() == (1 + duration_bin(np.arange(1, 10))).tolist()


def test_streamed_clock_equals_the_whole_sequence_and_follows_replication():
    rng = np.random.default_rng(3)
    own = np.repeat(rng.integers(0, 3, 200), rng.integers(1, 40, 200))[:3000]
    other = np.repeat(rng.integers(0, 2, 300), rng.integers(1, 30, 300))[: len(own)]
    whole = clock_features(own, other)
    clock = Clock(2)  # stream 0: (own, other); stream 1: the roles swapped
    streamed = np.stack([clock.update(own[[t]].repeat(2) * [1, 0] + other[[t]] * [0, 1],
                                      other[[t]] * [1, 0] + own[[t]] * [0, 1]) for t in range(len(own))], axis=1)
    assert np.array_equal(streamed[0], whole)
    assert np.array_equal(streamed[1], clock_features(other, own))
    clock.select(np.array([1, 1, 0]))  # rollouts: each copy goes on from its row's state
    nxt = clock.update(np.array([0, 0, 5]), np.array([0, 0, 0]))
    assert np.array_equal(nxt[0], nxt[1]) and not np.array_equal(nxt[0], nxt[2])
    assert np.array_equal(nxt[2], clock_features(np.append(own, 5), np.append(other, 0))[-1])


def test_clock_beyond_the_trained_range_reads_as_its_edge():
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=64, clock=True)).eval()
    track = np.repeat([0, 4, 0, 4], [30, 40, 50, 20])
    bounds = clock_range([clock_features(track, track)], coverage=1.0)
    for silence in (1, PER_SPEAKER + 1):  # own and partner silences: 1 … 50 frames
        assert bounds[silence].tolist() == [1, 1 + duration_bin(np.array([50]))[0]]
    model.set_clock_range(bounds)
    silent = np.zeros(400, dtype=np.int64)  # a silence far longer than any trained on
    clock = torch.as_tensor(clock_features(silent, silent))[None]
    x = model._embed(torch.zeros(1, 400, dtype=torch.long), torch.zeros(1, 400, dtype=torch.long), clock, None)[0]
    edge = int(np.searchsorted(DUR_EDGES, 50, side="right") - 1)  # the first frame whose bin is the last covered
    assert torch.equal(x[399], x[edge]) and torch.equal(x[200], x[edge])
    assert not torch.equal(x[edge - 10], x[edge])  # within the range, lengths still differ


def test_replicated_stream_goes_on_from_each_dialogue_with_its_clock():
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=32, clock=True)).eval()
    stream = model.stream(2, durations=True)
    tokens = np.array([[3, 0], [0, 0]])
    for _ in range(5):
        stream.push(tokens)
    stream.repeat(3)
    stream.push(np.repeat(tokens, 3, axis=0))
    p = stream.next_probs()
    assert p.shape == (6, 2, VOCAB) and np.allclose(p[0], p[2]) and np.allclose(p[3], p[5])
    assert not np.allclose(p[0], p[3])


def test_stream_seats_each_view_on_its_own_channel():
    torch.manual_seed(0)
    model = FrameTransformer(TransformerConfig(d_model=16, layers=1, heads=2, context=32, seat=True)).eval()
    with torch.no_grad():
        model.emb_seat.weight.mul_(50)  # make the seat matter
    tokens = np.zeros((30, 2), dtype=np.int64)
    tokens[5:12, 0], tokens[15:25, 1] = 7, 40
    stream = model.stream(1)
    for t in range(1, len(tokens)):
        stream.push(tokens[None, t])
    p = stream.next_probs()[0]
    seq = torch.as_tensor(tokens)[None]  # the stream starts from a silent frame, as tokens[0] is
    for channel in (0, 1):
        logits = model(seq[..., channel], seq[..., 1 - channel], seat=torch.tensor([channel])).own[0, -1]
        assert np.allclose(p[channel], torch.softmax(logits, -1).detach().numpy(), atol=1e-5)
        wrong = model(seq[..., channel], seq[..., 1 - channel], seat=torch.tensor([1 - channel])).own[0, -1]
        assert not np.allclose(p[channel], torch.softmax(wrong, -1).detach().numpy(), atol=1e-3)


def test_lazy_views_and_counted_clock_range_equal_the_whole_ones():
    """Views made when read are the views made at once, and the clock range counted one sequence at a time is numpy's
    'nearest' percentile of all the values held at once (hand-built runs of random lengths)."""
    rng = np.random.default_rng(1)
    dialogues = []
    for _ in range(8):
        tok = np.zeros((int(rng.integers(300, 3000)), 2), dtype=np.int16)
        for c in range(2):
            t = 0
            while t < len(tok):
                run = int(rng.integers(5, 200))
                tok[t : t + run, c] = 37 if rng.random() < 0.5 else 0
                t += run
        dialogues.append(tok)
    whole = views(dialogues, clock=True)
    lazy = LazyViews(dialogues, clock=True, budget=2 * whole[0].nbytes)  # keeps about two
    assert len(lazy) == len(whole) == 16 and list(lazy.lengths) == [len(v) for v in whole]
    assert all(np.array_equal(lazy[i], whole[i]) for i in (0, 5, 15, 5))
    assert lazy._held <= 2 * whole[0].nbytes and len(lazy._cache) <= 2
    held = [v[:, CLOCK_COLUMN:] for v in whole]
    expected = np.zeros((N_FEATURES, 2), dtype=np.int64)
    for k in range(N_FEATURES):
        values = np.concatenate([h[:, k][h[:, k] > 0] for h in held])
        expected[k] = np.percentile(values, [0.5, 99.5], method="nearest")
    assert np.array_equal(clock_range(v[:, CLOCK_COLUMN:] for v in lazy), expected)
