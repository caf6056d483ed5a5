# Train stage: every registered frame model (babbler.models.registry: the neural agent, resumable, and the
# baselines), then their test scores. Params: babbler/workflow/models.py.


rule train:
    input:
        frames=rules.dataset.output.frames,
        splits=rules.dataset.output.splits,
    output:
        model=path("model"),
        metrics=path("model_metrics"),
    log:
        log_path("train", "{corpus}/{model}"),
    benchmark:
        benchmark_path("train", "{corpus}/{model}")
    conda:
        "../envs/train.yaml"
    threads: lambda wc: training_threads() if PLAN.neural(wc.model) else 1
    resources:
        gpu=lambda wc: 1 if PLAN.neural(wc.model) and config["train"]["device"] == "cuda" else 0,
        mem_mb=8000,
        runtime=lambda wc: 240 if PLAN.neural(wc.model) else 30,
    params:
        model=PLAN.model_settings,
        train=PLAN.train_settings,
        select=PLAN.select_settings,
        val=PLAN.validation_ids(),
        checkpoint=lambda wc: path("checkpoint", corpus=wc.corpus, model=wc.model),
        file_format=MODEL_FILE_FORMAT,
    script:
        "../workflow_scripts/train.py"


rule frame_eval:
    input:
        model=rules.train.output.model,
        frames=rules.dataset.output.frames,
        splits=rules.dataset.output.splits,
    output:
        path("frame_eval"),
    log:
        log_path("frame_eval", "{corpus}/{model}"),
    conda:
        "../envs/train.yaml"
    threads: 1
    params:
        frame_eval=config["frame_eval"],
    script:
        "../workflow_scripts/frame_eval.py"
