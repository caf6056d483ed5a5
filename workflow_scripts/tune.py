"""Choose the agent's sample settings left auto on the validation split (rule tune)."""

import torch

from babbler.evaluation.metrics import finite_or_none
from babbler.evaluation.tuning import choose_settings
from babbler.models.dataset import load_dataset
from babbler.models.registry import load_model
from babbler.sampling.tunables import TuneSettings
from babbler.util.fileio import write_json
from babbler.util.rule_log import rule_logging
from babbler.util.threads import usable_threads

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(usable_threads(snakemake.threads))
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    train = [data.tokens[d] for d in data.ids("train")]
    val = [data.tokens[d] for d in snakemake.params.val]  # all, or train.val_dialogues of them
    settings = TuneSettings(**{**snakemake.params.tune, "candidates": {k: tuple(v) for k, v in
                                                                       snakemake.params.tune["candidates"].items()}})
    model, markov = (load_model(p) for p in snakemake.input.model)
    record = choose_settings(model, markov, train, val, settings)
    write_json(snakemake.output[0], finite_or_none(record))
    log.info("chosen: %s", record["chosen"])
