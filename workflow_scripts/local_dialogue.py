"""Validate and import one recording of a local corpus (rule local_dialogue)."""

from babbler.corpora import local
from babbler.rulelog import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    info = local.prepare_dialogue(
        snakemake.input.audio, snakemake.input.get("va"), snakemake.wildcards.dlg,
        snakemake.output.wav, snakemake.output.get("va"), snakemake.output.info,
    )
    log.info("imported %s: %.1f s at %d Hz", info["dialogue"], info["duration"], info["sample_rate"])
