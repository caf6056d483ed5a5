"""Batches: the per-dialogue stages (corpus → mono → prosody → events) take a source's dialogues `batch.dialogues` at
a time, one job per batch and stage, so a corpus of thousands of dialogues is a few hundred jobs (planned in seconds,
each paying its start-up once for many dialogues) while every dialogue keeps its own files (rules/*.smk)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from babbler.corpora import speakers
from babbler.workflow.paths import path, paths


@dataclass(frozen=True)
class Batch:
    """Dialogues of one source that a per-dialogue stage takes in one job."""

    source: str
    index: int  # 1-based, in the source's sorted dialogue order
    dialogues: tuple[str, ...]

    def rule(self, stage: str) -> str:
        """The name of a stage's rule for this batch, e.g. `prosody__demo.listen__1`."""
        return f"{stage}__{self.source}__{self.index}"

    @property
    def job(self) -> str:
        """The batch's part of its log and benchmark paths."""
        return f"{self.source}/batch{self.index}"

    @property
    def group(self) -> str:
        """The cluster group of the batch's chain (one submission for its stages)."""
        return f"{self.source}.batch{self.index}"

    @property
    def seed_names(self) -> tuple[str, ...]:
        """What a generated batch's seeds are derived with beside its system: nothing for the first batch (a set of
        up to `batch.dialogues` dialogues draws as one), the batch's number for the others."""
        return () if self.index == 1 else (f"batch{self.index}",)

    def part(self, name: str) -> str:
        """The batch's own file of one kind (`stats_part`, `vad_accuracy_part`, `render_part`): its share of a file
        of the whole source."""
        return path(name, source=self.source, batch=self.index)

    def files(self, name: str, **values) -> list[str]:
        """One kind of file (the path map's `name`) of every dialogue of the batch, in the batch's order."""
        return paths(name, source=self.source, dlg=list(self.dialogues), **values)


def cut(source: str, dialogues: list[str], size: int) -> list[Batch]:
    """A source's sorted dialogues cut into batches of `size` (the last one shorter): a dialogue's batch changes only
    when dialogues sorting before it come or go."""
    ids = sorted(dialogues)
    return [Batch(source, k // size + 1, tuple(ids[k : k + size])) for k in range(0, len(ids), size)]


class BatchInputs:
    """The batches of every source the per-dialogue stages take (mixed into RunPlan)."""

    @cached_property
    def signal_sources(self) -> list[str]:
        """Sources that take the mono and prosody stages: the corpus, every generated set, and the human
        recordings' sessions (`voice.speakers`)."""
        generated = [f"{self.corpus}.{s}" for s in self.generated] if self.has_models else []
        return [self.corpus, *generated, *([speakers.SOURCE] if self.speakers else [])]

    @cached_property
    def timing_sources(self) -> list[str]:
        """Sources whose dialogues take the events rule: the corpus and every generated set."""
        return [s for s in self.signal_sources if s != speakers.SOURCE]

    def batches(self, source: str) -> list[Batch]:
        """A source's dialogues in batches of `batch.dialogues`."""
        return cut(source, self.source_dialogues(source), self.config["batch"]["dialogues"])

    def sources_batches(self, sources: list[str]) -> list[Batch]:
        """The batches of several sources, source by source (a stage's rules are made over them)."""
        return [b for source in sources for b in self.batches(source)]

    def parts(self, name: str, source: str) -> list[str]:
        """Every batch's file of one kind of a source (what joins them into the source's file reads)."""
        return [b.part(name) for b in self.batches(source)]
