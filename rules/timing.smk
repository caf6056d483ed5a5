# Timing stage: IPUs, pauses, gaps, overlaps, backchannels per dialogue (design: Timing definitions),
# a batch of dialogues per job, per-source statistics, and the VAD's accuracy against reference VA where a source has it.
# Input functions: babbler/workflow/timing.py.


for batch in (b for source in PLAN.timing_sources for b in PLAN.batches(source)):

    rule:
        name:
            batch.rule("events")
        input:
            a=batch.files("prosody", spk="A"),
            b=batch.files("prosody", spk="B"),
        output:
            batch.files("events"),
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


rule timing_stats:
    input:
        events=PLAN.source_events,
        prosody=lambda wc: PLAN.prosody_files(wc.source, ("A",)),
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
        prosody=lambda wc: PLAN.prosody_files(wc.source),
        reference=PLAN.source_reference,
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
