# babbler: a babbling agent that captures human dialogue timing.
# Stages: corpus -> mono -> prosody -> timing -> dataset -> train -> sample -> render -> evaluate -> report.
# Generated sets go through mono -> prosody -> timing like human audio.


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/corpus.smk"
include: "rules/mono.smk"
include: "rules/prosody.smk"
include: "rules/timing.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/sample.smk"
include: "rules/render.smk"
include: "rules/evaluate.smk"


# Before the first job: librosa's numba kernels compiled once, not by every parallel job of the first wave.
onstart:
    warm_up()


# After the last job: the scheduler's pending re-plan timers cancelled, so the run ends with its work
# (babbler/util/shutdown.py), not up to one max-jobs-per-timespan period (10 s) later.
onsuccess:
    stop_timers()


onerror:
    stop_timers()


# Quick bookkeeping and the downloads (compute nodes are often offline) run where snakemake runs,
# never as cluster jobs.
localrules:
    all,
    manifest,
    download,
    timing_stats,
    vad_accuracy,
    voice_fidelity,
    plots,
    report,


# Every dialogue's mono tracks and prosody are made on the way to the timing statistics.
rule all:
    default_target: True
    input:
        path("manifest", source=CORPUS),
        PLAN.timing_outputs(CORPUS),
        PLAN.frame_model_outputs(),
        PLAN.generated_outputs(),
        PLAN.report_outputs(),
