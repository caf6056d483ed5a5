"""Inputs and params of the render stage's rules (rules/render.smk): voice training, rendering, voice fidelity."""

from __future__ import annotations

from babbler.voices.registry import render_settings, voice_models
from babbler.workflow.paths import path, paths


class RenderInputs:
    """The render rules' input functions and params (mixed into RunPlan)."""

    def voice_training_audio(self, wildcards) -> list[str]:
        """Both speakers' mono tracks of the train and validation dialogues."""
        return self.mono_outputs(self.corpus, self.ids("train", "val"))

    def voice_training_prosody(self, wildcards) -> list[str]:
        """Both speakers' prosody of the train and validation dialogues."""
        return paths("prosody", source=self.corpus, dlg=self.ids("train", "val"), spk=["A", "B"])

    def voice_settings(self, wildcards) -> dict:
        """The render settings of the voice a system renders with."""
        return render_settings(self.config, self.system_voice(wildcards.system))

    def render_inputs(self, wildcards) -> dict[str, list[str]]:
        """Tracks of a generated set, the real audio it keeps, and the voice's trained models (none untrained)."""
        return {
            "tracks": paths("tracks", source=f"{wildcards.corpus}.{wildcards.system}", dlg=self.test_ids),
            "real": paths("corpus_wav", source=wildcards.corpus, dlg=self.test_ids),
            "model": paths("model", corpus=wildcards.corpus, model=voice_models(self.system_voice(wildcards.system))),
        }

    def fidelity_source(self, wildcards) -> str:
        """The generated set a voice's fidelity is measured on."""
        return f"{wildcards.corpus}.{self.fidelity_system(wildcards.voice)}"

    def fidelity_inputs(self, wildcards) -> dict[str, list[str] | str]:
        """What a voice's fidelity reads: its re-voicing's tracks, prosody, audio and VAD accuracy, the real audio."""
        source = self.fidelity_source(wildcards)
        return {
            "tracks": paths("tracks", source=source, dlg=self.test_ids),
            "prosody": self.prosody_files(source),
            "audio": self.mono_outputs(source, self.test_ids),
            "real": self.mono_outputs(wildcards.corpus, self.test_ids),
            "accuracy": path("vad_accuracy", source=source),
            "info": path("render_info", source=source),
        }

    def voice_fidelity_outputs(self) -> list[str]:
        """The fidelity of every reported voice."""
        return paths("voice_fidelity", corpus=self.corpus, voice=self.report_voices)

    def generated_outputs(self) -> list[str]:
        """Every generated set's timing and the voices' fidelity (none without models)."""
        if not self.has_models:
            return []
        timing = [t for system in self.generated for t in self.timing_outputs(f"{self.corpus}.{system}")]
        return timing + self.voice_fidelity_outputs()
