"""Prosody and voice activity of a batch of dialogues (rule prosody__{source}__{n})."""

from babbler.signal.extract import extract_dialogue
from babbler.util.rule_log import WorkClock, rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp, out, method, clock = snakemake.input, snakemake.output, snakemake.params.vad["method"], WorkClock()
    reference = inp.reference if "reference" in inp.keys() else [None] * len(out.a)
    for k, ref in enumerate(reference):
        outputs = {"A": out.a[k], "B": out.b[k]}
        with clock.work():
            summary = extract_dialogue({"A": inp.a[k], "B": inp.b[k]}, outputs, method, reference=ref)
        for spk, s in summary.items():
            log.info("%s (%s VAD): speech %.1f%% of frames, voiced %.1f%%, pitch range %.0f-%.0f Hz", outputs[spk],
                     method, 100 * s["speech_share"], 100 * s["voiced_share"], s["pitch_floor"], s["pitch_ceiling"])
    clock.report(log, len(out.a))
