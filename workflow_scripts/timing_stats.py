"""Per-dialogue timing statistics of a source (rule timing_stats)."""

from pathlib import Path

import pandas as pd

from babbler.timing.events import implausible_reasons, read_events, source_stats
from babbler.util.fileio import atomic_path
from babbler.util.rule_log import rule_logging
from babbler.va import VA_RATE

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    items = {}
    for ev_path, pq_path in zip(snakemake.input.events, snakemake.input.prosody):
        dlg = Path(ev_path).name.removesuffix(".events.csv")
        n = len(pd.read_parquet(pq_path, columns=["time"]))
        items[dlg] = (read_events(ev_path), n / VA_RATE)
    stats = source_stats(items)
    with atomic_path(snakemake.output[0]) as tmp:
        stats.to_csv(tmp, index=False, float_format="%.4f")
    for row in stats.to_dict(orient="records"):
        for reason in implausible_reasons(row):
            log.warning("%s: implausible for two-party conversation, the extraction may have failed: %s",
                        row["dialogue"], reason)
    log.info("stats of %d dialogues; means:\n%s", len(stats), stats.drop(columns="dialogue").mean().to_string())
