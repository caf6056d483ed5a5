# Render stage: generated tracks -> stereo audio laid out like a corpus, with a voice from the registry
# (babbler/voices/); the trainable voices are trained here, and every reported voice's fidelity is measured
# on a resynthesis of the test dialogues (and, with voice.speakers, on the held-out human speech it learned from). Input functions: babbler/workflow/render.py.


rule train_voice:
    input:
        unpack(PLAN.voice_training_inputs),
    output:
        model=path("model", model="{voice}"),
        metrics=path("model_metrics", model="{voice}"),
    log:
        log_path("train", "{corpus}/{voice}"),
    benchmark:
        benchmark_path("train", "{corpus}/{voice}")
    wildcard_constraints:
        voice="|".join(TRAINED_VOICES),
    conda:
        "../envs/render.yaml"
    threads: lambda wc: training_threads()
    resources:
        gpu=lambda wc: 1 if config["voice"][wc.voice]["train"]["device"] == "cuda" else 0,
        mem_mb=8000,
        runtime=240,
    params:
        model=lambda wc: config["voice"][wc.voice]["model"],
        train=lambda wc: config["voice"][wc.voice]["train"],
        checkpoint=lambda wc: path("checkpoint", corpus=wc.corpus, model=wc.voice),
        minutes=config["voice"]["train_minutes"],
        file_format=MODEL_FILE_FORMAT,
    script:
        "../workflow_scripts/train_voice.py"


for system in PLAN.generated if TEST_IDS else []:
    generated_source = f"{CORPUS}.{system}"
    for batch in PLAN.batches(generated_source):

        rule:
            name:
                batch.rule("render")
            input:
                **PLAN.render_inputs(system, batch),
            output:
                wav=batch.files("corpus_wav"),
                part=batch.part("render_part"),
            log:
                log_path("render", batch.job),
            benchmark:
                benchmark_path("render", batch.job)
            group:
                batch.group
            conda:
                "../envs/render.yaml"
            threads: 1
            resources:
                mem_mb=4000,
                runtime=60,
            params:
                system=system,
                seed_names=batch.seed_names,
                first=PLAN.test_ids.index(batch.dialogues[0]),
                sample=config_keys("sample", "seed"),
                mode=PLAN.mode_settings(system),
                voice=PLAN.system_voice(system),
                mix=config_keys("voice", "bleed_db", "noise_db"),
                settings=PLAN.voice_settings(system),
                sample_rate=config["audio"]["sample_rate"],
            script:
                "../workflow_scripts/render.py"

    # the set's manifest and render record, from its batches' records
    rule:
        name:
            f"render_summary__{generated_source}"
        input:
            PLAN.parts("render_part", generated_source),
        output:
            manifest=path("manifest", source=generated_source),
            info=path("render_info", source=generated_source),
        log:
            log_path("render", f"{generated_source}/summary"),
        localrule: True
        conda:
            "../envs/render.yaml"
        script:
            "../workflow_scripts/render_summary.py"


if TEST_IDS:

    rule speech_likeness:
        input:
            unpack(PLAN.speech_likeness_inputs),
        output:
            json=path("speech_likeness"),
            wav=path("speech_babble"),
        log:
            log_path("render", "speakers/speech_{voice}"),
        benchmark:
            benchmark_path("render", "speakers/speech_{voice}")
        conda:
            "../envs/render.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            speakers=PLAN.speech_likeness_settings(),
            settings=lambda wc: render_settings(config, wc.voice),
            vad_method=PLAN.source_vad(SPEAKERS)["method"],
        script:
            "../workflow_scripts/speech_likeness.py"

    rule voice_fidelity:
        input:
            unpack(PLAN.fidelity_inputs),
        output:
            path("voice_fidelity"),
        log:
            log_path("render", "{corpus}.voice_{voice}"),
        conda:
            "../envs/render.yaml"
        script:
            "../workflow_scripts/voice_fidelity.py"
