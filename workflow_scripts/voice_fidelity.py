"""VA F1, F0 error and real-time factor of a voice on resynthesised test dialogues (rule voice_fidelity)."""

import json
from pathlib import Path

from babbler.fidelity import voice_fidelity
from babbler.fileio import read_table, write_json
from babbler.rulelog import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    inp = snakemake.input
    result = voice_fidelity(
        snakemake.wildcards.voice, read_table(inp.accuracy), {Path(p).stem: p for p in inp.tracks},
        {Path(p).name.removesuffix(".parquet"): p for p in inp.prosody}, json.loads(Path(inp.info).read_text()),
    )
    write_json(snakemake.output[0], result)
    log.info("%s", result)
