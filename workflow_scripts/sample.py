"""Sample one generated system for a batch of test dialogues (rule sample__{corpus}.{system}__{n})."""

import json
from pathlib import Path

import numpy as np
import torch

from babbler.models.dataset import load_dataset
from babbler.models.registry import load_model
from babbler.sampling.generate import RunLimits, generate, write_generated
from babbler.sampling.modes.registry import MODES
from babbler.sampling.odds import CONTEXTS, agent_odds, agent_stream
from babbler.sampling.systems import system_spec
from babbler.sampling.tunables import calibration_odds, system_settings
from babbler.util.rule_log import rule_logging
from babbler.util.seeds import derived_seed
from babbler.va import TOKEN_RATE

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(snakemake.threads)
    opts = snakemake.params.sample
    system = snakemake.params.system
    data = load_dataset(snakemake.input.frames, snakemake.input.splits)
    ids = snakemake.params.dialogues
    real = [data.tokens[d] for d in ids]
    spec = system_spec(system)
    if spec.excerpt:  # a voice check: a short excerpt of each dialogue
        real = [r[: int(round((snakemake.params.excerpt or 0) * TOKEN_RATE))] for r in real]
    mode, settings = MODES[spec.mode], snakemake.params.mode
    plan = mode.plan(real, settings)
    rng = np.random.default_rng(derived_seed(opts["seed"], system, *snakemake.params.seed_names))
    if plan is None:  # resynthesis: the real tracks themselves
        tokens = real
    else:
        model = load_model(snakemake.input.model[0])
        tuned = [json.loads(Path(p).read_text()) for p in snakemake.input.sampling]  # rule tune's record
        record = tuned[0] if tuned else None
        chosen = system_settings(snakemake.params.tunables, record["chosen"] if record else None)
        weight, adapt, prompt = chosen["markov_weight"], chosen["prompt_adapt"], mode.given_frames(settings)
        markov = load_model(snakemake.input.model[1]) if weight > 0 else None
        if weight > 0:  # sample.markov_weight: interpolated with the count model
            log.info("frames drawn from %.2f × transformer + %.2f × markov", 1 - weight, weight)
            if adapt:
                log.info("the markov chain adapts to the prompt's %d frames, the fitted chain a prior of %g frames",
                         prompt, adapt)
        calibration = calibration_odds(record, weight, chosen["calibration"])
        if calibration is not None:  # sample.calibration: the odds fitted on validation, to this power
            log.info("odds recalibrated on validation (calibration %g): %s", chosen["calibration"],
                     ", ".join(f"{c} {o:.3f}" for c, o in zip(CONTEXTS, calibration)))
        train = [data.tokens[d] for d in data.ids("train")]
        limits = RunLimits.from_tracks(train) if opts["run_limits"] else None
        log.info("run limits (frames): %s", limits)
        log.info("temperature %g", chosen["temperature"])
        odds = chosen["listen_overlap_odds"], chosen["listen_gap_odds"]
        listener = None
        if odds != (1.0, 1.0):  # a listener's start odds (sample.listen_*_odds)
            listener = ("AB".index(settings["listen_agent"]), *odds)
            log.info("the listener's start odds scaled by %g in the partner's talk, %g after its silence", *odds)
        factory = agent_stream(model, markov, opts["stop"], weight, adapt, prompt, agent_odds(calibration, listener))
        drawn = generate(factory, plan, rng, temperature=chosen["temperature"], desc=system, limits=limits)
        tokens = [drawn[i, : len(r)] for i, r in enumerate(real)]
    folder = Path(snakemake.output.tracks[0]).parent.parent
    for d, tok in zip(ids, tokens):
        write_generated(folder, d, tok, data.scales[d])
    speech = np.concatenate(tokens) > 0
    log.info("%s: %d dialogues of %s frames, speech share A %.2f B %.2f", system, len(ids),
             [len(r) for r in real], speech[:, 0].mean(), speech[:, 1].mean())
