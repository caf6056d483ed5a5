# Evaluate stage: every system, measured from its audio, against the human test split; the
# plots; and the self-contained HTML report (design: Metrics, eval/{corpus}/metrics.json).


if HAS_MODELS:

    rule evaluate:
        input:
            events=evaluation_events,
            stats=evaluation_stats,
            frame_models=frame_model_outputs(),
            voices=voice_fidelity_outputs(),
        output:
            metrics=f"{RESULTS}/eval/{{corpus}}/metrics.json",
            systems=f"{RESULTS}/eval/{{corpus}}/systems.csv",
            distances=f"{RESULTS}/eval/{{corpus}}/distances.csv",
            continuation=f"{RESULTS}/eval/{{corpus}}/continuation.csv",
        log:
            f"{RESULTS}/logs/eval/{{corpus}}/evaluate.log",
        conda:
            "../envs/timing.yaml"
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            eval=config["eval"],
            test_ids=TEST_IDS,
            prompt_seconds=config["sample"]["prompt_seconds"],
            listen_agent=config["sample"]["listen_agent"],
        script:
            "../workflow_scripts/evaluate.py"

    rule plots:
        input:
            events=evaluation_events,
            metrics=rules.evaluate.output.metrics,
            timeline=timeline_inputs,
            spectrogram=spectrogram_inputs,
            curves=training_curves,
        output:
            fto=report(f"{RESULTS}/eval/{{corpus}}/fto.png", caption="../report/fto.rst", category="Timing"),
            durations=report(
                f"{RESULTS}/eval/{{corpus}}/durations.png", caption="../report/durations.rst", category="Timing"
            ),
            timeline=report(
                f"{RESULTS}/eval/{{corpus}}/timeline.png", caption="../report/timeline.rst", category="Timing"
            ),
            spectrogram=report(
                f"{RESULTS}/eval/{{corpus}}/spectrogram.png", caption="../report/spectrogram.rst", category="Voices"
            ),
            training=report(
                f"{RESULTS}/eval/{{corpus}}/training.png", caption="../report/training.rst", category="Models"
            ),
        log:
            f"{RESULTS}/logs/eval/{{corpus}}/plots.log",
        conda:
            "../envs/report.yaml"
        params:
            test_ids=TEST_IDS,
            systems=EVAL_SYSTEMS,
            prompt_seconds=config["sample"]["prompt_seconds"],
            spectrogram_labels=SPECTROGRAM_LABELS,
            spectrogram_seconds=config["voice"]["excerpt_seconds"],
        script:
            "../workflow_scripts/plots.py"

    rule report:
        input:
            metrics=rules.evaluate.output.metrics,
            distances=rules.evaluate.output.distances,
            continuation=rules.evaluate.output.continuation,
            fto=rules.plots.output.fto,
            durations=rules.plots.output.durations,
            timeline=rules.plots.output.timeline,
            spectrogram=rules.plots.output.spectrogram,
            training=rules.plots.output.training,
            audio=report_audio,
            voice_audio=voice_audio,
        output:
            f"{RESULTS}/report/{{corpus}}/report.html",
        log:
            f"{RESULTS}/logs/report/{{corpus}}.log",
        conda:
            "../envs/report.yaml"
        params:
            audio_labels=REPORT_AUDIO_LABELS,
            voices=REPORT_VOICES,
            excerpt_start=max(0.0, config["sample"]["prompt_seconds"] - 5.0),
            config=config,  # shown in the report; holds report.title and report.excerpt_seconds
        script:
            "../workflow_scripts/report.py"
