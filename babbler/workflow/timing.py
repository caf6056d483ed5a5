"""Inputs and outputs of the timing stage's rules (rules/timing.smk)."""

from __future__ import annotations

from babbler.workflow.batches import Batch
from babbler.workflow.paths import path


class TimingInputs:
    """The timing rules' input functions (mixed into RunPlan)."""

    def timing_outputs(self, source: str) -> list[str]:
        """The timing stage's per-source outputs (VAD accuracy only where reference VA exists)."""
        out = [path("stats", source=source)]
        if self.source_has_reference(source):
            out.append(path("vad_accuracy", source=source))
        return out

    def events_inputs(self, batch: Batch) -> dict[str, list[str]]:
        """What the events rule reads for a batch: both speakers' prosody, and the reference VA where the source has
        one (the batch's part of the VAD's accuracy)."""
        inputs = {"a": batch.files("prosody", spk="A"), "b": batch.files("prosody", spk="B")}
        if self.source_has_reference(batch.source):
            inputs["reference"] = batch.files("corpus_va")
        return inputs

    def events_outputs(self, batch: Batch) -> dict[str, list[str] | str]:
        """The events rule's outputs for a batch: each dialogue's events, and the batch's rows of the source's
        stats.csv and (with reference VA) vad_accuracy.csv."""
        out = {"events": batch.files("events"), "stats": batch.part("stats_part")}
        if self.source_has_reference(batch.source):
            out["accuracy"] = batch.part("vad_accuracy_part")
        return out
