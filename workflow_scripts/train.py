"""Train one frame model: the Transformer (resumable) or a baseline (rule train)."""

import pandas as pd
import torch

from babbler.cpu import usable_threads
from babbler.dataset import load_dataset
from babbler.fileio import atomic_path
from babbler.frame_eval import teacher_forced
from babbler.models.baselines import IndependentModel, MarkovModel
from babbler.models.io import save_baseline
from babbler.models.transformer import TransformerConfig
from babbler.rulelog import rule_logging
from babbler.train import TrainConfig, train_transformer

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    train = [data.tokens[d] for d in data.ids("train")]
    val = [data.tokens[d] for d in data.ids("val")]
    name = snakemake.wildcards.model
    if name == "transformer":
        cfg = TrainConfig(**snakemake.params.train)
        if cfg.threads == 0:
            torch.set_num_threads(usable_threads(snakemake.threads))
        timing = cfg.timing_selection(**snakemake.params.select) if cfg.select == "timing" else None
        summary = train_transformer(
            train, val, TransformerConfig(**snakemake.params.model), cfg, snakemake.output.model,
            snakemake.output.metrics, snakemake.params.checkpoint, timing=timing,
        )
        log.info("transformer: %s", summary)
    else:
        if name == "markov":
            model = MarkovModel.fit(train, order=snakemake.params.model["order"])
        else:
            model = IndependentModel.fit(train, max_len=snakemake.params.model["max_run"])
        row = {"model": name}
        for split, seqs in (("train", train), ("val", val)):
            if seqs:
                va_bits, _tok, mask = teacher_forced(model.stream, seqs, desc=split)
                row[f"{split}_bits_per_frame"] = float(va_bits[mask].mean())
        save_baseline(snakemake.output.model, model)
        with atomic_path(snakemake.output.metrics) as tmp:
            pd.DataFrame([row]).to_csv(tmp, index=False)
        log.info("%s fitted on %d dialogues: %s", name, len(train), row)
