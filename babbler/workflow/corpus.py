"""Inputs and outputs of the corpus stage's rules (rules/corpus.smk)."""

from __future__ import annotations

from babbler.corpora.registry import CORPORA
from babbler.workflow.paths import path, paths


class CorpusInputs:
    """The corpus rules' input functions (mixed into RunPlan)."""

    def corpus_inputs(self, wildcards) -> dict[str, str]:
        """The files one dialogue of the corpus is made from: the user's own, and what the corpus downloads."""
        spec = CORPORA[self.corpus]
        inputs = dict(spec.inputs(self.config["corpus"], wildcards.dlg))
        for name, file in spec.downloads(self.config["corpus"], wildcards.dlg).items():
            inputs[name] = path("download", corpus=self.corpus, file=file)
        return inputs

    def corpus_outputs(self) -> dict[str, str]:
        """The per-dialogue outputs of the corpus rule: the stereo WAV, the info record, and the VA where it has
        one."""
        out = {"wav": path("corpus_wav", source=self.corpus), "info": path("corpus_info", source=self.corpus)}
        if self.has_reference:
            out["va"] = path("corpus_va", source=self.corpus)
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
