"""How well extracted VA matches a source's reference VA: frame scores and stats computed both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babbler.timing.events import dialogue_stats, events_from_tracks
from babbler.va import SPEAKERS, VA_RATE, ipu_track, segments_to_frames


def frame_scores(pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Frame precision, recall and F1 of a predicted VA track against a reference."""
    tp = float(np.sum(pred & ref))
    fp = float(np.sum(pred & ~ref))
    fn = float(np.sum(~pred & ref))
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


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


def accuracy_table(items: dict[str, tuple[dict[str, np.ndarray], pd.DataFrame]]) -> pd.DataFrame:
    """vad_accuracy.csv: per dialogue frame P/R/F1 of A and B and each stat extracted vs reference; an ALL row."""
    rows = []
    pooled = {s: ([], []) for s in SPEAKERS}
    for dlg, (extracted, ref_va) in sorted(items.items()):
        scores, st_ext, st_ref, ref = dialogue_accuracy(extracted, ref_va)
        row = {"dialogue": dlg, **scores}
        for k in st_ext:
            row[f"{k}_extracted"] = st_ext[k]
            row[f"{k}_reference"] = st_ref[k]
        rows.append(row)
        for s in SPEAKERS:
            pooled[s][0].append(extracted[s])
            pooled[s][1].append(ref[s])
    table = pd.DataFrame(rows)
    total = {"dialogue": "ALL"}
    for s in SPEAKERS:
        for k, v in frame_scores(np.concatenate(pooled[s][0]), np.concatenate(pooled[s][1])).items():
            total[f"{s}_{k}"] = v
    for col in table.columns:
        if col.endswith(("_extracted", "_reference")):
            total[col] = table[col].mean()  # NaN-skipping mean over dialogues
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)
