# Corpus stage: one stereo WAV (speaker A on channel 0, B on channel 1), VA and info per dialogue,
# then a manifest with the seeded split.


rule demo_dialogue:
    output:
        **dialogue_outputs("demo"),
    params:
        demo=config["corpus"]["demo"],
        seed=config["corpus"]["seed"],
    group:
        "dialogue"
    log:
        f"{RESULTS}/logs/corpus/demo/{{dlg}}.log",
    conda:
        "../envs/corpus.yaml"
    script:
        "../workflow_scripts/demo_dialogue.py"


rule maptask_audio:
    output:
        f"{RESULTS}/corpus/maptask/download/{{dlg}}.mix.wav",
    params:
        url=lambda wc: audio_url(config["corpus"]["maptask"]["audio_url"], wc.dlg),
        kind="mix_wav",
    log:
        f"{RESULTS}/logs/corpus/maptask/download/{{dlg}}.log",
    resources:
        downloads=1,
    conda:
        "../envs/corpus.yaml"
    script:
        "../workflow_scripts/download.py"


rule maptask_annotations:
    output:
        f"{RESULTS}/corpus/maptask/download/hcrcmaptask.nxtformatv2-1.zip",
    params:
        url=config["corpus"]["maptask"]["annotations_url"],
        kind="nxt_zip",
    log:
        f"{RESULTS}/logs/corpus/maptask/download/annotations.log",
    resources:
        downloads=1,
    conda:
        "../envs/corpus.yaml"
    script:
        "../workflow_scripts/download.py"


rule maptask_dialogue:
    input:
        wav=rules.maptask_audio.output[0],
        annotations=rules.maptask_annotations.output[0],
    output:
        **dialogue_outputs("maptask"),
    group:
        "dialogue"
    log:
        f"{RESULTS}/logs/corpus/maptask/{{dlg}}.log",
    conda:
        "../envs/corpus.yaml"
    script:
        "../workflow_scripts/maptask_dialogue.py"


rule local_dialogue:
    input:
        unpack(local_inputs),
    output:
        **dialogue_outputs("local", with_va=LOCAL_VA),
    group:
        "dialogue"
    log:
        f"{RESULTS}/logs/corpus/local/{{dlg}}.log",
    conda:
        "../envs/corpus.yaml"
    script:
        "../workflow_scripts/local_dialogue.py"


rule manifest:
    input:
        info=expand(f"{RESULTS}/corpus/{CORPUS}/info/{{dlg}}.json", dlg=DIALOGUES),
    output:
        manifest_path(),
    params:
        split=config["corpus"]["split"],
        seed=config["corpus"]["seed"],
    log:
        f"{RESULTS}/logs/corpus/{CORPUS}/manifest.log",
    conda:
        "../envs/corpus.yaml"
    script:
        "../workflow_scripts/manifest.py"
