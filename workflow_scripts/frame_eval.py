"""Test bits per frame and shift/hold prediction of one frame model, its threshold chosen on validation (rule
frame_eval)."""

import torch

from babbler.models.dataset import load_dataset
from babbler.models.frame_eval import evaluate_frame_model
from babbler.models.registry import load_model
from babbler.util.fileio import write_json
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(snakemake.threads)
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    test, val = ([data.tokens[d] for d in data.ids(split)] for split in ("test", "val"))
    model = load_model(snakemake.input.model)
    opts = snakemake.params.frame_eval
    result = evaluate_frame_model(model.stream, test, snakemake.wildcards.model, seed=opts["seed"],
                                  max_events=opts["max_events"], val=val)
    write_json(snakemake.output[0], result)
    log.info("%s", result)
