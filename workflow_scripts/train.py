"""Fit one frame model (rule train): the registry's fit for the model the wildcard names."""

from functools import partial
from pathlib import Path

from babbler.evaluation.selfplay_timing import timing_scorer
from babbler.models.dataset import load_dataset
from babbler.models.registry import FRAME_MODELS
from babbler.models.spec import FitJob
from babbler.util.rule_log import rule_logging
from babbler.util.threads import usable_threads

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    train = [data.tokens[d] for d in data.ids("train")]
    val = [data.tokens[d] for d in snakemake.params.val]  # all, or train.val_dialogues of them
    model = FRAME_MODELS[snakemake.wildcards.model]
    job = FitJob(
        train=train,
        val=val,
        settings=snakemake.params.model,
        train_settings=snakemake.params.train,
        select=snakemake.params.select,
        model_path=Path(snakemake.output.model),
        metrics_path=Path(snakemake.output.metrics),
        checkpoint=Path(snakemake.params.checkpoint),
        threads=usable_threads(snakemake.threads),
        scorer=partial(timing_scorer, train, val),
    )
    log.info("%s fitted on %d dialogues: %s", model.name, len(train), model.fit(job))
