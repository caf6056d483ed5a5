"""A generated set's manifest and render record from its batches' records (rule render_summary__{corpus}.{system})."""

import json
from pathlib import Path

import pandas as pd

from babbler.corpora.manifest import write_manifest
from babbler.util.fileio import write_json
from babbler.util.rule_log import rule_logging
from babbler.voices.render import merge_render_info

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    parts = [json.loads(Path(p).read_text()) for p in snakemake.input]
    write_manifest(snakemake.output.manifest, pd.DataFrame([row for part in parts for row in part["manifest"]]))
    info = merge_render_info([part["info"] for part in parts])
    write_json(snakemake.output.info, info)
    log.info("%s: %d batches, %.1f s of audio, real-time factor %.3f", info["system"], len(parts),
             info["generated_seconds"], info["rtf"])
