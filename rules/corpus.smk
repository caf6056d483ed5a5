# Corpus stage: one stereo WAV (speaker A on channel 0, B on channel 1), VA and info per dialogue of
# the configured corpus (babbler.corpora.CORPORA says how each corpus makes them), the files a corpus
# downloads, then a manifest with the seeded split.


rule corpus_dialogue:
    input:
        unpack(corpus_inputs),
    output:
        **dialogue_outputs(CORPUS, with_va=CORPUS_HAS_REFERENCE),
    log:
        f"{RESULTS}/logs/corpus/{CORPUS}/{{dlg}}.log",
    conda:
        "../envs/corpus.yaml"
    params:
        corpus=CORPUS,
        settings=CORPORA[CORPUS].settings(config),
    script:
        "../workflow_scripts/corpus_dialogue.py"


rule download:
    output:
        f"{RESULTS}/corpus/{{corpus}}/download/{{file}}",
    log:
        f"{RESULTS}/logs/corpus/{{corpus}}/download/{{file}}.log",
    conda:
        "../envs/corpus.yaml"
    resources:
        downloads=1,
    params:
        url=lambda wc: CORPORA[wc.corpus].download(config["corpus"], wc.file).url,
    script:
        "../workflow_scripts/download.py"


rule manifest:
    input:
        info=expand(f"{RESULTS}/corpus/{CORPUS}/info/{{dlg}}.json", dlg=DIALOGUES),
    output:
        manifest_path(),
    log:
        f"{RESULTS}/logs/corpus/{CORPUS}/manifest.log",
    conda:
        "../envs/corpus.yaml"
    params:
        split=config["corpus"]["split"],
        seed=config["corpus"]["seed"],
    script:
        "../workflow_scripts/manifest.py"
