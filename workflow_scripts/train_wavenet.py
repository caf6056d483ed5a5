"""Train the WaveNet voice on the train split's speaker tracks (rule train_wavenet)."""

from pathlib import Path

import torch

from babbler.cpu import usable_threads
from babbler.dataset import load_dataset
from babbler.rulelog import rule_logging
from babbler.voices.wavenet import WaveNetConfig
from babbler.voices.wavenet_train import WaveNetTrainConfig, train_wavenet, voice_item

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(usable_threads(snakemake.threads))
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    model_cfg = WaveNetConfig(**snakemake.params.model)
    audio = {Path(p).name.removesuffix(".wav"): p for p in snakemake.input.audio}
    items = {split: [voice_item(audio[f"{d}.{s}"], data.tokens[d][:, i], data.scales[d][i], model_cfg.sample_rate)
                     for d in data.ids(split) for i, s in enumerate("AB")] for split in ("train", "val")}
    summary = train_wavenet(items["train"], items["val"], model_cfg, WaveNetTrainConfig(**snakemake.params.train),
                            snakemake.output.model, snakemake.output.metrics, snakemake.params.checkpoint)
    log.info("wavenet: %s", summary)
