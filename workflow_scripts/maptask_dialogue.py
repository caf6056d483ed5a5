"""Check the giver channel, build word-timed VA and write one Map Task dialogue (rule maptask_dialogue)."""

from babbler.corpora import maptask
from babbler.rulelog import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    info = maptask.prepare_dialogue(
        snakemake.input.wav, snakemake.input.annotations, snakemake.wildcards.dlg,
        snakemake.output.wav, snakemake.output.va, snakemake.output.info,
    )
    log.info("%s: giver on channel %d (margin %.3f)", info["dialogue"], info["giver_channel"], info["channel_margin"])
