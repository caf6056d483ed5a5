"""Download one Map Task file with resume, retry and verification (rules maptask_audio, maptask_annotations)."""

from babbler.corpora import maptask
from babbler.download import download
from babbler.rulelog import rule_logging

VERIFY = {"mix_wav": maptask.verify_mix_wav, "nxt_zip": maptask.verify_annotations_zip}

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    # retries/timeout/backoff are read from the config, not params: changing them must not re-download.
    opts = snakemake.config["corpus"]["maptask"]
    log.info("downloading %s", snakemake.params.url)
    download(
        snakemake.params.url, snakemake.output[0], verify=VERIFY[snakemake.params.kind],
        retries=opts["retries"], timeout=opts["timeout"], backoff=opts["backoff"],
    )
    log.info("saved %s", snakemake.output[0])
