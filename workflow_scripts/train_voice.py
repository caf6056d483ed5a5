"""Train a neural voice on the train split's speaker tracks and the prosody Praat measured on them (rule
train_voice)."""

from pathlib import Path

import torch

from babbler.models.dataset import load_dataset
from babbler.util.rule_log import rule_logging
from babbler.util.threads import usable_threads
from babbler.voices.features import voice_item
from babbler.voices.registry import VOICES
from babbler.voices.training import VoiceTrainConfig, train_voice

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(usable_threads(snakemake.threads))
    voice = VOICES[snakemake.wildcards.voice]
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    cfg = VoiceTrainConfig(**snakemake.params.train)
    torch.manual_seed(cfg.seed)
    model = voice.build(snakemake.params.model)
    audio = {Path(p).name.removesuffix(".wav"): p for p in snakemake.input.audio}
    prosody = {Path(p).name.removesuffix(".parquet"): p for p in snakemake.input.prosody}
    items = {split: [voice_item(audio[f"{d}.{s}"], prosody[f"{d}.{s}"], data.scales[d][i], model.cfg.sample_rate)
                     for d in data.ids(split) for i, s in enumerate("AB")] for split in ("train", "val")}
    summary = train_voice(model, items["train"], items["val"], cfg, snakemake.output.model, snakemake.output.metrics,
                          snakemake.params.checkpoint)
    log.info("%s: %s", voice.name, summary)
