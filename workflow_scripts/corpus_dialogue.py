"""Prepare one dialogue of the configured corpus in the corpus layout (rule corpus_dialogue)."""

from babbler.corpora.registry import CORPORA
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    out = snakemake.output
    info = CORPORA[snakemake.params.corpus].prepare(
        snakemake.params.settings, snakemake.wildcards.dlg, dict(snakemake.input.items()), out.wav, out.get("va"),
        out.info,
    )
    log.info("%s: %.1f s at %d Hz: %s", info["dialogue"], info["duration"], info["sample_rate"], info)
