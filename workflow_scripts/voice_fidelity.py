"""VA F1, F0 error and real-time factor of a voice on resynthesised test dialogues (rule voice_fidelity)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from babbler.fileio import read_table, write_json
from babbler.rulelog import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    acc = read_table(snakemake.input.accuracy).set_index("dialogue").loc["ALL"]
    prosody = {Path(p).name.removesuffix(".parquet"): p for p in snakemake.input.prosody}
    errors = []
    for tracks_path in snakemake.input.tracks:
        dlg = Path(tracks_path).stem
        tracks = pd.read_parquet(tracks_path)
        for spk in "AB":
            f0_10ms = pd.read_parquet(prosody[f"{dlg}.{spk}"], columns=["f0"])["f0"].to_numpy()
            asked = tracks[f"f0_{spk}"].to_numpy()
            got = f0_10ms[0::2][: len(asked)]  # 10 ms → 20 ms frames
            both = np.isfinite(asked[: len(got)]) & np.isfinite(got)
            errors.append(np.abs(12 * np.log2(got[both] / asked[: len(got)][both])))
    err = np.concatenate(errors) if errors else np.zeros(0)
    info = json.loads(Path(snakemake.input.info).read_text())
    result = {
        "voice": snakemake.wildcards.voice,
        "system": info["system"],
        "va_precision": float((acc["A_precision"] + acc["B_precision"]) / 2),
        "va_recall": float((acc["A_recall"] + acc["B_recall"]) / 2),
        "va_f1": float((acc["A_f1"] + acc["B_f1"]) / 2),
        "f0_error_median_semitones": float(np.median(err)) if len(err) else float("nan"),
        "f0_gross_error_rate": float(np.mean(err > 1.0)) if len(err) else float("nan"),
        "f0_frames_compared": int(len(err)),
        "rtf": info["rtf"],
        "rtf_threads": info["threads"],
    }
    write_json(snakemake.output[0], result)
    log.info("%s", result)
