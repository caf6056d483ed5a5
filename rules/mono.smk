# Mono stage: one track per speaker, resampled to audio.sample_rate. A source is the corpus, a generated
# set ({corpus}.{system}, measured exactly like human audio) or the human recordings of voice.speakers;
# each job takes a batch of its dialogues (babbler/workflow/batches.py).


for batch in PLAN.sources_batches(PLAN.signal_sources):

    rule:
        name:
            batch.rule("mono")
        input:
            batch.files("corpus_wav"),
        output:
            a=batch.files("mono", spk="A"),
            b=batch.files("mono", spk="B"),
        log:
            log_path("mono", batch.job),
        group:
            batch.group
        conda:
            "../envs/mono.yaml"
        resources:
            runtime=batch_minutes(batch, 1),
        params:
            audio=PLAN.mono_settings(batch.source),
        script:
            "../workflow_scripts/mono.py"
