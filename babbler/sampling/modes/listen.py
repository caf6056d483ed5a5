"""Mode `listen`: the agent on one channel (`sample.listen_agent`) beside the real other speaker throughout, set
against the human it replaces."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from markupsafe import Markup

from babbler.sampling.generate import FREE
from babbler.sampling.modes.spec import Mode, ModeEvents, ModeResult
from babbler.timing.events import fto_values
from babbler.util.html import fmt

# The listener's targets against the human it replaces: |agent − human| of the FTO median (s) and the overlap share.
LISTEN_TOLERANCE = {"fto_median_diff": 0.05, "overlap_share_diff": 0.05}


def listen_plan(dialogues: list[np.ndarray], agent: int) -> np.ndarray:
    """The partner channel is the real speaker throughout; the agent's channel is free."""
    plan = np.full((len(dialogues), max(len(d) for d in dialogues), 2), FREE, dtype=np.int64)
    for i, d in enumerate(dialogues):
        plan[i, : len(d), 1 - agent] = d[:, 1 - agent]
    return plan


def plan(real: list[np.ndarray], settings: dict) -> np.ndarray:
    """The agent's channel free, the partner's real."""
    return listen_plan(real, "AB".index(settings["listen_agent"]))


def kept(n_frames: int, settings: dict) -> dict[str, np.ndarray]:
    """The partner's real recording throughout."""
    return {"B" if settings["listen_agent"] == "A" else "A": np.ones(n_frames, dtype=bool)}


def speaker_turn_taking(events: dict[str, pd.DataFrame], speaker: str) -> tuple[float, float]:
    """FTO median (s) and overlap share of the floor transfers *to* one speaker, pooled over dialogues."""
    parts = [fto_values(ev[ev["speaker"] == speaker]) for ev in events.values()]
    fto = np.concatenate(parts) if parts else np.zeros(0)
    return (float(np.median(fto)), float(np.mean(fto < 0))) if len(fto) else (math.nan, math.nan)


def starts_in_partner_talk_detail(events: dict[str, pd.DataFrame], speaker: str) -> np.ndarray:
    """Per IPU `speaker` starts inside the partner's IPU: (the partner's remaining talk in s, whether the partner's
    IPU ends first — the start becomes a floor transfer with overlap, else an overlap within the partner's turn)."""
    rows = []
    for ev in events.values():
        ipus = ev[ev["type"] == "ipu"]
        own, other = ipus[ipus["speaker"] == speaker], ipus[ipus["speaker"] != speaker]
        o_start, o_end = other["start"].to_numpy(float), other["end"].to_numpy(float)
        for start, end in own[["start", "end"]].to_numpy(float):
            inside = (o_start < start) & (start < o_end)
            if inside.any():
                partner_end = o_end[inside].max()
                rows.append((partner_end - start, float(partner_end < end)))
    return np.array(rows, dtype=float).reshape(-1, 2)


def starts_in_partner_talk(events: dict[str, pd.DataFrame], speaker: str) -> tuple[int, float]:
    """How often `speaker` starts an IPU inside the partner's IPU, and the share of those starts the partner ends
    first (see starts_in_partner_talk_detail)."""
    detail = starts_in_partner_talk_detail(events, speaker)
    return len(detail), float(detail[:, 1].mean()) if len(detail) else math.nan


def gap_transfers(events: dict[str, pd.DataFrame], speaker: str) -> int:
    """How many floor transfers to `speaker` follow a silence (gaps), pooled over dialogues."""
    return sum(int(((ev["type"] == "gap") & (ev["speaker"] == speaker)).sum()) for ev in events.values())


def listen_comparison(real: dict[str, pd.DataFrame], listen: dict[str, pd.DataFrame], agent: str,
                      minutes: float | None = None) -> dict[str, float]:
    """The listening agent against the human speaker it replaces: differences (agent − human) of the FTO median and
    the overlap share of the floor transfers to that channel; both speakers' starts inside the partner's talk (per
    minute of the `minutes` the dialogues last, and the share the partner ends first: the recorded partner does not
    answer the agent's starts as it answered the human's) and their transfers after the partner's silence per minute
    (the overlap share's other part: starts ended first × share ended first / (that + gap transfers))."""
    if not listen:
        return {}
    human = {k: real[k] for k in listen}
    fto_a, share_a = speaker_turn_taking(listen, agent)
    fto_h, share_h = speaker_turn_taking(human, agent)
    (n_a, first_a), (n_h, first_h) = starts_in_partner_talk(listen, agent), starts_in_partner_talk(human, agent)
    rate = (lambda n: n / minutes) if minutes else (lambda n: math.nan)
    return {"agent": agent, "fto_median": fto_a, "fto_median_human": fto_h, "fto_median_diff": fto_a - fto_h,
            "overlap_share": share_a, "overlap_share_human": share_h, "overlap_share_diff": share_a - share_h,
            "starts_in_partner_talk_per_min": rate(n_a), "starts_in_partner_talk_per_min_human": rate(n_h),
            "partner_ends_first": first_a, "partner_ends_first_human": first_h,
            "gap_transfers_per_min": rate(gap_transfers(listen, agent)),
            "gap_transfers_per_min_human": rate(gap_transfers(human, agent))}


def dialogue_minutes(stats_table: pd.DataFrame, dialogues) -> float | None:
    """The summed length (min) of `dialogues` in a stats.csv table (None without them or its minutes column)."""
    if "minutes" not in stats_table.columns:
        return None
    total = float(stats_table.loc[stats_table["dialogue"].isin(list(dialogues)), "minutes"].sum())
    return total or None


def evaluate(events: ModeEvents) -> ModeResult:
    """The mode's first system against the human speaker it replaces ({} without one)."""
    listen = events.first("listen")
    return ModeResult(listen_comparison(events.real, listen, events.settings["listen_agent"],
                                        dialogue_minutes(events.real_stats, listen)))


def report(metrics: dict, tables: dict[str, pd.DataFrame]) -> tuple[str, Markup]:
    """The listening agent's turn-taking against the human speaker it replaces."""
    v = metrics.get("listen") or {}
    if not v:
        return "Listening agent", Markup("<p class='muted'>No listening system ran.</p>")
    return "Listening agent", Markup(
        "<p>The agent on channel {} takes the floor with an FTO median of {} s (the "
        "human it replaces: {} s) and in overlap in {} of its turns (human: {}). It starts inside the "
        "partner's talk {} times a minute (human: {}), and the partner ends first after {} of those starts "
        "(human: {}): the recorded partner answers the human's starts, not the agent's. It takes the floor "
        "after the partner's silence {} times a minute (human: {}).</p>").format(
        v["agent"], fmt(v.get("fto_median")), fmt(v.get("fto_median_human")), fmt(v.get("overlap_share"), 2),
        fmt(v.get("overlap_share_human"), 2), fmt(v.get("starts_in_partner_talk_per_min"), 1),
        fmt(v.get("starts_in_partner_talk_per_min_human"), 1), fmt(v.get("partner_ends_first"), 2),
        fmt(v.get("partner_ends_first_human"), 2), fmt(v.get("gap_transfers_per_min"), 1),
        fmt(v.get("gap_transfers_per_min_human"), 1))


MODE = Mode("listen", "one speaker generated beside the real other", plan, settings=("listen_agent",), kept=kept,
            evaluate=evaluate, report=report)
