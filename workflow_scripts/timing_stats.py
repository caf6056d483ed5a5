"""Per-dialogue timing statistics of a source, joined from its batches' rows (rule timing_stats)."""

import pandas as pd

from babbler.timing.events import implausible_reasons
from babbler.util.fileio import atomic_path
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    stats = pd.concat([pd.read_parquet(p) for p in snakemake.input], ignore_index=True)
    with atomic_path(snakemake.output[0]) as tmp:
        stats.to_csv(tmp, index=False, float_format="%.4f")
    for row in stats.to_dict(orient="records"):
        for reason in implausible_reasons(row):
            log.warning("%s: implausible for two-party conversation, the extraction may have failed: %s",
                        row["dialogue"], reason)
    log.info("stats of %d dialogues; means:\n%s", len(stats), stats.drop(columns="dialogue").mean().to_string())
