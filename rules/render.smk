# Render stage: generated tracks -> stereo audio laid out like a corpus, with a voice from the registry
# (babbler/voices/); the trainable voices are trained here, and every reported voice's fidelity is measured
# on a resynthesis of the test dialogues.


rule train_voice:
    input:
        frames=rules.dataset.output.frames,
        splits=rules.dataset.output.splits,
        audio=lambda wc: mono_outputs(CORPUS, [d for d, s in SPLIT.items() if s in ("train", "val")]),
        prosody=lambda wc: expand(
            f"{RESULTS}/prosody/{CORPUS}/{{dlg}}.{{spk}}.parquet",
            dlg=[d for d, s in SPLIT.items() if s in ("train", "val")],
            spk=["A", "B"],
        ),
    output:
        model=f"{RESULTS}/models/{{corpus}}/{{voice}}.pt",
        metrics=f"{RESULTS}/models/{{corpus}}/{{voice}}.metrics.csv",
    log:
        f"{RESULTS}/logs/train/{{corpus}}/{{voice}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{corpus}}/{{voice}}.tsv"
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
        checkpoint=lambda wc: f"{RESULTS}/models/{wc.corpus}/{wc.voice}.ckpt",
        file_format=MODEL_FILE_FORMAT,
    script:
        "../workflow_scripts/train_voice.py"


if TEST_IDS:

    rule render:
        input:
            unpack(render_inputs),
        output:
            wav=expand(f"{RESULTS}/corpus/{{{{corpus}}}}.{{{{system}}}}/wav/{{k}}.wav", k=TEST_IDS),
            manifest=f"{RESULTS}/corpus/{{corpus}}.{{system}}/manifest.csv",
            info=f"{RESULTS}/corpus/{{corpus}}.{{system}}/render.json",
        log:
            f"{RESULTS}/logs/render/{{corpus}}.{{system}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/render/{{corpus}}.{{system}}.tsv"
        conda:
            "../envs/render.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            sample=config_keys("sample", "seed", "prompt_seconds", "listen_agent"),
            voice=lambda wc: system_voice(wc.system),
            mix=config_keys("voice", "bleed_db", "noise_db"),
            settings=lambda wc: render_settings(config, system_voice(wc.system)),
            sample_rate=config["audio"]["sample_rate"],
        script:
            "../workflow_scripts/render.py"

    rule voice_fidelity:
        input:
            tracks=lambda wc: expand(
                f"{RESULTS}/corpus/{wc.corpus}.{{system}}/tracks/{{k}}.parquet",
                system=fidelity_system(wc.voice),
                k=TEST_IDS,
            ),
            prosody=lambda wc: prosody_files(f"{wc.corpus}.{fidelity_system(wc.voice)}"),
            audio=lambda wc: mono_outputs(f"{wc.corpus}.{fidelity_system(wc.voice)}", TEST_IDS),
            real=lambda wc: mono_outputs(wc.corpus, TEST_IDS),
            accuracy=lambda wc: f"{RESULTS}/timing/{wc.corpus}.{fidelity_system(wc.voice)}/vad_accuracy.csv",
            info=lambda wc: f"{RESULTS}/corpus/{wc.corpus}.{fidelity_system(wc.voice)}/render.json",
        output:
            f"{RESULTS}/eval/{{corpus}}/voice_{{voice}}.json",
        log:
            f"{RESULTS}/logs/render/{{corpus}}.voice_{{voice}}.log",
        conda:
            "../envs/render.yaml"
        script:
            "../workflow_scripts/voice_fidelity.py"
