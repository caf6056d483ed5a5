"""Inputs and params of the render stage's rules (rules/render.smk): voice training, rendering, voice fidelity."""

from __future__ import annotations

from babbler.corpora import speakers
from babbler.errors import ConfigError
from babbler.util.seeds import seeded_subset
from babbler.voices.registry import VOICES, render_settings, voice_models
from babbler.workflow.batches import Batch
from babbler.workflow.paths import path, paths


class RenderInputs:
    """The render rules' input functions and params (mixed into RunPlan)."""

    def voice_training_inputs(self, wildcards) -> dict[str, list[str] | str]:
        """What a neural voice trains on: each seat's train and validation sessions of human speech (their channel
        A) where `voice.speakers` gives them, else both speakers of the corpus's train and validation dialogues (at
        most `voice.train_dialogues` of each) and the dataset (the speakers' scales)."""
        if wildcards.corpus == speakers.SOURCE:
            return {"audio": self.speaker_files("mono", "train", "val"),
                    "prosody": self.speaker_files("prosody", "train", "val")}
        ids = self.voice_dialogues("train") + self.voice_dialogues("val")
        return {"frames": path("frames", corpus=self.corpus), "splits": path("splits", corpus=self.corpus),
                "audio": self.mono_outputs(self.corpus, ids),
                "prosody": paths("prosody", source=self.corpus, dlg=ids, spk=["A", "B"])}

    def voice_dialogues(self, split: str) -> list[str]:
        """The corpus dialogues of a split that the neural voices learn from: all, or a seeded draw of
        `voice.train_dialogues` where the split has more (sorted)."""
        return seeded_subset(self.ids(split), self.config["voice"]["train_dialogues"], self.config["corpus"]["seed"],
                             "voice_dialogues", split)

    def speaker_recordings(self, wildcards) -> str:
        """The folder or zip of a seat's human recordings."""
        if not self.speakers:
            raise ConfigError("voice.speakers", "no human recordings are given, so there are no speaker sessions")
        return self.config["voice"]["speakers"][wildcards.seat]

    def speaker_settings(self) -> dict:
        """How the seats' recordings are split and laid out (their rule's rerun trigger; not the paths)."""
        return {k: self.config["voice"]["speakers"][k] for k in speakers.LAYOUT_KEYS}

    def speech_likeness_settings(self) -> dict:
        """What the speech-likeness measure reads of `voice.speakers`."""
        return {k: self.config["voice"]["speakers"][k] for k in ("seed", "eval_seconds", "sample_rate")}

    def speech_likeness_inputs(self, wildcards) -> dict[str, list[str]]:
        """What a voice's speech likeness reads: its trained models, each seat's held-out session (channel A's
        audio and prosody) and clips table."""
        return {"model": paths("model", corpus=self.voice_corpus, model=voice_models(wildcards.voice)),
                "audio": self.speaker_files("mono", "test"), "prosody": self.speaker_files("prosody", "test"),
                "clips": paths("speaker_clips", seat=list(speakers.SEATS))}

    def voice_settings(self, system: str) -> dict:
        """The render settings of the voice a system renders with."""
        return render_settings(self.config, self.system_voice(system))

    def render_inputs(self, system: str, batch: Batch) -> dict[str, list[str]]:
        """Tracks of a batch of a generated set, the real audio it keeps, and the voice's trained models (none
        untrained); for a voice learned from `voice.speakers`, each seat's training speech (its pitch and level)."""
        voice = self.system_voice(system)
        inputs = {
            "tracks": batch.files("tracks"),
            "real": paths("corpus_wav", source=self.corpus, dlg=list(batch.dialogues)),
            "model": paths("model", corpus=self.voice_corpus, model=voice_models(voice)),
        }
        if self.speakers and VOICES[voice].trains:
            inputs["seats"] = self.speaker_files("prosody", "train")
        return inputs

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
            **({"speech": path("speech_likeness", voice=wildcards.voice)} if self.speakers else {}),
        }

    def voice_fidelity_outputs(self) -> list[str]:
        """The fidelity of every reported voice."""
        return paths("voice_fidelity", corpus=self.corpus, voice=self.report_voices)

    def generated_outputs(self) -> list[str]:
        """Every generated set's timing, manifest and render record, and the voices' fidelity (none without
        models)."""
        if not self.has_models:
            return []
        sources = [f"{self.corpus}.{system}" for system in self.generated]
        timing = [t for source in sources for t in self.timing_outputs(source)]
        summaries = [path(name, source=source) for source in sources for name in ("manifest", "render_info")]
        return timing + summaries + self.voice_fidelity_outputs()
