# Dataset stage: 50 Hz two-speaker token tracks of the human corpus, split by dialogue.


rule dataset:
    input:
        prosody=PLAN.prosody_files(CORPUS),
        manifest=path("manifest", source=CORPUS),
    output:
        frames=path("frames", corpus=CORPUS),
        splits=path("splits", corpus=CORPUS),
    log:
        log_path("dataset", CORPUS),
    conda:
        "../envs/train.yaml"
    params:
        dataset=config["dataset"],
    script:
        "../workflow_scripts/dataset.py"
