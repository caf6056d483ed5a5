"""Frame accuracy of the chosen VAD against the source's reference VA, joined from its batches' rows (rule
vad_accuracy)."""

import pandas as pd

from babbler.timing.vad_accuracy import accuracy_total
from babbler.util.fileio import atomic_path
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    table = accuracy_total(pd.concat([pd.read_parquet(p) for p in snakemake.input], ignore_index=True))
    with atomic_path(snakemake.output[0]) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    total = table.iloc[-1]
    log.info("%s VAD vs reference: F1 A %.3f, B %.3f (P %.3f/%.3f, R %.3f/%.3f)", snakemake.params.vad["method"],
             total["A_f1"], total["B_f1"], total["A_precision"], total["B_precision"], total["A_recall"],
             total["B_recall"])
