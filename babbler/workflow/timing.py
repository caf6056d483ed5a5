"""Inputs and outputs of the timing stage's rules (rules/timing.smk)."""

from __future__ import annotations

from babbler.workflow.paths import path, paths


class TimingInputs:
    """The timing rules' input functions (mixed into RunPlan)."""

    def timing_outputs(self, source: str) -> list[str]:
        """The timing stage's per-source outputs (VAD accuracy only where reference VA exists)."""
        out = [path("stats", source=source)]
        if self.source_has_reference(source):
            out.append(path("vad_accuracy", source=source))
        return out

    def source_events(self, wildcards) -> list[str]:
        """Every dialogue's events of a source."""
        return paths("events", source=wildcards.source, dlg=self.source_dialogues(wildcards.source))

    def source_reference(self, wildcards) -> list[str]:
        """Every dialogue's reference VA of a source."""
        return paths("corpus_va", source=wildcards.source, dlg=self.source_dialogues(wildcards.source))
