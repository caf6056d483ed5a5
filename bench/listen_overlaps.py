"""Why the listening agent overlaps less than the human it replaces: its starts inside the partner's talk, in listen
mode and in selfplay.

Usage:  python bench/listen_overlaps.py ZIP --trained MODEL.pt [--markov-weight 0.5] [--split val|test]
                                        [--split-shares 0.125,0.125] [--max-minutes 5] [--samples 1]
                                        [--start-cue 0,2] [--markov-seat]
ZIP is the NXT annotations zip (e.g. ../shared/data/maptask-timed-units.zip); MODEL.pt a trained frame Transformer
(e.g. the workflow's results/models/maptask/transformer.pt). The split is the workflow's seeded one (corpus.seed 1).
The agent is the config's: (1 − w)·Transformer + w·`markov` (order 8, fitted on the train split), stop rule
"overlap", the training tracks' run limits; one agent for each β of --start-cue (sample.start_cue; 0: off). For
the human B of the split's dialogues, and for the agent and `markov` on B both in listen mode (against the real,
recorded A) and in selfplay (against themselves), it prints:
  * B's starts inside A's talk per minute, and the share of them that A ends first (the start becomes a floor
    transfer with overlap; otherwise it is an overlap within A's turn);
  * the median of A's remaining talk after such a start, in seconds; the line "A's talk, any frame" gives the same
    median from every frame of A's talk, what a start blind to A's end would see;
  * B's floor transfers after A's silence per minute and, in listen mode (A is the recording), the share of them
    that fall in a silence of A in which the human B started talking too (the rest fill pauses A broke itself);
  * the overlap share and the FTO median of the floor transfers to B (listen_comparison of the evaluate stage).
In selfplay the partner answers B's starts as the model learned it from human A's; in listen mode the recorded A
answers the human B it was recorded with, whatever the agent does.
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
from babbler.evaluate import gap_transfers, speaker_turn_taking, starts_in_partner_talk_detail  # noqa: E402
from babbler.timing import events_from_tokens  # noqa: E402
from babbler.va import TOKEN_RATE, runs  # noqa: E402


def any_frame_remaining(tracks: list[np.ndarray]) -> float:
    """Median of A's remaining talk (s) over every frame of A's talk: what a start blind to A's end meets."""
    rest = [np.arange(e - s, 0, -1) for t in tracks for s, e in zip(*runs(t[:, 0] > 0))]
    return float(np.median(np.concatenate(rest))) / TOKEN_RATE


def gaps_in_human_turn_ends(events: dict[str, pd.DataFrame], real: list[np.ndarray]) -> float:
    """Share of B's floor transfers after A's silence (listen mode: A is the recording) that fall in a silence of A in
    which the human B started an IPU, rather than in a pause A broke itself; events[str(k)] answers real[k % len]."""
    took = []
    for key, ev in events.items():
        human = real[int(key) % len(real)]
        a_start, a_end = runs(human[:, 0] > 0)
        silence_end = np.append(a_start[1:], len(human))  # each A IPU's following silence: [a_end, silence_end)
        b_starts = runs(human[:, 1] > 0)[0]
        gap_ends = ev.loc[(ev["type"] == "gap") & (ev["speaker"] == "B"), "end"].to_numpy(float)
        for start in np.round(gap_ends * TOKEN_RATE):  # B's start, in frames
            i = np.searchsorted(a_end, start, side="right") - 1  # the last A IPU that ended at or before the start
            if i >= 0:
                took.append(bool(((b_starts >= a_end[i]) & (b_starts <= silence_end[i])).any()))
    return float(np.mean(took)) if took else float("nan")


def row(label: str, tracks: list[np.ndarray], real: list[np.ndarray] | None = None) -> dict:
    """One printed row: B's starts inside A's talk and B's turn-taking in `tracks` (as the evaluate stage counts);
    with `real` (listen mode and the human), the share of B's gap transfers in A's silences the human B took too."""
    events = {str(i): events_from_tokens(t) for i, t in enumerate(tracks)}
    fto, share = speaker_turn_taking(events, "B")
    detail = starts_in_partner_talk_detail(events, "B")  # (A's remaining talk, A ends first) per start
    minutes = sum(len(t) for t in tracks) / TOKEN_RATE / 60
    return {"system": label, "B starts in A's talk / min": len(detail) / minutes,
            "A ends first": float(detail[:, 1].mean()) if len(detail) else float("nan"),
            "A's remaining talk (s, median)": float(np.median(detail[:, 0])) if len(detail) else float("nan"),
            "gap transfers to B / min": gap_transfers(events, "B") / minutes,
            "of them where human B took A's silence": None if real is None else gaps_in_human_turn_ends(events, real),
            "overlap share (to B)": share, "FTO median (s)": fto}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zip")
    ap.add_argument("--trained", required=True, help="a trained frame Transformer (model.pt / transformer.pt)")
    ap.add_argument("--markov-weight", type=float, default=0.5, help="sample.markov_weight of the agent")
    ap.add_argument("--split", choices=["val", "test"], default="val")
    ap.add_argument("--split-shares", default="0.125,0.125", help="validation and test shares of the seeded split")
    ap.add_argument("--max-minutes", type=float, default=5.0, help="cut each dialogue at this length (0: whole)")
    ap.add_argument("--samples", type=int, default=1, help="sampling seeds 1…N per mode")
    ap.add_argument("--start-cue", default="0", help="comma-separated sample.start_cue values, one agent each")
    ap.add_argument("--markov-seat", action="store_true",
                    help="the count model (of the agent and alone) fitted as recorded, A's and B's habits apart "
                         "(model.markov.seat)")
    args = ap.parse_args()
    cues = [float(x) for x in args.start_cue.split(",")]

    import torch

    from babbler.models.baselines import MarkovModel
    from babbler.models.ensemble import Ensemble
    from babbler.models.io import load_model
    from babbler.sampling import RunLimits, generate, listen_plan, sampler, selfplay_plan

    torch.set_num_threads(1)
    val_share, test_share = (float(x) for x in args.split_shares.split(","))
    sc = load_scoring(args.zip, list(DIALOGUE_IDS), val_share, test_share, args.split)
    train = [sc.tokens[d] for d in sc.by["train"]]
    cut = int(args.max_minutes * 60 * TOKEN_RATE) or None
    real = [sc.tokens[d][:cut] for d in sc.by[args.split]]
    markov = MarkovModel.fit(train, seat=args.markov_seat)
    w = args.markov_weight
    agent = Ensemble([load_model(args.trained), markov], (1 - w, w)) if w else load_model(args.trained)
    limits = RunLimits.from_tracks(train)
    rows = [row("human B", real, real), {"system": "A's talk, any frame", "A's remaining talk (s, median)":
                                   any_frame_remaining(real)}]
    systems = [(f"agent, cue {c:g}" if c else "agent", agent, c) for c in cues] + [("markov", markov, 0.0)]
    for name, model, cue in systems:
        for mode, plan in (("listen", listen_plan(real, agent=1)), ("selfplay", selfplay_plan([len(r) for r in real]))):
            tracks = []
            for s in range(1, args.samples + 1):
                drawn = generate(sampler(model, "overlap"), plan, np.random.default_rng(s), desc=f"{name} {mode}",
                                 limits=limits, start_cue=cue)
                tracks += [drawn[i, :len(r)] for i, r in enumerate(real)]
            rows.append(row(f"{name}, {mode}", tracks, real if mode == "listen" else None))
            print(rows[-1], flush=True)
    print(f"\n{args.split} split: {len(real)} dialogues"
          + (f", cut at {args.max_minutes:g} min" if cut else "") + f", {args.samples} sampling seed(s)")
    print(pd.DataFrame(rows).round(3).to_markdown(index=False))


if __name__ == "__main__":
    main()
