# Corpus stage: one stereo WAV (speaker A on channel 0, B on channel 1), VA and info per dialogue of
# the configured corpus (babbler.corpora.registry says how each corpus makes them), a batch of dialogues
# per job (babbler/workflow/batches.py), the files a corpus downloads, then a manifest with the seeded
# split. Input functions: babbler/workflow/corpus.py.


for batch in PLAN.batches(CORPUS):

    rule:
        name:
            batch.rule("corpus_dialogue")
        input:
            PLAN.corpus_inputs(batch),
        output:
            **PLAN.corpus_outputs(batch),
        log:
            log_path("corpus", batch.job),
        group:
            batch.group
        conda:
            "../envs/corpus.yaml"
        resources:
            runtime=batch_minutes(batch, 1),
        params:
            corpus=CORPUS,
            dialogues={d: PLAN.dialogue_inputs(d) for d in batch.dialogues},
            settings=PLAN.corpus_settings(),
        script:
            "../workflow_scripts/corpus_dialogue.py"


rule download:
    output:
        path("download"),
    log:
        log_path("corpus", "{corpus}/download/{file}"),
    conda:
        "../envs/corpus.yaml"
    resources:
        downloads=1,
    params:
        url=PLAN.download_url,
    script:
        "../workflow_scripts/download.py"


rule manifest:
    input:
        info=PLAN.corpus_info(),
    output:
        path("manifest", source=CORPUS),
    log:
        log_path("corpus", f"{CORPUS}/manifest"),
    conda:
        "../envs/corpus.yaml"
    params:
        split=config["corpus"]["split"],
        seed=config["corpus"]["seed"],
    script:
        "../workflow_scripts/manifest.py"


# Human recordings a seat's voice learns from (voice.speakers): split by file into the sessions
# {seat}-{train,val,test} of the source `speakers`, which then take the mono and prosody stages.
rule speaker_recordings:
    input:
        PLAN.speaker_recordings,
    output:
        train=path("corpus_wav", source=SPEAKERS, dlg="{seat}-train"),
        val=path("corpus_wav", source=SPEAKERS, dlg="{seat}-val"),
        test=path("corpus_wav", source=SPEAKERS, dlg="{seat}-test"),
        clips=path("speaker_clips"),
    log:
        log_path("corpus", f"{SPEAKERS}/{{seat}}"),
    wildcard_constraints:
        seat="|".join(SEATS),
    conda:
        "../envs/corpus.yaml"
    params:
        settings=PLAN.speaker_settings(),
    script:
        "../workflow_scripts/speaker_recordings.py"
