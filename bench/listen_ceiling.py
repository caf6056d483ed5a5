"""How well can a listener place its starts inside the partner's talk from timing alone? A ceiling for listen mode.

Usage:  python bench/listen_ceiling.py ZIP [--split val|test] [--split-shares 0.125,0.125] [--horizon 0.34]
                                         [--trained NAME=MODEL.pt,...]

ZIP is the NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip); the split is the workflow's seeded one
(corpus.seed 1). In listen mode the agent plays B against A's recording. A recorded A does not give way to the agent,
so a start of B inside A's talk becomes a floor transfer with overlap only where A's IPU ends before B's does: B must
start near A's end. The human B starts inside A's talk with A's IPU 0.34 s from its end (median, Map Task test split),
where a start blind to A's end meets 0.74 s (README, Real human timing). This script asks how close a listener that
sees nothing but the timing so far (A's and B's runs, their lengths, the floor) can come to the human's placement.

Each policy starts B at most once per IPU of A: at the first frame of A's IPU (B silent) whose score reaches a
threshold, the threshold set so that it starts as often inside A's talk as the human B does on the split. Policies:
  * human: B's own starts inside A's talk (the recording);
  * blind: a seeded random score (what a start that ignores A's timing meets);
  * elapsed: the train split's share of frames with A's IPU ending within `--horizon`, by A's elapsed IPU length;
  * timing: a gradient-boosted classifier (scikit-learn, installed with librosa) of the same target on eight timing
    features (A's elapsed IPU, A's previous IPU, A's mean IPU so far, B's silence, B's last IPU, A's time on the
    floor, A's IPUs on the floor, the silence before A's IPU), trained on the train split's frames; its AUC on the
    split is printed;
  * with --trained, per trained frame Transformer (e.g. the workflow's results/models/maptask/transformer.pt) NAME:
    "NAME next frame", the network's probability that A is silent at the next frame (its partner head, teacher-forced
    on the recording as the listening agent on B hears it: B's view, seat B), which sampling does not start by; and for a
    network trained with a projection head (model.transformer.vap) "NAME projection", its probability that A is
    silent in the projection's second window (0.2–0.6 s ahead); "NAME own start", its probability that B starts
    talking at the next frame (its own head: the score its sampled starts follow, as draws rather than a threshold);
Per policy: starts per minute, the median of A's remaining talk at them, the share that A ends first (A's remaining
talk shorter than B's IPU, B's IPU lengths drawn from the human B's own starts inside A's talk, as a survival
function), and the overlap share of the floor transfers to B that this gives with the human B's gap transfers: n·p /
(n·p + gaps). The human row's implied share is checked against the evaluate stage's own count (`speaker_turn_taking`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from maptask_agent import load_scoring  # noqa: E402

from babbler.corpora.maptask import DIALOGUE_IDS  # noqa: E402
from babbler.evaluate import speaker_turn_taking, starts_in_partner_talk_detail  # noqa: E402
from babbler.timing import events_from_tokens  # noqa: E402
from babbler.va import TOKEN_RATE, runs  # noqa: E402


def listener_scores(model, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Per frame t of a (T, 2) dialogue: a trained frame model's probability, from B's view with history up to t − 1,
    that A is silent at t (partner head), that B talks at t (own head) and, with a projection head, that A is silent
    0.2–0.6 s after t − 1."""
    import torch

    from babbler.models.projection import CLASSES, WINDOWS
    from babbler.train import CLOCK_COLUMN, _windows, views

    seq = views([tokens], clock=model.cfg.reads_clock)[1]  # B's view: own = B, partner = A, seat 1
    n = len(seq)
    stop, start_b, window2 = np.zeros(n), np.zeros(n), np.zeros(n)
    bit = ((np.arange(CLASSES) >> (len(WINDOWS) + 1)) & 1).astype(bool)  # the class bit of A's talk in window 2
    with torch.no_grad():
        for lo, start, end in _windows(n, model.cfg.context, model.cfg.context // 2):
            x = torch.as_tensor(seq[None, lo:end].astype(np.int64))
            out = model(x[..., 0], x[..., 1], x[..., CLOCK_COLUMN:], x[:, 0, 3])
            # position i predicts frame i + 1: shift by one so that index t holds what was known at t − 1
            stop[start + 1 : end + 1] = torch.softmax(out.partner[0, start - lo :], -1)[:, 0].numpy()
            start_b[start + 1 : end + 1] = 1 - torch.softmax(out.own[0, start - lo :], -1)[:, 0].numpy()
            if out.projection is not None:
                p = torch.softmax(out.projection[0, start - lo :], -1).numpy()
                window2[start + 1 : end + 1] = p[:, ~bit].sum(axis=1)
    return stop, start_b, (window2 if model.head_vap is not None else None)


FEATURES = ["a_elapsed", "a_prev", "a_mean", "b_silent", "b_last", "a_floor", "a_floor_ipus", "gap_before"]


def frame_table(tokens: np.ndarray) -> pd.DataFrame:
    """One row per frame of A's IPUs (after its first) where B is silent: the causal timing features (frames) and A's
    remaining talk (frames), with the IPU each frame belongs to."""
    a, b = tokens[:, 0] > 0, tokens[:, 1] > 0
    (a_s, a_e), (b_s, b_e) = runs(a), runs(b)
    rows = []
    floor_start, floor_ipus, past = None, 0, []
    for k, (s, e) in enumerate(zip(a_s, a_e)):
        b_before = b_e[b_e <= s]
        last_b_end = int(b_before.max()) if len(b_before) else -1
        if floor_start is None or (len(b_before) and last_b_end > floor_start):
            floor_start, floor_ipus = s, 0  # B talked since A's last IPU: A takes the floor again here
        floor_ipus += 1
        prev_end = max(int(a_e[k - 1]) if k else 0, last_b_end if last_b_end >= 0 else 0)
        t = np.arange(s + 1, e)
        t = t[~b[t] & ~b[t - 1]]  # B silent: a start of B's there is a start inside A's talk
        if len(t):
            j = np.searchsorted(b_e, t, side="right") - 1  # B's last run ended by frame t (one inside A's IPU too)
            rows.append(pd.DataFrame({
                "ipu": k, "t": t, "remaining": e - t, "a_elapsed": t - s,
                "a_prev": int(a_e[k - 1] - a_s[k - 1]) if k else 0,
                "a_mean": float(np.mean(past)) if past else 0.0,
                "b_silent": np.where(j >= 0, t - b_e[j], t),
                "b_last": np.where(j >= 0, (b_e - b_s)[j], 0), "a_floor": t - floor_start, "a_floor_ipus": floor_ipus,
                "gap_before": s - prev_end}))
        past.append(e - s)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["ipu", "t", "remaining", *FEATURES])


def policy_starts(tables: dict[str, pd.DataFrame], score: dict[str, np.ndarray], n_target: int) -> np.ndarray:
    """A's remaining talk (frames) at each start of a policy that starts at the first frame of an A IPU whose score
    reaches the threshold giving `n_target` starts over all dialogues."""
    def starts(threshold: float) -> np.ndarray:
        out = []
        for d, tab in tables.items():
            hit = tab.loc[score[d] >= threshold]
            out.append(hit.groupby("ipu")["remaining"].first().to_numpy())
        return np.concatenate(out) if out else np.zeros(0)

    pooled = np.concatenate(list(score.values()))
    lo, hi = float(pooled.min()), float(pooled.max()) + 1e-9
    for _ in range(60):  # bisection on the threshold: more starts below, fewer above
        mid = 0.5 * (lo + hi)
        if len(starts(mid)) > n_target:
            lo = mid
        else:
            hi = mid
    return starts(hi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--split", choices=["val", "test"], default="val")
    ap.add_argument("--split-shares", default="0.125,0.125", help="validation and test shares of the seeded split")
    ap.add_argument("--horizon", type=float, default=0.34, help="s: the classifiers' target, A's IPU ends within it")
    ap.add_argument("--trained", default="", help="NAME=MODEL.pt,...: trained frame Transformers as listeners")
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    val_share, test_share = (float(x) for x in args.split_shares.split(","))
    sc = load_scoring(args.zip, list(DIALOGUE_IDS), val_share, test_share, args.split)
    horizon = int(round(args.horizon * TOKEN_RATE))
    train = pd.concat([frame_table(sc.tokens[d]) for d in sc.by["train"]], ignore_index=True)
    split = {d: frame_table(sc.tokens[d]) for d in sc.by[args.split]}
    minutes = sum(len(sc.tokens[d]) for d in split) / TOKEN_RATE / 60

    human = starts_in_partner_talk_detail(sc.real, "B")  # (A's remaining talk in s, A ends first) per start
    b_lengths = []  # the human B's IPU lengths (s) at its starts inside A's talk
    for ev in sc.real.values():
        ipus = ev[ev["type"] == "ipu"]
        own, other = ipus[ipus["speaker"] == "B"], ipus[ipus["speaker"] == "A"]
        for start, end in own[["start", "end"]].to_numpy(float):
            if ((other["start"].to_numpy() < start) & (start < other["end"].to_numpy())).any():
                b_lengths.append(end - start)
    b_lengths = np.sort(np.array(b_lengths))
    fto_h, share_h = speaker_turn_taking(sc.real, "B")
    gaps = sum(int(((ev["type"] == "gap") & (ev["speaker"] == "B")).sum()) for ev in sc.real.values())

    def ends_first(remaining_s: np.ndarray) -> float:
        """Share of starts where A's remaining talk is shorter than B's IPU (B's lengths: the human's, a survival)."""
        return float(np.mean(1.0 - np.searchsorted(b_lengths, remaining_s, side="right") / len(b_lengths)))

    x_train, y_train = train[FEATURES].to_numpy(float), (train["remaining"] <= horizon).to_numpy()
    by_elapsed = train.assign(end=y_train).groupby(np.minimum(train["a_elapsed"], 500))["end"].mean()
    clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=1).fit(x_train, y_train)
    rng = np.random.default_rng(1)
    scores = {
        "blind": {d: rng.random(len(t)) for d, t in split.items()},
        "elapsed": {d: by_elapsed.reindex(np.minimum(t["a_elapsed"], 500)).fillna(0).to_numpy()
                    for d, t in split.items()},
        "timing": {d: clf.predict_proba(t[FEATURES].to_numpy(float))[:, 1] for d, t in split.items()},
    }
    from babbler.models.io import load_model

    for item in filter(None, args.trained.split(",")):
        name, _, path = item.partition("=")
        model = load_model(path)
        scored = {d: listener_scores(model, sc.tokens[d]) for d in split}
        scores[f"{name} next frame"] = {d: scored[d][0][t["t"].to_numpy()] for d, t in split.items()}
        scores[f"{name} own start"] = {d: scored[d][1][t["t"].to_numpy()] for d, t in split.items()}
        if model.head_vap is not None:
            scores[f"{name} projection"] = {d: scored[d][2][t["t"].to_numpy()] for d, t in split.items()}
    y_split = np.concatenate([(t["remaining"] <= horizon).to_numpy() for t in split.values()])
    auc = {k: roc_auc_score(y_split, np.concatenate(list(v.values()))) for k, v in scores.items()}

    def row(label: str, remaining_s: np.ndarray, p: float | None = None) -> dict:
        p = ends_first(remaining_s) if p is None else p
        n = len(remaining_s)
        return {"policy": label, "starts / min": n / minutes, "A's remaining talk (s, median)": np.median(remaining_s),
                "A ends first": p, "overlap share (to B)": n * p / (n * p + gaps),
                f"AUC, A ends within {args.horizon:g} s": auc.get(label, np.nan)}

    rows = [row("human", human[:, 0], float(human[:, 1].mean())), row("human, B's lengths as a survival", human[:, 0])]
    rows += [row(k, policy_starts(split, v, len(human)) / TOKEN_RATE) for k, v in scores.items()]
    print(f"{args.split} split: {len(split)} dialogues, {minutes:.1f} minutes; the human B's overlap share "
          f"{share_h:.3f} (evaluate stage), FTO median {fto_h:.2f} s; {gaps} gap transfers to B; "
          f"{len(train)} train frames, {len(human)} human starts inside A's talk")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".4f"))


if __name__ == "__main__":
    main()
