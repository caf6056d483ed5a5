# Sample stage: generated dialogues laid out like a corpus, one per test dialogue: every system of the
# registry (babbler.sampling.systems) is a frame model run in a mode (babbler.sampling.modes), and the
# voices' checks re-voice short excerpts of the test split's own tracks (resynth_{voice}).
# Input functions: babbler/workflow/sampling.py.


if TEST_IDS:

    rule sample:
        input:
            model=PLAN.sample_model,
            frames=rules.dataset.output.frames,
            splits=rules.dataset.output.splits,
        output:
            tracks=paths("tracks", source="{corpus}.{system}", dlg=TEST_IDS),
            va=paths("corpus_va", source="{corpus}.{system}", dlg=TEST_IDS),
        log:
            log_path("sample", "{corpus}.{system}"),
        benchmark:
            benchmark_path("sample", "{corpus}.{system}")
        conda:
            "../envs/train.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            sample=config_keys("sample", "seed", "temperature", "stop", "run_limits"),
            mode=PLAN.mode_settings,
            markov_weight=PLAN.markov_weight,
            prompt_adapt=PLAN.prompt_adapt,
            excerpt=PLAN.excerpt_seconds,
        script:
            "../workflow_scripts/sample.py"
