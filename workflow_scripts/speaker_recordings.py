"""A seat's human recordings (`voice.speakers.{seat}`, a folder or zip) split by file and laid out as its train,
val and test sessions of the `speakers` source (rule speaker_recordings)."""

from babbler.corpora.speakers import write_sessions
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    out = snakemake.output
    table = write_sessions(snakemake.wildcards.seat, snakemake.input[0], {"train": out.train, "val": out.val,
                           "test": out.test}, out.clips, snakemake.params.settings)
    for split, group in table.groupby("split", sort=False):
        log.info("seat %s, %s: %d recordings, %.1f s of speech", snakemake.wildcards.seat, split, len(group),
                 (group["end"] - group["start"]).sum())
