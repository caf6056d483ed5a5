"""The corpus manifest: one row per dialogue with duration, rate, split and per-corpus flags."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from babbler.corpora.splits import assign_splits
from babbler.errors import InputError
from babbler.util.fileio import atomic_path, read_table

FIRST_COLUMNS = ["dialogue", "duration", "sample_rate", "split"]


def build_manifest(info_files: list[str | Path], seed: int, val: float, test: float) -> pd.DataFrame:
    """Join the per-dialogue info records and add the seeded split."""
    records = []
    for f in info_files:
        try:
            records.append(json.loads(Path(f).read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f, f"unreadable dialogue info ({exc})") from exc
    df = pd.DataFrame.from_records(records).sort_values("dialogue").reset_index(drop=True)
    df["split"] = df["dialogue"].map(assign_splits(df["dialogue"].tolist(), seed, val, test))
    for col in df.columns:
        if df[col].map(lambda v: isinstance(v, list)).any():
            df[col] = df[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
    return df[FIRST_COLUMNS + [c for c in df.columns if c not in FIRST_COLUMNS]]


def write_manifest(dest: str | Path, manifest: pd.DataFrame) -> None:
    """Write the manifest CSV atomically."""
    with atomic_path(dest) as tmp:
        manifest.to_csv(tmp, index=False)


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Read a manifest and check it has the contract's columns."""
    df = read_table(path)
    missing = [c for c in FIRST_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(path, f"manifest lacks column(s) {', '.join(missing)}")
    return df
