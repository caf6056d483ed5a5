"""Inputs and params of the sample stage's rules (rules/sample.smk): tune and sample."""

from __future__ import annotations

from babbler.models.registry import FRAME_MODELS
from babbler.sampling.modes.registry import MODES, mode_settings
from babbler.sampling.systems import agent_system, system_spec
from babbler.sampling.tunables import AUTO, LISTEN_ODDS, TUNABLES, TuneSettings, needs_validation
from babbler.workflow.paths import path, paths


class SamplingInputs:
    """The tune and sample rules' input functions and params (mixed into RunPlan)."""

    def agent(self, system: str) -> bool:
        """Whether a system samples a neural frame model (the agent's systems: they take the tuned settings)."""
        model = system_spec(system).model
        return bool(model) and FRAME_MODELS[model].neural

    def markov_weight(self, system: str) -> float | str:
        """The count model's share in a system's frames: sample.markov_weight (a number or auto) for the agent's
        systems, 0 for the others."""
        return self.config["sample"]["markov_weight"] if self.agent(system) else 0

    def mode_settings(self, system: str) -> dict:
        """The settings of a system's mode (a mode's setting reruns only that mode's systems)."""
        return mode_settings(self.config, system_spec(system).mode)

    def prompt_adapt(self, system: str) -> float | str:
        """The prior strength with which the count model adapts to the real frames a system's mode gives before it
        generates (a continuation's prompt; a number or auto); 0: not at all."""
        given = MODES[system_spec(system).mode].given_frames(self.mode_settings(system))
        weight = self.markov_weight(system)
        return self.config["sample"]["prompt_adapt"] if (weight == AUTO or weight > 0) and given > 0 else 0

    def tunable_values(self, system: str) -> dict[str, float | str]:
        """The tunable settings as a system uses them (numbers, or auto for the value chosen on validation): the mix,
        the recalibration and the prompt adaptation for the agent's systems, the start odds for the agent's listener,
        the temperature for all (a baseline's auto one is 1)."""
        sample = self.config["sample"]
        listener = self.agent(system) and system_spec(system).mode == "listen"
        return {"markov_weight": self.markov_weight(system), "prompt_adapt": self.prompt_adapt(system),
                "temperature": sample["temperature"],
                "calibration": sample["calibration"] if self.agent(system) else TUNABLES["calibration"].neutral,
                **{k: sample[k] if listener else TUNABLES[k].neutral for k in LISTEN_ODDS}}

    @property
    def tunes(self) -> bool:
        """Whether the run chooses sample settings on validation (rule tune): some are left auto (or the agent's odds
        are recalibrated there), and there are models and an agent to choose them for."""
        return needs_validation(self.config["sample"]) and self.has_models and agent_system("selfplay") is not None

    def tune_inputs(self) -> list[str]:
        """The agent's frame model, then the count model it may be mixed with."""
        return paths("model", corpus=self.corpus, model=[system_spec(agent_system("selfplay")).model, "markov"])

    def tune_settings(self) -> dict:
        """How the settings left auto are chosen (babbler.sampling.tunables.TuneSettings), as a plain dict."""
        settings = TuneSettings.from_config(self.config)
        return {**settings.__dict__, "candidates": {k: list(v) for k, v in settings.candidates.items()}}

    def tuned_input(self, system: str) -> list[str]:
        """The settings chosen on validation, for the agent's systems of a run that tunes; none otherwise."""
        return [path("sampling", corpus=self.corpus)] if self.tunes and self.agent(system) else []

    def sampling_record(self) -> list[str]:
        """The settings chosen on validation (sampling.json) where the run tunes, for metrics.json; none otherwise."""
        return [path("sampling", corpus=self.corpus)] if self.tunes else []

    def fixed_sampling(self) -> dict:
        """metrics.json's `sampling` where nothing is chosen on validation: the configured values, as they are."""
        sample = self.config["sample"]
        return {"chosen": {k: sample[k] for k in TUNABLES}, "how": {k: "fixed in the config" for k in TUNABLES}}

    def sample_model(self, system: str) -> list[str]:
        """The frame model a system samples (none for resynthesis), then the markov model it is interpolated with."""
        model = system_spec(system).model
        models = [model] if model else []
        weight = self.markov_weight(system)
        if weight == AUTO or weight > 0:
            models.append("markov")
        return paths("model", corpus=self.corpus, model=models)

    def excerpt_seconds(self, system: str) -> float | None:
        """How much of each test dialogue a voice check samples (None: all of it)."""
        return self.config["voice"]["excerpt_seconds"] if system_spec(system).excerpt else None
