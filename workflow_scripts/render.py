"""Render a batch of a generated set to stereo audio with its voice from the registry (rule
render__{corpus}.{system}__{n})."""

import pandas as pd
import torch

from babbler.sampling.modes.registry import MODES
from babbler.sampling.systems import system_spec
from babbler.util.fileio import write_json, write_wav
from babbler.util.rule_log import rule_logging
from babbler.util.seeds import derived_seed
from babbler.va import TOKEN_RATE
from babbler.voices.registry import VOICES, load_voice_model
from babbler.voices.render import (
    load_real,
    mix_dialogue,
    seat_scales,
    speaker_tracks,
    to_speaker,
    voice_speed,
)

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(snakemake.threads)
    system, voice = snakemake.params.system, VOICES[snakemake.params.voice]
    opts, sr, settings = snakemake.params.sample, snakemake.params.sample_rate, snakemake.params.settings
    model = load_voice_model(voice.name, list(snakemake.input.model))
    tables = [pd.read_parquet(p) for p in snakemake.input.tracks]
    tracks = [speaker_tracks(table, spk) for table in tables for spk in "AB"]
    transposed = {}
    if snakemake.input.get("seats"):  # a voice learned from voice.speakers speaks at each seat's own pitch and level
        seats = seat_scales(dict(zip("AB", snakemake.input.seats)))
        for i, wav in enumerate(snakemake.output.wav):
            dlg = wav.rsplit("/", 1)[1].removesuffix(".wav")
            for c, spk in enumerate("AB"):
                tracks[2 * i + c], transposed[f"{dlg}.{spk}"] = to_speaker(tracks[2 * i + c], seats[spk])
    seed = derived_seed(opts["seed"], system, *snakemake.params.seed_names)
    waves, speed = voice_speed(voice, tracks, sr, seed, model, settings)
    generated_s = 0.0
    rows = []
    for i, (table, wav) in enumerate(zip(tables, snakemake.output.wav)):
        n = int(round(len(table) / TOKEN_RATE * sr))
        keep = MODES[system_spec(system).mode].kept(len(table), snakemake.params.mode)
        real = None
        if keep:
            real = load_real(snakemake.input.real[i], sr)[:n]
        audio = mix_dialogue(waves[2 * i : 2 * i + 2], n, sr, derived_seed(opts["seed"], system, "mix", snakemake.params.first + i), real, keep,
                             **snakemake.params.mix)
        write_wav(wav, audio, sr)
        generated_s += 2 * n / sr
        rows.append({"dialogue": wav.rsplit("/", 1)[1].removesuffix(".wav"), "duration": n / sr, "sample_rate": sr,
                     "split": "test", "voice": voice.name})
    info = {"system": system, "voice": voice.name, **speed, "generated_seconds": generated_s,
            "threads": snakemake.threads, "sample_rate": sr, **({"transposed_semitones": transposed} if transposed else {})}
    write_json(snakemake.output.part, {"info": info, "manifest": rows})
    log.info("%s rendered with %s: %.1f s of audio (both channels) in %.1f s, real-time factor %.3f per channel "
             "batched, %.3f for one channel on one thread", system, voice.name, generated_s, speed["voice_seconds"],
             info["rtf"], info["rtf_1ch"])
