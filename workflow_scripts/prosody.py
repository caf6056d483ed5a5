"""Prosody and voice activity of one dialogue (rule prosody)."""

from babbler.signal.extract import extract_dialogue
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    method = snakemake.params.vad["method"]
    summary = extract_dialogue(
        {"A": snakemake.input.a, "B": snakemake.input.b},
        {"A": snakemake.output.a, "B": snakemake.output.b},
        method,
        reference=snakemake.input.get("reference"),
    )
    for spk, s in summary.items():
        log.info("speaker %s (%s VAD): speech %.1f%% of frames, voiced %.1f%%, pitch range %.0f-%.0f Hz", spk,
                 method, 100 * s["speech_share"], 100 * s["voiced_share"], s["pitch_floor"], s["pitch_ceiling"])
