# Train stage: the neural frame model (resumable) and the two baselines, then their test scores.


rule train:
    input:
        frames=rules.dataset.output.frames,
        splits=rules.dataset.output.splits,
    output:
        model=f"{RESULTS}/models/{{corpus}}/{{model}}.pt",
        metrics=f"{RESULTS}/models/{{corpus}}/{{model}}.metrics.csv",
    log:
        f"{RESULTS}/logs/train/{{corpus}}/{{model}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{corpus}}/{{model}}.tsv"
    conda:
        "../envs/train.yaml"
    threads: lambda wc: training_threads() if wc.model == "transformer" else 1
    resources:
        gpu=lambda wc: 1 if wc.model == "transformer" and config["train"]["device"] == "cuda" else 0,
        mem_mb=8000,
        runtime=lambda wc: 240 if wc.model == "transformer" else 30,
    params:
        model=model_params,
        train=train_params,
        select=select_params,
        checkpoint=lambda wc: f"{RESULTS}/models/{wc.corpus}/{wc.model}.ckpt",
        file_format=MODEL_FILE_FORMAT,
    script:
        "../workflow_scripts/train.py"


rule frame_eval:
    input:
        model=rules.train.output.model,
        frames=rules.dataset.output.frames,
        splits=rules.dataset.output.splits,
    output:
        f"{RESULTS}/models/{{corpus}}/{{model}}.test.json",
    log:
        f"{RESULTS}/logs/frame_eval/{{corpus}}/{{model}}.log",
    conda:
        "../envs/train.yaml"
    threads: 1
    params:
        frame_eval=config["frame_eval"],
    script:
        "../workflow_scripts/frame_eval.py"
