# Dataset stage: 50 Hz two-speaker token tracks of the human corpus, split by dialogue.


rule dataset:
    input:
        prosody=prosody_files(CORPUS),
        manifest=manifest_path(),
    output:
        frames=f"{RESULTS}/dataset/{CORPUS}/frames.npz",
        splits=f"{RESULTS}/dataset/{CORPUS}/splits.csv",
    log:
        f"{RESULTS}/logs/dataset/{CORPUS}.log",
    conda:
        "../envs/train.yaml"
    params:
        dataset=config["dataset"],
    script:
        "../workflow_scripts/dataset.py"
