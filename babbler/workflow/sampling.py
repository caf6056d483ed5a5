"""Inputs and params of the sample stage's rule (rules/sample.smk)."""

from __future__ import annotations

from babbler.models.registry import FRAME_MODELS
from babbler.sampling.modes.registry import MODES, mode_settings
from babbler.sampling.systems import system_spec
from babbler.workflow.paths import paths


class SamplingInputs:
    """The sample rule's input functions and params (mixed into RunPlan)."""

    def markov_weight(self, system: str) -> float:
        """The count model's share in a system's frames: sample.markov_weight for the agent's (neural) systems."""
        model = system_spec(system).model
        return self.config["sample"]["markov_weight"] if model and FRAME_MODELS[model].neural else 0

    def mode_settings(self, system: str) -> dict:
        """The settings of a system's mode (a mode's setting reruns only that mode's systems)."""
        return mode_settings(self.config, system_spec(system).mode)

    def prompt_adapt(self, system: str) -> float:
        """The prior strength with which the count model adapts to the real frames a system's mode gives before it
        generates (a continuation's prompt); 0: not at all."""
        given = MODES[system_spec(system).mode].given_frames(self.mode_settings(system))
        return self.config["sample"]["prompt_adapt"] if self.markov_weight(system) > 0 and given > 0 else 0

    def sample_model(self, system: str) -> list[str]:
        """The frame model a system samples (none for resynthesis), then the markov model it is interpolated with."""
        model = system_spec(system).model
        models = [model] if model else []
        if self.markov_weight(system) > 0:
            models.append("markov")
        return paths("model", corpus=self.corpus, model=models)

    def excerpt_seconds(self, system: str) -> float | None:
        """How much of each test dialogue a voice check samples (None: all of it)."""
        return self.config["voice"]["excerpt_seconds"] if system_spec(system).excerpt else None
