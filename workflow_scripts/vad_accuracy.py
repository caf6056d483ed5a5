"""Frame accuracy of the chosen VAD against the source's reference VA (rule vad_accuracy)."""

from pathlib import Path

from babbler.timing.vad_accuracy import accuracy_table
from babbler.util.fileio import atomic_path, read_prosody_va, read_va
from babbler.util.rule_log import rule_logging

with rule_logging(snakemake.log[0]) as log:  # noqa: F821
    prosody = {Path(p).name.removesuffix(".parquet"): p for p in snakemake.input.prosody}
    items = {}
    for ref in snakemake.input.reference:
        dlg = Path(ref).stem
        pq = {s: prosody[f"{dlg}.{s}"] for s in "AB"}
        tracks, _ = read_prosody_va(pq)
        items[dlg] = (tracks, read_va(ref))
    table = accuracy_table(items)
    with atomic_path(snakemake.output[0]) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    total = table.iloc[-1]
    log.info("%s VAD vs reference: F1 A %.3f, B %.3f (P %.3f/%.3f, R %.3f/%.3f)", snakemake.params.vad["method"],
             total["A_f1"], total["B_f1"], total["A_precision"], total["B_precision"], total["A_recall"],
             total["B_recall"])
