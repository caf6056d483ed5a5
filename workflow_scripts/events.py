"""Turn-taking events of one dialogue from its speakers' VA (rule events)."""

from babbler.timing.events import events_from_tracks, write_events
from babbler.util.fileio import read_prosody_va
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    tracks, duration = read_prosody_va({"A": snakemake.input.a, "B": snakemake.input.b})
    events = events_from_tracks(tracks)
    write_events(snakemake.output[0], events)
    log.info("%.1f s: %s", duration, events["type"].value_counts().to_dict())
