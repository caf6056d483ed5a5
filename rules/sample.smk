# Sample stage: the agent's sample settings left auto chosen on the validation split (rule tune,
# babbler.evaluation.tuning), then generated dialogues laid out like a corpus, one per test dialogue: every
# system of the registry (babbler.sampling.systems) is a frame model run in a mode
# (babbler.sampling.modes), and the voices' checks re-voice short excerpts of the test split's own tracks
# (resynth_{voice}). A set is sampled in batches of batch.dialogues test dialogues (one batch, one draw,
# for up to that many). Input functions: babbler/workflow/sampling.py.


if PLAN.tunes:

    rule tune:
        input:
            model=PLAN.tune_inputs(),
            frames=rules.dataset.output.frames,
            splits=rules.dataset.output.splits,
        output:
            path("sampling", corpus=CORPUS),
        log:
            log_path("tune", CORPUS),
        benchmark:
            benchmark_path("tune", CORPUS)
        conda:
            "../envs/train.yaml"
        threads: training_threads()
        resources:
            mem_mb=4000,
            runtime=120,
        params:
            tune=PLAN.tune_settings(),
            val=PLAN.validation_ids(),
        script:
            "../workflow_scripts/tune.py"


for system in PLAN.generated if TEST_IDS else []:
    for batch in PLAN.batches(f"{CORPUS}.{system}"):

        rule:
            name:
                batch.rule("sample")
            input:
                model=PLAN.sample_model(system),
                sampling=PLAN.tuned_input(system),
                frames=rules.dataset.output.frames,
                splits=rules.dataset.output.splits,
            output:
                tracks=batch.files("tracks"),
                va=batch.files("corpus_va"),
            log:
                log_path("sample", batch.job),
            benchmark:
                benchmark_path("sample", batch.job)
            group:
                batch.group
            conda:
                "../envs/train.yaml"
            threads: 1
            resources:
                mem_mb=4000,
                runtime=60,
            params:
                system=system,
                dialogues=list(batch.dialogues),
                seed_names=batch.seed_names,
                sample=config_keys("sample", "seed", "stop", "run_limits"),
                mode=PLAN.mode_settings(system),
                tunables=PLAN.tunable_values(system),
                excerpt=PLAN.excerpt_seconds(system),
            script:
                "../workflow_scripts/sample.py"
