# Prosody stage: F0, intensity and voice activity of both speakers of a dialogue on 10 ms frames.
# The VAD looks at both channels at once, so partner bleed is not taken for speech.


rule prosody:
    input:
        unpack(prosody_inputs),
    output:
        a=f"{RESULTS}/prosody/{{source}}/{{dlg}}.A.parquet",
        b=f"{RESULTS}/prosody/{{source}}/{{dlg}}.B.parquet",
    log:
        f"{RESULTS}/logs/prosody/{{source}}/{{dlg}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prosody/{{source}}/{{dlg}}.tsv"
    conda:
        "../envs/prosody.yaml"
    resources:
        mem_mb=3000,
        runtime=20,
    params:
        vad=config["vad"],
    script:
        "../workflow_scripts/prosody.py"
