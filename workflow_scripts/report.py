"""The self-contained HTML report (rule report)."""

import json
from pathlib import Path

import pandas as pd

from babbler.fileio import atomic_path
from babbler.report import render_report
from babbler.rulelog import rule_logging

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
    continuation = pd.read_csv(inp.continuation) if Path(inp.continuation).stat().st_size > 1 else pd.DataFrame()
    figures = {caption: inp[key] for key, caption in FIGURES.items()}
    audio = list(zip(params.audio_labels, inp.audio))
    page = render_report(params.report["title"], snakemake.wildcards.corpus, metrics, pd.read_csv(inp.distances), continuation,
                         figures, audio, (params.excerpt_start, params.report["excerpt_seconds"]), params.config)
    with atomic_path(snakemake.output[0]) as tmp:
        tmp.write_text(page, encoding="utf-8")
    log.info("report: %s (%.1f MB)", snakemake.output[0], len(page) / 1e6)
