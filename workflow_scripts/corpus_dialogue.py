"""Prepare a batch of the configured corpus's dialogues in the corpus layout (rule corpus_dialogue__{corpus}__{n})."""

from babbler.corpora.registry import CORPORA
from babbler.errors import BabblerError, InputError
from babbler.util.rule_log import WorkClock, rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    out, inputs, clock = snakemake.output, snakemake.params.dialogues, WorkClock()
    spec = CORPORA[snakemake.params.corpus]
    unreadable = []  # every bad file of the batch is named at once, not one per run
    for k, dlg in enumerate(inputs):
        try:
            with clock.work():
                info = spec.prepare(snakemake.params.settings, dlg, inputs[dlg], out.wav[k],
                                    out.va[k] if "va" in out.keys() else None, out.info[k])
        except InputError as err:
            log.error("%s", err)
            unreadable.append(str(err))
            continue
        log.info("%s: %.1f s at %d Hz: %s", info["dialogue"], info["duration"], info["sample_rate"], info)
    clock.report(log, len(inputs))
    if unreadable:
        raise BabblerError(f"{len(unreadable)} of the batch's {len(inputs)} dialogues cannot be prepared (the batch "
                           "writes nothing until they are fixed or removed):\n  " + "\n  ".join(unreadable))
