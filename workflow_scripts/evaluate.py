"""Every system's timing against the human test split: metrics.json and CSV tables (rule evaluate)."""

import json
from pathlib import Path

from babbler.evaluation.metrics import evaluate, read_source_events, source_system
from babbler.util.fileio import atomic_path, read_table, write_json
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    human, generated = read_source_events(snakemake.input.events)
    stats_tables = {source_system(p): read_table(p) for p in snakemake.input.stats}
    frame_models = {Path(p).name.removesuffix(".test.json"): json.loads(Path(p).read_text())
                    for p in snakemake.input.frame_models}
    voices = {Path(p).stem.removeprefix("voice_"): json.loads(Path(p).read_text()) for p in snakemake.input.voices}
    opts = snakemake.params.eval
    result = evaluate(human, snakemake.params.test_ids, generated, stats_tables, frame_models, voices,
                      snakemake.params.modes, opts["noise_floor_draws"], opts["seed"], opts["bootstrap"])
    tables = {"systems": result.systems, "distances": result.distances, **result.tables}
    for path in snakemake.output.tables:
        with atomic_path(path) as tmp:
            tables[Path(path).stem].to_csv(tmp, index=False, float_format="%.5g")
    sampling = (json.loads(Path(snakemake.input.sampling[0]).read_text()) if snakemake.input.sampling
                else snakemake.params.sampling)  # the agent's sample settings: chosen on validation (rule tune) or fixed
    write_json(snakemake.output.metrics, {**result.metrics, "sampling": sampling})
    for warning in result.metrics["warnings"]:
        log.warning("evaluation: %s", warning)
    for row in result.metrics["ranking"]:
        log.info("closest to human timing: %s", row)
    for mode in snakemake.params.modes:
        if mode in result.metrics:
            log.info("%s: %s", mode, result.metrics[mode])
