# Sample stage: generated dialogues laid out like a corpus, one per test dialogue:
# selfplay / continuation / listen with the neural agent, and the two baselines in selfplay.


if TEST_IDS:

    rule sample:
        input:
            model=lambda wc: f"{RESULTS}/models/{wc.corpus}/{SYSTEM_MODEL[wc.system]}.pt",
            frames=rules.dataset.output.frames,
            splits=rules.dataset.output.splits,
        output:
            tracks=expand(f"{RESULTS}/corpus/{{{{corpus}}}}.{{{{system}}}}/tracks/{{k}}.parquet", k=TEST_IDS),
            va=expand(f"{RESULTS}/corpus/{{{{corpus}}}}.{{{{system}}}}/va/{{k}}.csv", k=TEST_IDS),
        params:
            sample=config["sample"],
        threads: 1
        log:
            f"{RESULTS}/logs/sample/{{corpus}}.{{system}}.log",
        conda:
            "../envs/train.yaml"
        script:
            "../workflow_scripts/sample.py"
