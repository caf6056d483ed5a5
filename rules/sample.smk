# Sample stage: generated dialogues laid out like a corpus, one per test dialogue:
# selfplay / continuation / listen with the neural agent, the two baselines in selfplay, and the
# test split's own tracks for resynthesis (resynth; resynth_{voice} are short excerpts, one per voice).


if TEST_IDS:

    rule sample:
        input:
            model=sample_model,
            frames=rules.dataset.output.frames,
            splits=rules.dataset.output.splits,
        output:
            tracks=expand(f"{RESULTS}/corpus/{{{{corpus}}}}.{{{{system}}}}/tracks/{{k}}.parquet", k=TEST_IDS),
            va=expand(f"{RESULTS}/corpus/{{{{corpus}}}}.{{{{system}}}}/va/{{k}}.csv", k=TEST_IDS),
        log:
            f"{RESULTS}/logs/sample/{{corpus}}.{{system}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/sample/{{corpus}}.{{system}}.tsv"
        conda:
            "../envs/train.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            sample=config_keys("sample", "seed", "temperature", "stop", "run_limits", "prompt_seconds", "listen_agent"),
            markov_weight=markov_weight,
            prompt_adapt=prompt_adapt,
            excerpt=lambda wc: (config["voice"]["excerpt_seconds"] if system_spec(wc.system).excerpt else None),
        script:
            "../workflow_scripts/sample.py"
