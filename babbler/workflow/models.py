"""Inputs and params of the dataset and train stages' rules (rules/dataset.smk, rules/train.smk)."""

from __future__ import annotations

from babbler.models.registry import FRAME_MODELS
from babbler.util.seeds import seeded_subset
from babbler.workflow.paths import paths


def validation_draw(ids: list[str], config: dict) -> list[str]:
    """The validation dialogues a frame model is checked on: all of `ids`, or a seeded draw of `train.val_dialogues`
    where there are more (a validation pass's cost, and selfplay timing's, then stays bounded)."""
    return seeded_subset(ids, config["train"]["val_dialogues"], config["corpus"]["seed"], "val_dialogues")


def training_settings(config: dict) -> dict:
    """The `train` settings a neural frame model's training reads (TrainConfig): all but the validation draw's size,
    which `validation_draw` applies."""
    return {k: v for k, v in config["train"].items() if k != "val_dialogues"}


class ModelInputs:
    """The train rules' input functions and params (mixed into RunPlan)."""

    @staticmethod
    def neural(model: str) -> bool:
        """Whether a frame model is a neural one (trained with config `train`, on every core)."""
        return FRAME_MODELS[model].neural

    def model_settings(self, wildcards) -> dict:
        """The config section of one frame model (its own rerun trigger)."""
        return self.config["model"].get(wildcards.model, {})

    def train_settings(self, wildcards) -> dict:
        """Optimisation settings: only the neural models use them (the validation draw is `validation_ids`)."""
        return training_settings(self.config) if self.neural(wildcards.model) else {}

    def validation_ids(self) -> list[str]:
        """The validation dialogues the frame models are checked on (`validation_draw`)."""
        return validation_draw(self.ids("val"), self.config)

    def select_settings(self, wildcards) -> dict:
        """The sampling settings a checkpoint chosen by selfplay timing (train.select: timing) is chosen for."""
        if not self.neural(wildcards.model) or self.config["train"]["select"] != "timing":
            return {}
        return {k: self.config["sample"][k] for k in ("stop", "run_limits")}

    def frame_model_outputs(self) -> list[str]:
        """Every frame model's test evaluation (none when the corpus is too small for models)."""
        return paths("frame_eval", corpus=self.corpus, model=list(FRAME_MODELS)) if self.has_models else []
