"""How speech-like a voice's babble is against the held-out human speech of `voice.speakers`, with its VA F1, F0
error and speed there, and the babble itself (rule speech_likeness)."""

import numpy as np
import torch

from babbler.evaluation.speech_likeness import HeldOut, measure_voice
from babbler.util.fileio import write_json, write_wav
from babbler.util.rule_log import rule_logging
from babbler.util.seeds import derived_seed
from babbler.voices.registry import VOICES, load_voice_model

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    torch.set_num_threads(snakemake.threads)
    inp, opts = snakemake.input, snakemake.params.speakers
    voice = VOICES[snakemake.wildcards.voice]
    model = load_voice_model(voice.name, list(inp.model))
    seats = {seat: HeldOut(audio, prosody, clips)
             for seat, audio, prosody, clips in zip("AB", inp.audio, inp.prosody, inp.clips)}
    sr = opts["sample_rate"]
    result, babble = measure_voice(voice, model, snakemake.params.settings, seats, sr, opts["eval_seconds"],
                                   derived_seed(opts["seed"], "speech", voice.name), snakemake.params.vad_method)
    write_json(snakemake.output.json, result)
    gap = np.zeros(sr // 2, dtype=np.float32)
    audio = np.concatenate([babble["A"][: 8 * sr], gap, babble["B"][: 8 * sr]])
    write_wav(snakemake.output.wav, 0.99 * audio / max(1e-9, float(np.abs(audio).max())), sr)
    log.info("%s on held-out human speech: %s", voice.name, result)
