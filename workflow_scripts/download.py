"""Download one file of a corpus with resume, retry and verification (rule download)."""

from babbler.corpora.download import download
from babbler.corpora.registry import CORPORA
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    corpus, url = snakemake.wildcards.corpus, snakemake.params.url
    verify = CORPORA[corpus].download(snakemake.config["corpus"], snakemake.wildcards.file).verify
    # retries/timeout/backoff are read from the config, not params: changing them must not re-download.
    opts = snakemake.config["corpus"][corpus]
    log.info("downloading %s", url)
    download(url, snakemake.output[0], verify=verify, retries=opts["retries"], timeout=opts["timeout"],
             backoff=opts["backoff"])
    log.info("saved %s", snakemake.output[0])
