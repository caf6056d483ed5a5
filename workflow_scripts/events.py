"""Turn-taking events of a batch of dialogues from their speakers' VA, and the batch's rows of the source's timing
statistics and VAD accuracy (rule events__{source}__{n})."""

from pathlib import Path

import pandas as pd

from babbler.timing.events import dialogue_stats, events_from_tracks, read_events, write_events
from babbler.timing.vad_accuracy import accuracy_rows
from babbler.util.fileio import atomic_path, read_prosody_va, read_va
from babbler.util.rule_log import WorkClock, rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp, out, clock = snakemake.input, snakemake.output, WorkClock()
    reference = inp.reference if "reference" in inp.keys() else [None] * len(inp.a)
    stats, accuracy = [], {}
    for a, b, ref, events_csv in zip(inp.a, inp.b, reference, out.events, strict=True):
        dlg = Path(events_csv).name.removesuffix(".events.csv")
        with clock.work():
            tracks, duration = read_prosody_va({"A": a, "B": b})
            events = events_from_tracks(tracks)
            write_events(events_csv, events)  # the statistics are those of the events as written (3 decimals)
            stats.append({"dialogue": dlg, **dialogue_stats(read_events(events_csv), duration)})
            if ref is not None:
                accuracy[dlg] = (tracks, read_va(ref))
        log.info("%s, %.1f s: %s", events_csv, duration, events["type"].value_counts().to_dict())
    with clock.work():
        with atomic_path(out.stats) as tmp:
            pd.DataFrame(stats).to_parquet(tmp, index=False)
        if accuracy:
            with atomic_path(out.accuracy) as tmp:
                accuracy_rows(accuracy).to_parquet(tmp, index=False)
    clock.report(log, len(inp.a))
