# Timing stage: IPUs, pauses, gaps, overlaps, backchannels per dialogue (design: Timing definitions),
# per-source statistics, and the VAD's accuracy against reference VA where a source has it.


rule events:
    input:
        a=f"{RESULTS}/prosody/{{source}}/{{dlg}}.A.parquet",
        b=f"{RESULTS}/prosody/{{source}}/{{dlg}}.B.parquet",
    output:
        f"{RESULTS}/timing/{{source}}/{{dlg}}.events.csv",
    log:
        f"{RESULTS}/logs/timing/{{source}}/{{dlg}}.log",
    conda:
        "../envs/timing.yaml"
    script:
        "../workflow_scripts/events.py"


rule timing_stats:
    input:
        events=lambda wc: expand(f"{RESULTS}/timing/{wc.source}/{{dlg}}.events.csv", dlg=source_dialogues(wc.source)),
        prosody=lambda wc: prosody_files(wc.source, "A"),
    output:
        f"{RESULTS}/timing/{{source}}/stats.csv",
    log:
        f"{RESULTS}/logs/timing/{{source}}/stats.log",
    conda:
        "../envs/timing.yaml"
    script:
        "../workflow_scripts/timing_stats.py"


rule vad_accuracy:
    input:
        prosody=lambda wc: prosody_files(wc.source),
        reference=lambda wc: expand(f"{RESULTS}/corpus/{wc.source}/va/{{dlg}}.csv", dlg=source_dialogues(wc.source)),
    output:
        f"{RESULTS}/timing/{{source}}/vad_accuracy.csv",
    log:
        f"{RESULTS}/logs/timing/{{source}}/vad_accuracy.log",
    conda:
        "../envs/timing.yaml"
    params:
        vad=config["vad"],
    script:
        "../workflow_scripts/vad_accuracy.py"
