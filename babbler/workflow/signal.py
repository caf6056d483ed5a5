"""Inputs and outputs of the mono and prosody stages' rules (rules/mono.smk, rules/prosody.smk)."""

from __future__ import annotations

from babbler.corpora import speakers
from babbler.corpora.speakers import SOURCE as SPEAKERS
from babbler.workflow.batches import Batch
from babbler.workflow.paths import paths


class SignalInputs:
    """The mono and prosody rules' input functions (mixed into RunPlan)."""

    def mono_outputs(self, source: str, dialogues: list[str]) -> list[str]:
        """Both speakers' mono tracks of some dialogues of a source."""
        return paths("mono", source=source, dlg=dialogues, spk=["A", "B"])

    def speaker_files(self, name: str, *splits: str) -> list[str]:
        """Files (`mono` or `prosody`) of the human recordings' sessions of some splits (`voice.speakers`): channel
        A, the speech, of each seat's session, seat by seat."""
        dlg = [speakers.session(s, p) for s in speakers.SEATS for p in splits]
        return paths(name, source=SPEAKERS, dlg=dlg, spk="A")

    def prosody_inputs(self, batch: Batch) -> dict[str, list[str]]:
        """Both speakers' mono tracks of a batch, plus the reference VA when vad.method is 'reference' (a corpus's;
        the human recordings of `voice.speakers` have none, so their VA is always the intensity VAD's)."""
        inputs = {"a": batch.files("mono", spk="A"), "b": batch.files("mono", spk="B")}
        if self.source_vad(batch.source)["method"] == "reference":
            inputs["reference"] = batch.files("corpus_va")
        return inputs

    def mono_settings(self, source: str) -> dict:
        """The `audio` section a source's mono tracks are made with: the human recordings of `voice.speakers` keep
        their own rate (`voice.speakers.sample_rate`), so a corpus at another rate renders in the same voices."""
        if source == SPEAKERS:
            return {**self.config["audio"], "sample_rate": self.config["voice"]["speakers"]["sample_rate"]}
        return self.config["audio"]

    def source_vad(self, source: str) -> dict:
        """The `vad` section of a source: the human recordings of `voice.speakers` have no reference VA, so
        'reference' falls back to the intensity VAD there."""
        vad = self.config["vad"]
        if source == SPEAKERS and vad["method"] == "reference":
            return {**vad, "method": "intensity"}
        return vad

    def prosody_files(self, source: str, speakers: tuple[str, ...] = ("A", "B")) -> list[str]:
        """Prosody parquets of every dialogue of a source."""
        return paths("prosody", source=source, dlg=self.source_dialogues(source), spk=list(speakers))
