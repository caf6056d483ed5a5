"""The report's figures from the evaluated systems (rule plots)."""

import json
from pathlib import Path

from babbler.evaluation.metrics import read_source_events, source_system
from babbler.evaluation.plots import (
    durations_plot,
    fto_plot,
    read_clip,
    spectrogram_plot,
    split_curves,
    timeline_plot,
    timeline_window,
    training_plot,
)
from babbler.util.fileio import read_prosody_va, read_table
from babbler.util.rule_log import rule_logging

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
    start, seconds = timeline_window(duration, params.prompt_seconds)
    timeline_plot(va, start, seconds, out.timeline)

    clips = {label: read_clip(path, 0.0, params.spectrogram_seconds)  # the voices' excerpt: the first seconds
             for path, label in zip(inp.spectrogram, params.spectrogram_labels)}
    spectrogram_plot(clips, out.spectrogram)

    training_plot(*split_curves({Path(p).name.removesuffix(".metrics.csv"): read_table(p) for p in inp.curves}),
                  out.training)
    log.info("figures: %s", ", ".join(out))
