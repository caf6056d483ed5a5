# Prosody stage: F0, intensity and voice activity of both speakers of a dialogue on 10 ms frames.
# The VAD looks at both channels at once, so partner bleed is not taken for speech.
# Input functions: babbler/workflow/signal.py.


rule prosody:
    input:
        unpack(PLAN.prosody_inputs),
    output:
        a=path("prosody", spk="A"),
        b=path("prosody", spk="B"),
    log:
        log_path("prosody", "{source}/{dlg}"),
    benchmark:
        benchmark_path("prosody", "{source}/{dlg}")
    conda:
        "../envs/prosody.yaml"
    resources:
        mem_mb=3000,
        runtime=20,
    params:
        vad=PLAN.vad_settings,
    script:
        "../workflow_scripts/prosody.py"
