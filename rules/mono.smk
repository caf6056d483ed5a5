# Mono stage: one track per speaker, resampled to audio.sample_rate. {source} is a corpus or a
# generated set ({corpus}.{system}), so generated audio is measured exactly like human audio.


rule mono:
    input:
        path("corpus_wav"),
    output:
        a=path("mono", spk="A"),
        b=path("mono", spk="B"),
    log:
        log_path("mono", "{source}/{dlg}"),
    conda:
        "../envs/mono.yaml"
    params:
        audio=PLAN.mono_settings,
    script:
        "../workflow_scripts/mono.py"
