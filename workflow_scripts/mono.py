"""Split a stereo dialogue into per-speaker mono tracks (rule mono)."""

from babbler.signal.mono import split_channels
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    out = split_channels(snakemake.input[0], snakemake.output.a, snakemake.output.b,
                         snakemake.params.audio["sample_rate"])
    log.info("split %s: %d Hz -> %d Hz, %d frames", snakemake.input[0], out["source_rate"], out["sample_rate"],
             out["frames"])
