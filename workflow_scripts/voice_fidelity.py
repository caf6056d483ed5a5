"""VA F1, F0 error, mel-cepstral distance and real-time factors of a voice on resynthesised test dialogues, and its
speech likeness where it learned from human recordings (rule voice_fidelity)."""

import json
from pathlib import Path

from babbler.evaluation.voice_fidelity import voice_fidelity
from babbler.util.fileio import read_table, write_json
from babbler.util.rule_log import rule_logging


def by_track(paths, suffix):
    """`{dialogue}.{speaker}` → path."""
    return {Path(p).name.removesuffix(suffix): p for p in paths}


with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp = snakemake.input
    result = voice_fidelity(
        snakemake.wildcards.voice, read_table(inp.accuracy), {Path(p).stem: p for p in inp.tracks},
        by_track(inp.prosody, ".parquet"), json.loads(Path(inp.info).read_text()), by_track(inp.audio, ".wav"),
        by_track(inp.real, ".wav"),
    )
    if "speech" in inp.keys():  # voices learned from voice.speakers: measured on their held-out speech too
        speech = json.loads(Path(inp.speech).read_text())
        result |= {k: speech[k] for k in ("speech_distance_ratio", "modulation_distance_ratio")}
        result["human_speech"] = speech
    write_json(snakemake.output[0], result)
    log.info("%s", result)
