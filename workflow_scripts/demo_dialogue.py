"""Synthesize one demo dialogue (rule demo_dialogue)."""

from babbler.corpora import demo
from babbler.rulelog import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821 (snakemake is injected)
    info = demo.prepare_dialogue(
        snakemake.params.demo, snakemake.params.seed, snakemake.wildcards.dlg,
        snakemake.output.wav, snakemake.output.va, snakemake.output.info,
    )
    log.info("synthesized %s: %.1f s at %d Hz", info["dialogue"], info["duration"], info["sample_rate"])
