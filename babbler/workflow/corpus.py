"""Inputs and outputs of the corpus stage's rules (rules/corpus.smk)."""

from __future__ import annotations

from babbler.corpora.registry import CORPORA
from babbler.workflow.batches import Batch
from babbler.workflow.paths import path, paths


class CorpusInputs:
    """The corpus rules' input functions (mixed into RunPlan)."""

    def dialogue_inputs(self, dlg: str) -> dict[str, str]:
        """The files one dialogue of the corpus is made from: the user's own, and what the corpus downloads."""
        spec = CORPORA[self.corpus]
        inputs = dict(spec.inputs(self.config["corpus"], dlg))
        for name, file in spec.downloads(self.config["corpus"], dlg).items():
            inputs[name] = path("download", corpus=self.corpus, file=file)
        return inputs

    def corpus_inputs(self, batch: Batch) -> list[str]:
        """Every file a batch of the corpus's dialogues is made from (each once)."""
        return list(dict.fromkeys(f for d in batch.dialogues for f in self.dialogue_inputs(d).values()))

    def corpus_outputs(self, batch: Batch) -> dict[str, list[str]]:
        """The corpus rule's outputs for a batch: each dialogue's stereo WAV, info record, and VA where the corpus
        has one."""
        out = {"wav": batch.files("corpus_wav"), "info": batch.files("corpus_info")}
        if self.has_reference:
            out["va"] = batch.files("corpus_va")
        return out

    def corpus_settings(self) -> dict:
        """What a dialogue's content depends on besides its files (the corpus rule's rerun trigger)."""
        return CORPORA[self.corpus].settings(self.config)

    def download_url(self, wildcards) -> str:
        """Where a file a corpus downloads comes from."""
        return CORPORA[wildcards.corpus].download(self.config["corpus"], wildcards.file).url

    def corpus_info(self) -> list[str]:
        """Every dialogue's info record (the manifest's inputs)."""
        return paths("corpus_info", source=self.corpus, dlg=self.dialogues)
