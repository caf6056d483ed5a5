"""Train a neural voice (rule train_voice): on the human recordings of `voice.speakers` (each seat's train and
validation sessions) where given, else on the corpus's train split's speaker tracks, with the prosody Praat
measured on them."""

from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from babbler.models.dataset import load_dataset
from babbler.util.rule_log import rule_logging
from babbler.util.threads import usable_threads
from babbler.voices.features import kept_share, voice_item
from babbler.voices.registry import VOICES
from babbler.voices.training import VoiceTrainConfig, train_voice

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(usable_threads(snakemake.threads))
    inp = snakemake.input
    voice = VOICES[snakemake.wildcards.voice]
    cfg = VoiceTrainConfig(**snakemake.params.train)
    torch.manual_seed(cfg.seed)
    model = voice.build(snakemake.params.model)
    audio = {Path(p).name.removesuffix(".wav"): p for p in inp.audio}
    prosody = {Path(p).name.removesuffix(".parquet"): p for p in inp.prosody}
    sr = model.cfg.sample_rate
    if "frames" in inp.keys():  # the corpus's speakers, scaled as the dataset measured them
        data = load_dataset(inp.frames, inp.splits)
        tracks = {split: [(f"{d}.{s}", data.scales[d][i]) for d in data.ids(split)
                          if f"{d}.A" in audio  # at most voice.train_dialogues
                          for i, s in enumerate("AB")] for split in ("train", "val")}
    else:  # human recordings: sessions {seat}-{split}, the speech on channel A, scaled by their own tracks
        tracks = {split: [(k, None) for k in sorted(audio) if f"-{split}." in k] for split in ("train", "val")}
    rng = np.random.default_rng(cfg.seed)
    items = {}
    for split, chosen in tracks.items():  # at most voice.train_minutes of each split held in memory
        keep = kept_share([sf.info(audio[k]).duration for k, _ in chosen], snakemake.params.minutes)
        if keep < 1:
            log.info("%s: a window of %.1f %% of each of its %d speaker tracks (voice.train_minutes = %g)", split,
                     100 * keep, len(chosen), snakemake.params.minutes)
        items[split] = [voice_item(audio[k], prosody[k], scale, sr, keep, rng) for k, scale in chosen]
    summary = train_voice(model, items["train"], items["val"], cfg, snakemake.output.model, snakemake.output.metrics,
                          snakemake.params.checkpoint)
    log.info("%s: %s", voice.name, summary)
