# Evaluate stage: every system, measured from its audio, against the human test split; the
# plots; and the self-contained HTML report (design: Metrics, eval/{corpus}/metrics.json).
# Input functions: babbler/workflow/evaluation.py.


if PLAN.has_models:

    rule evaluate:
        input:
            events=PLAN.evaluation_events,
            stats=PLAN.evaluation_stats,
            frame_models=PLAN.frame_model_outputs(),
            voices=PLAN.voice_fidelity_outputs(),
            sampling=PLAN.sampling_record(),
        output:
            metrics=path("metrics"),
            tables=paths("eval_table", table=PLAN.eval_tables()),
        log:
            log_path("eval", "{corpus}/evaluate"),
        conda:
            "../envs/timing.yaml"
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            eval=config["eval"],
            test_ids=TEST_IDS,
            modes=PLAN.all_mode_settings(),
            sampling=PLAN.fixed_sampling(),
        script:
            "../workflow_scripts/evaluate.py"

    rule plots:
        input:
            events=PLAN.evaluation_events,
            metrics=rules.evaluate.output.metrics,
            timeline=PLAN.timeline_inputs,
            spectrogram=PLAN.spectrogram_inputs,
            curves=PLAN.training_curves,
        output:
            fto=report(path("figure", figure="fto"), caption="../report/fto.rst", category="Timing"),
            durations=report(path("figure", figure="durations"), caption="../report/durations.rst", category="Timing"),
            timeline=report(path("figure", figure="timeline"), caption="../report/timeline.rst", category="Timing"),
            spectrogram=report(
                path("figure", figure="spectrogram"), caption="../report/spectrogram.rst", category="Voices"
            ),
            training=report(path("figure", figure="training"), caption="../report/training.rst", category="Models"),
        log:
            log_path("eval", "{corpus}/plots"),
        conda:
            "../envs/report.yaml"
        params:
            test_ids=TEST_IDS,
            systems=PLAN.eval_systems,
            prompt_seconds=config["sample"]["prompt_seconds"],
            spectrogram_labels=PLAN.spectrogram_labels(),
            spectrogram_seconds=config["voice"]["excerpt_seconds"],
        script:
            "../workflow_scripts/plots.py"

    rule report:
        input:
            metrics=rules.evaluate.output.metrics,
            tables=rules.evaluate.output.tables,
            fto=rules.plots.output.fto,
            durations=rules.plots.output.durations,
            timeline=rules.plots.output.timeline,
            spectrogram=rules.plots.output.spectrogram,
            training=rules.plots.output.training,
            audio=PLAN.report_audio,
            voice_audio=PLAN.voice_audio,
            human_speech=PLAN.held_out_speech(),
            babble=PLAN.speech_babble(),
        output:
            path("report"),
        log:
            log_path("report", "{corpus}"),
        conda:
            "../envs/report.yaml"
        params:
            audio_labels=["real", *PLAN.eval_systems],
            voices=PLAN.report_voices,
            notes=PLAN.report_notes(),
            excerpt_start=max(0.0, config["sample"]["prompt_seconds"] - 5.0),
            config=config,  # shown in the report; holds report.title and report.excerpt_seconds
        script:
            "../workflow_scripts/report.py"
