"""Build the 50 Hz token dataset of the human corpus (rule dataset)."""

from pathlib import Path

from babbler.corpora.manifest import read_manifest
from babbler.models.dataset import build_dataset, save_dataset
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    manifest = read_manifest(snakemake.input.manifest)
    files = {}
    for path in snakemake.input.prosody:
        dlg, spk = Path(path).name.removesuffix(".parquet").rsplit(".", 1)
        files.setdefault(dlg, {})[spk] = path
    data = build_dataset({d: (f["A"], f["B"]) for d, f in files.items()},
                         dict(zip(manifest["dialogue"], manifest["split"])), prosody=snakemake.params.dataset["prosody"])
    save_dataset(data, snakemake.output.frames, snakemake.output.splits)
    for split in ("train", "val", "test"):
        ids = data.ids(split)
        log.info("%s: %d dialogues, %d frames", split, len(ids), sum(len(data.tokens[d]) for d in ids))
