"""The self-contained HTML report (rule report)."""

import json
from pathlib import Path

from babbler.evaluation.report import render_report
from babbler.util.fileio import atomic_path, read_table
from babbler.util.rule_log import rule_logging

FIGURES = {
    "fto": "Floor-transfer offsets",
    "durations": "Duration distributions",
    "timeline": "One minute of voice activity",
    "spectrogram": "Spectrograms of generated babble",
    "training": "Training curves",
}

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp, params = snakemake.input, snakemake.params
    metrics = json.loads(Path(inp.metrics).read_text())
    figures = {caption: inp[key] for key, caption in FIGURES.items()}
    audio = list(zip(params.audio_labels, inp.audio))
    opts = params.config["report"]
    tables = {Path(p).stem: read_table(p) for p in inp.tables}
    page = render_report(opts["title"], snakemake.wildcards.corpus, metrics, tables["distances"], tables, figures,
                         audio, (params.excerpt_start, opts["excerpt_seconds"]), params.config,
                         dict(zip(params.voices, inp.voice_audio)), params.notes,
                         (list(inp.human_speech), dict(zip(params.voices, inp.babble))))
    with atomic_path(snakemake.output[0]) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("report: %s (%.1f MB)", snakemake.output[0], len(page) / 1e6)
