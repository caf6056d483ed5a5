"""Join per-dialogue info into the corpus manifest with a seeded split (rule manifest)."""

from babbler.corpora.manifest import build_manifest, write_manifest
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    split = snakemake.params.split
    manifest = build_manifest(list(snakemake.input.info), snakemake.params.seed, split["val"], split["test"])
    write_manifest(snakemake.output[0], manifest)
    log.info("manifest: %d dialogues, %s", len(manifest), manifest["split"].value_counts().to_dict())
