"""Are the agent's start probabilities calibrated on real dialogue? Expected against actual starts of speaker B.

Usage:  python bench/start_calibration.py ZIP [--trained MODEL.pt,...] [--markov-weight 0.5] [--split val|test]
                                            [--split-shares 0.125,0.125] [--max-minutes 5]
ZIP is the NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip); each MODEL.pt a trained frame
Transformer (e.g. the workflow's results/models/maptask/transformer.pt). The split is the workflow's seeded one
(corpus.seed 1). Each model is fed the split's recorded dialogues (all cut at --max-minutes or at the split's
shortest dialogue, whichever is shorter, to run as one batch) frame by frame, as the
sampler would be if it had drawn exactly what the humans did (teacher forcing). At every frame where B was silent,
the model's probability that B talks at the next frame (after the training tracks' run limits, as sampling applies
them) is summed: the number of starts B would make there in expectation. The script prints that sum per minute
beside B's actual starts, split by whether A was talking (starts inside A's talk) or silent (B takes a silence), for:
  * `markov` fitted over both role assignments (model.markov.seat false: a chain symmetric in the two speakers) and
    as recorded (`markov seat`: A's and B's habits apart);
  * per MODEL.pt the network alone, and the agent interpolated with either chain ((1 − w)·net + w·chain, the
    config's sample.markov_weight).
A calibrated model's expected starts equal the actual ones. On Map Task B is the instruction follower, who starts
less often than the giver: a chain symmetric in the two speakers gives B the average of both roles' habits.
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
from babbler.sampling import RunLimits, RunTracker, sampler  # noqa: E402
from babbler.va import TOKEN_RATE  # noqa: E402


def expected_starts(model, tracks: np.ndarray, limits: RunLimits) -> np.ndarray:
    """(batch, T) probability, teacher-forced on `tracks` (batch, T, 2), that B talks at frame t given frames < t
    (0 at t = 0), after the run limits; the stream is the sampler's (stop rule "overlap")."""
    stream = sampler(model, "overlap")(len(tracks))
    stream.push(tracks[:, 0])
    runs_now = RunTracker(tracks[:, 0])
    p_b = np.zeros(tracks.shape[:2])
    for t in range(1, tracks.shape[1]):
        p_b[:, t] = 1 - runs_now.restrict(stream.next_probs(), limits)[:, 1, 0]
        runs_now.update(tracks[:, t])
        stream.push(tracks[:, t])
    return p_b


def calibration_row(name: str, p_b: np.ndarray, tracks: np.ndarray) -> dict:
    """Expected and actual starts of B per minute, inside A's talk and in A's silence."""
    a_prev, b_prev, b_now = tracks[:, :-1, 0] > 0, tracks[:, :-1, 1] > 0, tracks[:, 1:, 1] > 0
    p = p_b[:, 1:]
    minutes = tracks.shape[0] * tracks.shape[1] / TOKEN_RATE / 60
    row = {"model": name}
    for label, where in (("in A's talk", ~b_prev & a_prev), ("in A's silence", ~b_prev & ~a_prev)):
        row[f"{label}: expected / min"] = float(p[where].sum()) / minutes
        row[f"{label}: actual / min"] = float((b_now & where).sum()) / minutes
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--trained", default="", help="comma-separated trained frame Transformers (model.pt)")
    ap.add_argument("--markov-weight", type=float, default=0.5, help="sample.markov_weight of the agent")
    ap.add_argument("--split", choices=["val", "test"], default="val")
    ap.add_argument("--split-shares", default="0.125,0.125", help="validation and test shares of the seeded split")
    ap.add_argument("--max-minutes", type=float, default=5.0, help="cut each dialogue at this length")
    args = ap.parse_args()

    import torch

    from babbler.models.baselines import MarkovModel
    from babbler.models.ensemble import Ensemble
    from babbler.models.io import load_model

    torch.set_num_threads(1)
    val_share, test_share = (float(x) for x in args.split_shares.split(","))
    sc = load_scoring(args.zip, list(DIALOGUE_IDS), val_share, test_share, args.split)
    train = [sc.tokens[d] for d in sc.by["train"]]
    real = [sc.tokens[d] for d in sc.by[args.split]]
    frames = min(int(args.max_minutes * 60 * TOKEN_RATE), *(len(r) for r in real))
    tracks = np.stack([r[:frames] for r in real])
    limits = RunLimits.from_tracks(train)
    chains = {"markov": MarkovModel.fit(train), "markov seat": MarkovModel.fit(train, seat=True)}
    models = dict(chains)
    w = args.markov_weight
    for path in filter(None, args.trained.split(",")):
        net = load_model(path)
        models[f"net {path}"] = net
        for name, chain in chains.items():
            models[f"agent ({name}) {path}"] = Ensemble([net, chain], (1 - w, w))
    rows = []
    for name, model in models.items():
        rows.append(calibration_row(name, expected_starts(model, tracks, limits), tracks))
        print(rows[-1], flush=True)
    print(f"\n{args.split} split: {len(real)} dialogues cut at {frames / TOKEN_RATE / 60:g} min; B's starts per minute")
    print(pd.DataFrame(rows).round(2).to_markdown(index=False))


if __name__ == "__main__":
    main()
