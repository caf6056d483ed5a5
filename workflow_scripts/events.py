"""Turn-taking events of a batch of dialogues from their speakers' VA (rule events__{source}__{n})."""

from babbler.timing.events import events_from_tracks, write_events
from babbler.util.fileio import read_prosody_va
from babbler.util.rule_log import WorkClock, rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp, clock = snakemake.input, WorkClock()
    for a, b, events_csv in zip(inp.a, inp.b, snakemake.output, strict=True):
        with clock.work():
            tracks, duration = read_prosody_va({"A": a, "B": b})
            events = events_from_tracks(tracks)
            write_events(events_csv, events)
        log.info("%s, %.1f s: %s", events_csv, duration, events["type"].value_counts().to_dict())
    clock.report(log, len(inp.a))
