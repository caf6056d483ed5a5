# Timing stage: IPUs, pauses, gaps, overlaps, backchannels per dialogue (design: Timing definitions),
# a batch of dialogues per job, per-source statistics, and the VAD's accuracy against reference VA where a source has it.
# Input functions: babbler/workflow/timing.py.


for batch in PLAN.sources_batches(PLAN.timing_sources):

    rule:
        name:
            batch.rule("events")
        input:
            **PLAN.events_inputs(batch),
        output:
            **PLAN.events_outputs(batch),
        log:
            log_path("timing", batch.job),
        group:
            batch.group
        conda:
            "../envs/timing.yaml"
        resources:
            runtime=batch_minutes(batch, 1),
        script:
            "../workflow_scripts/events.py"


# A source's statistics and VAD accuracy join its batches' rows (a few files, not one per dialogue).
rule timing_stats:
    input:
        lambda wc: PLAN.parts("stats_part", wc.source),
    output:
        path("stats"),
    log:
        log_path("timing", "{source}/stats"),
    conda:
        "../envs/timing.yaml"
    script:
        "../workflow_scripts/timing_stats.py"


rule vad_accuracy:
    input:
        lambda wc: PLAN.parts("vad_accuracy_part", wc.source),
    output:
        path("vad_accuracy"),
    log:
        log_path("timing", "{source}/vad_accuracy"),
    conda:
        "../envs/timing.yaml"
    params:
        vad=config["vad"],
    script:
        "../workflow_scripts/vad_accuracy.py"
