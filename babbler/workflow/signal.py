"""Inputs and outputs of the mono and prosody stages' rules (rules/mono.smk, rules/prosody.smk)."""

from __future__ import annotations

from babbler.corpora import speakers
from babbler.corpora.speakers import SOURCE as SPEAKERS
from babbler.workflow.paths import path, paths


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

    def prosody_inputs(self, wildcards) -> dict[str, str]:
        """Both speakers' mono tracks, plus the reference VA when vad.method is 'reference' (a corpus's; the human
        recordings of `voice.speakers` have none, so their VA is always the intensity VAD's)."""
        where = {"source": wildcards.source, "dlg": wildcards.dlg}
        inputs = {"a": path("mono", spk="A", **where), "b": path("mono", spk="B", **where)}
        if self.config["vad"]["method"] == "reference" and wildcards.source != SPEAKERS:
            inputs["reference"] = path("corpus_va", **where)
        return inputs

    def mono_settings(self, wildcards) -> dict:
        """The `audio` section a source's mono tracks are made with: the human recordings of `voice.speakers` keep
        their own rate (`voice.speakers.sample_rate`), so a corpus at another rate renders in the same voices."""
        if wildcards.source == SPEAKERS:
            return {**self.config["audio"], "sample_rate": self.config["voice"]["speakers"]["sample_rate"]}
        return self.config["audio"]

    def vad_settings(self, wildcards) -> dict:
        """The `vad` section the prosody of a source uses (`source_vad`)."""
        return self.source_vad(wildcards.source)

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
