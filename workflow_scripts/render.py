"""Render a generated set to stereo audio with its voice (rule render)."""

import pandas as pd
import torch

from babbler.fileio import write_json, write_wav
from babbler.manifest import write_manifest
from babbler.render import load_real, mix_dialogue, source_filter_voices, wavenet_voices
from babbler.rulelog import rule_logging
from babbler.seeds import derived_seed
from babbler.systems import kept_channels
from babbler.va import TOKEN_RATE
from babbler.voices.wavenet import load_wavenet

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(snakemake.threads)
    system, voice = snakemake.wildcards.system, snakemake.params.voice
    opts, sr = snakemake.params.sample, snakemake.params.sample_rate
    tables = [pd.read_parquet(p) for p in snakemake.input.tracks]
    seed = derived_seed(opts["seed"], system)
    if voice == "wavenet":
        voices, spent = wavenet_voices(tables, sr, seed, load_wavenet(snakemake.input.wavenet),
                                       snakemake.params.temperature)
    else:
        voices, spent = source_filter_voices(tables, sr, seed)
    generated_s = 0.0
    rows = []
    for i, (table, wav) in enumerate(zip(tables, snakemake.output.wav)):
        n = int(round(len(table) / TOKEN_RATE * sr))
        keep = kept_channels(system, len(table), int(round(opts["prompt_seconds"] * TOKEN_RATE)), opts["listen_agent"])
        real = None
        if keep:
            real = load_real(snakemake.input.real[i], sr)[:n]
        audio = mix_dialogue(voices[i], n, sr, derived_seed(opts["seed"], system, "mix", i), real, keep,
                             **snakemake.params.render)
        write_wav(wav, audio, sr)
        generated_s += 2 * n / sr
        rows.append({"dialogue": wav.rsplit("/", 1)[1].removesuffix(".wav"), "duration": n / sr, "sample_rate": sr,
                     "split": "test", "voice": voice})
    write_manifest(snakemake.output.manifest, pd.DataFrame(rows))
    info = {"system": system, "voice": voice, "voice_seconds": spent, "generated_seconds": generated_s,
            "rtf": spent / generated_s, "threads": snakemake.threads, "sample_rate": sr}
    write_json(snakemake.output.info, info)
    log.info("%s rendered with %s: %.1f s of audio (both channels) in %.1f s, real-time factor %.3f", system, voice,
             generated_s, spent, info["rtf"])
