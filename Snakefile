# babbler: a babbling agent that captures human dialogue timing.
# Stages: corpus -> mono -> prosody -> timing (-> dataset -> train -> sample -> evaluate -> report).


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/corpus.smk"
include: "rules/mono.smk"
include: "rules/prosody.smk"
include: "rules/timing.smk"


rule all:
    input:
        manifest_path(),
        mono_outputs(),
        timing_outputs(),
    default_target: True
