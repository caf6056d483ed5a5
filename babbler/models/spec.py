"""What a frame model declares to the registry (`babbler.models.registry`): `FRAME_MODEL = FrameModel(...)` (or a
tuple `FRAME_MODELS`) in its module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from babbler.models.selection import Selection, TimingSelection


@dataclass(frozen=True)
class FitJob:
    """What fitting one frame model gets (rule `train`) and where it writes."""

    train: list[np.ndarray]  # (T, 2) token tracks of the train split
    val: list[np.ndarray]  # … and of the validation split
    settings: dict  # the model's config section `model.{name}`
    train_settings: dict  # config `train` (neural models; {} for the others)
    select: dict  # the sampling settings a checkpoint is chosen for (train.select: timing): sample.stop, run_limits
    model_path: Path
    metrics_path: Path  # per step (neural) or one row (the others): the report's training curves
    checkpoint: Path  # resumable state (neural models)
    threads: int  # CPU threads the job may use
    scorer: Callable[[TimingSelection], Selection] | None = None  # selfplay timing, handed in by the train script


@dataclass(frozen=True)
class FrameModel:
    """A frame model: its name (config key, wildcard, saved `kind`), how it is fitted and loaded."""

    name: str
    note: str  # one line: what it is
    fit: Callable[[FitJob], dict]  # fit, write model_path and metrics_path, return a summary for the log
    load: Callable[[dict], Any]  # a saved state (its `kind` is the name) → a model with `.stream(batch)`
    neural: bool = False  # trains with config `train`; the agent's systems mix it with the count model
    schema: dict | None = None  # JSON schema of its section `model.{name}` where schemas/config.schema.yaml has none
