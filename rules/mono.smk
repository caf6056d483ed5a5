# Mono stage: one track per speaker, resampled to audio.sample_rate. {source} is a corpus or a
# generated set ({corpus}.{system}), so generated audio is measured exactly like human audio.


rule mono:
    input:
        f"{RESULTS}/corpus/{{source}}/wav/{{dlg}}.wav",
    output:
        a=f"{RESULTS}/audio/{{source}}/{{dlg}}.A.wav",
        b=f"{RESULTS}/audio/{{source}}/{{dlg}}.B.wav",
    log:
        f"{RESULTS}/logs/mono/{{source}}/{{dlg}}.log",
    conda:
        "../envs/mono.yaml"
    params:
        audio=config["audio"],
    script:
        "../workflow_scripts/mono.py"
