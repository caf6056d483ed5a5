# Render stage: generated tracks -> stereo audio laid out like a corpus; the WaveNet voice is
# trained here; the voices' fidelity is measured on resynthesised test dialogues.


rule train_wavenet:
    input:
        frames=rules.dataset.output.frames,
        splits=rules.dataset.output.splits,
        audio=lambda wc: mono_outputs(CORPUS, [d for d, s in SPLIT.items() if s in ("train", "val")]),
    output:
        model=f"{RESULTS}/models/{{corpus}}/wavenet.pt",
        metrics=f"{RESULTS}/models/{{corpus}}/wavenet.metrics.csv",
    log:
        f"{RESULTS}/logs/train/{{corpus}}/wavenet.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{corpus}}/wavenet.tsv"
    conda:
        "../envs/render.yaml"
    threads: lambda wc: training_threads()
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        model=config["voice"]["wavenet"]["model"],
        train=config["voice"]["wavenet"]["train"],
        checkpoint=lambda wc: f"{RESULTS}/models/{wc.corpus}/wavenet.ckpt",
    script:
        "../workflow_scripts/train_wavenet.py"


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
        group:
            "generated"
        conda:
            "../envs/render.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            sample=config_keys("sample", "seed", "prompt_seconds", "listen_agent"),
            voice=lambda wc: system_voice(wc.system),
            render={k: v for k, v in config["voice"].items() if k != "wavenet"},
            temperature=lambda wc: (
                config["voice"]["wavenet"]["temperature"] if system_voice(wc.system) == "wavenet" else None
            ),
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
            accuracy=lambda wc: f"{RESULTS}/timing/{wc.corpus}.{fidelity_system(wc.voice)}/vad_accuracy.csv",
            info=lambda wc: f"{RESULTS}/corpus/{wc.corpus}.{fidelity_system(wc.voice)}/render.json",
        output:
            f"{RESULTS}/eval/{{corpus}}/voice_{{voice}}.json",
        log:
            f"{RESULTS}/logs/render/{{corpus}}.voice_{{voice}}.log",
        conda:
            "../envs/timing.yaml"
        script:
            "../workflow_scripts/voice_fidelity.py"
