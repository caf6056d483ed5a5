"""The report's figures from the evaluated systems (rule plots)."""

import json
from pathlib import Path

import soundfile as sf

from babbler.evaluate import read_source_events, source_system
from babbler.fileio import read_prosody_va, read_table
from babbler.plots import durations_plot, fto_plot, spectrogram_plot, timeline_plot, training_plot
from babbler.rulelog import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp, out, params = snakemake.input, snakemake.output, snakemake.params
    human, systems = read_source_events(inp.events)
    real = {d: human[d] for d in params.test_ids}
    systems = {s: systems[s] for s in params.systems if s in systems}
    distance = json.loads(Path(inp.metrics).read_text())["distance"]
    fto_ratio = {s: d["fto_w1_ratio"] for s, d in distance.items() if d.get("fto_w1_ratio") is not None}
    fto_plot(real, systems, out.fto, fto_ratio)
    durations_plot(real, systems, out.durations)

    va = {}
    for a_path in (p for p in inp.timeline if p.endswith(".A.parquet")):
        va[source_system(a_path)], duration = read_prosody_va({"A": a_path, "B": a_path.replace(".A.parquet", ".B.parquet")})
    va = {name: va[name] for name in ["real", *params.systems] if name in va}
    seconds = min(60.0, duration)
    start = max(0.0, min(params.prompt_seconds - 5.0, duration - seconds))
    timeline_plot(va, start, seconds, out.timeline)

    clips = {}
    for path, label in zip(inp.spectrogram, params.spectrogram_labels):
        info = sf.info(path)
        y, sr = sf.read(path, frames=int(min(params.spectrogram_seconds * info.samplerate, info.frames)),
                        start=int(min(start * info.samplerate, max(0, info.frames - params.spectrogram_seconds * info.samplerate))))
        clips[label] = (y, sr)
    spectrogram_plot(clips, out.spectrogram)

    curves = {Path(p).name.removesuffix(".metrics.csv"): read_table(p) for p in inp.curves}
    baselines = {name: float(m["val_bits_per_frame"].iloc[0]) for name, m in curves.items() if "step" not in m}
    training_plot({n: m for n, m in curves.items() if "step" in m}, baselines, out.training)
    log.info("figures: %s", ", ".join(out))
