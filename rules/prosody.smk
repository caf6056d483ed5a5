# Prosody stage: F0, intensity and voice activity of both speakers of a dialogue on 10 ms frames.
# The VAD looks at both channels at once, so partner bleed is not taken for speech. Each job takes
# a batch of a source's dialogues. Input functions: babbler/workflow/signal.py.


for batch in PLAN.sources_batches(PLAN.signal_sources):

    rule:
        name:
            batch.rule("prosody")
        input:
            **PLAN.prosody_inputs(batch),
        output:
            a=batch.files("prosody", spk="A"),
            b=batch.files("prosody", spk="B"),
        log:
            log_path("prosody", batch.job),
        benchmark:
            benchmark_path("prosody", batch.job)
        group:
            batch.group
        conda:
            "../envs/prosody.yaml"
        resources:
            mem_mb=3000,
            runtime=batch_minutes(batch, 2),
        params:
            vad=PLAN.source_vad(batch.source),
        script:
            "../workflow_scripts/prosody.py"
