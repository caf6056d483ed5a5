"""How well extracted VA matches a source's reference VA: frame scores and stats computed both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babbler.timing.events import dialogue_stats, events_from_tracks
from babbler.va import SPEAKERS, VA_RATE, ipu_track, segments_to_frames


def frame_scores(pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Frame precision, recall and F1 of a predicted VA track against a reference."""
    return scores_from_counts(**{k: float(v) for k, v in frame_counts(pred, ref).items()})


def dialogue_accuracy(
    extracted: dict[str, np.ndarray], reference_va: pd.DataFrame
) -> tuple[dict, dict, dict, dict[str, np.ndarray]]:
    """Frame scores per speaker and the stats rows from extracted and from reference VA (both IPU-processed)."""
    n = len(extracted["A"])
    ref = {s: ipu_track(segments_to_frames(reference_va, s, n)) for s in SPEAKERS}
    scores = {}
    for s in SPEAKERS:
        for k, v in frame_scores(extracted[s], ref[s]).items():
            scores[f"{s}_{k}"] = v
    stats_ext = dialogue_stats(events_from_tracks(extracted), n / VA_RATE)
    stats_ref = dialogue_stats(events_from_tracks(ref), n / VA_RATE)
    return scores, stats_ext, stats_ref, ref


COUNTS = ("tp", "fp", "fn")  # a speaker's frame counts, kept per dialogue so that batches pool into the ALL row


def frame_counts(pred: np.ndarray, ref: np.ndarray) -> dict[str, int]:
    """True-positive, false-positive and false-negative frames of a predicted VA track against a reference."""
    return {"tp": int(np.sum(pred & ref)), "fp": int(np.sum(pred & ~ref)), "fn": int(np.sum(~pred & ref))}


def scores_from_counts(tp: float, fp: float, fn: float) -> dict[str, float]:
    """Precision, recall and F1 from frame counts (frame_scores' definitions)."""
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def accuracy_rows(items: dict[str, tuple[dict[str, np.ndarray], pd.DataFrame]]) -> pd.DataFrame:
    """One row per dialogue (sorted): frame P/R/F1 of A and B, each stat extracted vs reference, and the frame counts
    (`A_tp`, …) that accuracy_total pools; a batch's part of vad_accuracy.csv."""
    rows = []
    for dlg, (extracted, ref_va) in sorted(items.items()):
        scores, st_ext, st_ref, ref = dialogue_accuracy(extracted, ref_va)
        row = {"dialogue": dlg, **scores}
        for k in st_ext:
            row[f"{k}_extracted"] = st_ext[k]
            row[f"{k}_reference"] = st_ref[k]
        for s in SPEAKERS:
            row.update({f"{s}_{k}": v for k, v in frame_counts(extracted[s], ref[s]).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_total(rows: pd.DataFrame) -> pd.DataFrame:
    """vad_accuracy.csv from the rows of every dialogue: the rows without their counts, then an ALL row of frame
    scores over all frames pooled and each stat's mean over dialogues."""
    counts = [f"{s}_{k}" for s in SPEAKERS for k in COUNTS]
    table = rows.drop(columns=counts)
    total = {"dialogue": "ALL"}
    for s in SPEAKERS:
        summed = {k: float(rows[f"{s}_{k}"].sum()) for k in COUNTS}
        total.update({f"{s}_{k}": v for k, v in scores_from_counts(**summed).items()})
    for col in table.columns:
        if col.endswith(("_extracted", "_reference")):
            total[col] = table[col].mean()  # NaN-skipping mean over dialogues
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def accuracy_table(items: dict[str, tuple[dict[str, np.ndarray], pd.DataFrame]]) -> pd.DataFrame:
    """vad_accuracy.csv: per dialogue frame P/R/F1 of A and B and each stat extracted vs reference; an ALL row."""
    return accuracy_total(accuracy_rows(items))
