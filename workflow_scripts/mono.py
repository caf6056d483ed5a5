"""Split a batch of stereo dialogues into per-speaker mono tracks (rule mono__{source}__{n})."""

from babbler.signal.mono import split_channels
from babbler.util.rule_log import WorkClock, rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    out, clock = snakemake.output, WorkClock()
    for wav, a, b in zip(snakemake.input, out.a, out.b, strict=True):
        with clock.work():
            done = split_channels(wav, a, b, snakemake.params.audio["sample_rate"])
        log.info("split %s: %d Hz -> %d Hz, %d frames", wav, done["source_rate"], done["sample_rate"], done["frames"])
    clock.report(log, len(out.a))
