"""Inputs and params of the evaluate stage's rules (rules/evaluate.smk): metrics, figures, the report."""

from __future__ import annotations

from babbler.models.registry import FRAME_MODELS
from babbler.sampling.modes.registry import MODES, mode_settings
from babbler.sampling.systems import agent_system
from babbler.voices.registry import VOICES
from babbler.workflow.paths import path, paths


class EvaluationInputs:
    """The evaluate, plots and report rules' input functions and params (mixed into RunPlan)."""

    def evaluated_sources(self, corpus: str) -> list[str]:
        """The human corpus and every evaluated system's generated set, in report order."""
        return [corpus] + [f"{corpus}.{s}" for s in self.eval_systems]

    def evaluation_events(self, wildcards) -> list[str]:
        """Events of every human dialogue (the noise floor) and of every evaluated system's dialogues."""
        human = paths("events", source=wildcards.corpus, dlg=self.dialogues)
        return human + paths("events", source=self.evaluated_sources(wildcards.corpus)[1:], dlg=self.test_ids)

    def evaluation_stats(self, wildcards) -> list[str]:
        """stats.csv of the human corpus and of every evaluated system."""
        return [path("stats", source=s) for s in self.evaluated_sources(wildcards.corpus)]

    def eval_tables(self) -> list[str]:
        """The evaluation's tables: the systems and distances, and every mode's own (continuation.csv)."""
        return ["systems", "distances", *(t for m in MODES.values() for t in m.tables)]

    def all_mode_settings(self) -> dict[str, dict]:
        """Every mode's settings (the evaluation's params)."""
        return {m: mode_settings(self.config, m) for m in MODES}

    def timeline_inputs(self, wildcards) -> list[str]:
        """Speaker A's prosody of the first test dialogue in the human corpus and every system (B beside it)."""
        return [path("prosody", source=s, dlg=self.test_ids[0], spk=spk)
                for s in self.evaluated_sources(wildcards.corpus) for spk in "AB"]

    def spectrogram_labels(self) -> list[str]:
        """The spectrogram panels: the human channel, selfplay in the configured voice, then every reported voice
        re-voicing the same excerpt of the first test dialogue."""
        return ["real (speaker A of the first test dialogue)",
                f"{agent_system('selfplay')}, {self.config['sample']['voice']} voice (speaker A)",
                *(f"{v} voice, resynthesis (speaker A)" for v in self.report_voices)]

    def spectrogram_inputs(self, wildcards) -> list[str]:
        """Speaker A's mono audio behind the spectrogram panels (spectrogram_labels order)."""
        sources = [wildcards.corpus, f"{wildcards.corpus}.{agent_system('selfplay')}"]
        sources += [f"{wildcards.corpus}.{self.fidelity_system(v)}" for v in self.report_voices]
        return [path("mono", source=s, dlg=self.test_ids[0], spk="A") for s in sources]

    def report_audio(self, wildcards) -> list[str]:
        """Stereo WAVs of the first test dialogue behind the report's players (real, then every evaluated system)."""
        return [path("corpus_wav", source=s, dlg=self.test_ids[0]) for s in self.evaluated_sources(wildcards.corpus)]

    def voice_audio(self, wildcards) -> list[str]:
        """Per reported voice, its stereo re-voicing of the first test dialogue (the voices table's players)."""
        return [path("corpus_wav", source=f"{wildcards.corpus}.{self.fidelity_system(v)}", dlg=self.test_ids[0])
                for v in self.report_voices]

    def held_out_speech(self) -> list[str]:
        """Each seat's held-out human speech (`voice.speakers`; none without), the report's reference player."""
        return self.speaker_files("mono", "test") if self.speakers else []

    def speech_babble(self) -> list[str]:
        """Every reported voice's babble from the held-out speech's tracks (`voice.speakers`; none without)."""
        return paths("speech_babble", voice=self.report_voices) if self.speakers else []

    def training_curves(self, wildcards) -> list[str]:
        """Metrics of every trained frame model and of every trained voice that is reported."""
        voices = [v for v in self.report_voices if VOICES[v].trains]
        return (paths("model_metrics", corpus=wildcards.corpus, model=list(FRAME_MODELS))
                + paths("model_metrics", corpus=self.voice_corpus, model=voices))

    def report_notes(self) -> dict[str, str]:
        """What every frame model and reported voice is, in one line each (the report's tables)."""
        return {**{m: spec.note for m, spec in FRAME_MODELS.items()}, **{v: VOICES[v].note for v in self.report_voices}}

    def report_outputs(self) -> list[str]:
        """The evaluation's metrics and the HTML report (none without models)."""
        if not self.has_models:
            return []
        return [path("metrics", corpus=self.corpus), path("report", corpus=self.corpus)]
