"""Sample one generated system for every test dialogue (rule sample)."""

import zlib
from pathlib import Path

import numpy as np
import torch

from babbler.dataset import RATE, load_dataset
from babbler.models.io import load_model
from babbler.rulelog import rule_logging
from babbler.sampling import (
    RunLimits,
    continuation_plan,
    generate,
    listen_plan,
    sampler,
    selfplay_plan,
    write_generated,
)

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(snakemake.threads)
    opts = snakemake.params.sample
    system = snakemake.wildcards.system
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    ids = data.ids("test")
    real = [data.tokens[d] for d in ids]
    if system.startswith("resynth"):  # the real tracks; the WaveNet excerpt is kept short
        frames = int(round((snakemake.params.excerpt or 0) * RATE))
        real = [r[:frames] for r in real] if system == "resynth_wavenet" else real
    elif system == "continuation":
        plan = continuation_plan(real, int(round(opts["prompt_seconds"] * RATE)))
    elif system == "listen":
        plan = listen_plan(real, "AB".index(opts["listen_agent"]))
    else:  # selfplay, and the baselines (which always babble from silence)
        plan = selfplay_plan([len(r) for r in real])
    rng = np.random.default_rng([opts["seed"], zlib.crc32(system.encode())])
    if system.startswith("resynth"):
        tokens = real
    else:
        model = load_model(snakemake.input.model[0])
        train = [data.tokens[d] for d in data.ids("train")]
        limits = RunLimits.from_tracks(train) if opts["run_limits"] else None
        log.info("run limits (frames): %s", limits)
        drawn = generate(sampler(model, opts["stop"]), plan, rng, temperature=opts["temperature"], desc=system,
                         limits=limits)
        tokens = [drawn[i, : len(r)] for i, r in enumerate(real)]
    folder = Path(snakemake.output.tracks[0]).parent.parent
    for d, tok in zip(ids, tokens):
        write_generated(folder, d, tok, data.scales[d])
    speech = np.concatenate(tokens) > 0
    log.info("%s: %d dialogues of %s frames, speech share A %.2f B %.2f", system, len(ids),
             [len(r) for r in real], speech[:, 0].mean(), speech[:, 1].mean())
