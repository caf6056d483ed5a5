"""Voice fidelity: how well a voice's sound carries the tracks that drove it (design: Metrics, voice fidelity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from babbler.va import VA_PER_TOKEN


def f0_errors_semitones(asked: np.ndarray, f0_va_rate: np.ndarray) -> np.ndarray:
    """|12·log2(measured / asked)| on the token frames where both the asked F0 and the measured one exist."""
    got = np.asarray(f0_va_rate, dtype=float)[0::VA_PER_TOKEN][: len(asked)]  # VA frames → token frames
    asked = np.asarray(asked, dtype=float)[: len(got)]
    both = np.isfinite(asked) & np.isfinite(got)
    return np.abs(12 * np.log2(got[both] / asked[both]))


def voice_fidelity(voice: str, accuracy: pd.DataFrame, tracks: dict[str, str | Path], prosody: dict[str, str | Path],
                   render_info: dict) -> dict:
    """VA precision/recall/F1 (both speakers' mean, from vad_accuracy.csv's ALL row), F0 error and real-time factor
    of a voice; `tracks` maps dialogue → generated tracks, `prosody` maps `{dialogue}.{speaker}` → its parquet."""
    acc = accuracy.set_index("dialogue").loc["ALL"]
    errors = [f0_errors_semitones(pd.read_parquet(path)[f"f0_{spk}"].to_numpy(),
                                  pd.read_parquet(prosody[f"{dlg}.{spk}"], columns=["f0"])["f0"].to_numpy())
              for dlg, path in tracks.items() for spk in "AB"]
    err = np.concatenate(errors) if errors else np.zeros(0)
    return {
        "voice": voice,
        "system": render_info["system"],
        **{f"va_{m}": float((acc[f"A_{m}"] + acc[f"B_{m}"]) / 2) for m in ("precision", "recall", "f1")},
        "f0_error_median_semitones": float(np.median(err)) if len(err) else float("nan"),
        "f0_gross_error_rate": float(np.mean(err > 1.0)) if len(err) else float("nan"),
        "f0_frames_compared": int(len(err)),
        "rtf": render_info["rtf"],
        "rtf_threads": render_info["threads"],
    }
