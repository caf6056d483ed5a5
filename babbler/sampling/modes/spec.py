"""What a sampling mode declares to the registry (`babbler.sampling.modes`): `MODE = Mode(...)` in its module. A mode
owns what is generated and what stays real (its plan), the real channels its rendering keeps, the `sample` settings
it reads, and its own metrics, tables, warnings and report section."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from markupsafe import Markup


@dataclass(frozen=True)
class ModeEvents:
    """What a mode's evaluation reads (rule evaluate)."""

    real: dict[str, pd.DataFrame]  # events of the human test dialogues
    generated: dict[str, dict[str, pd.DataFrame]]  # events of every evaluated system's dialogues
    by_mode: dict[str, list[str]]  # the evaluated systems of every mode, in registry order
    real_stats: pd.DataFrame  # stats.csv rows of the human test dialogues
    settings: dict  # this mode's settings

    def first(self, mode: str) -> dict[str, pd.DataFrame]:
        """The events of the first evaluated system in a mode ({} when it has none)."""
        systems = self.by_mode.get(mode) or []
        return self.generated.get(systems[0], {}) if systems else {}


@dataclass(frozen=True)
class ModeResult:
    """A mode's share of the evaluation: metrics.json[mode] and its tables (eval/{corpus}/{name}.csv)."""

    metrics: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _all_generated(n_frames: int, settings: dict) -> None:
    """No real channel kept: the rendering is all babble."""
    return None


def _nothing_given(settings: dict) -> int:
    """No real frames before the model generates."""
    return 0


def _no_warnings(events: ModeEvents) -> list[str]:
    """Nothing to warn of."""
    return []


@dataclass(frozen=True)
class Mode:
    """A sampling mode: its name, the given/free frames it asks a model to fill, and what it adds to the evaluation."""

    name: str
    note: str  # one line: what is generated
    plan: Callable[[list[np.ndarray], dict], np.ndarray | None]  # real test tracks, settings → plan (None: as they are)
    settings: tuple[str, ...] = ()  # the `sample` config keys it reads (its rules' params)
    kept: Callable[[int, dict], dict[str, np.ndarray] | None] = _all_generated  # per speaker, frames kept real
    given_frames: Callable[[dict], int] = _nothing_given  # real frames each dialogue gives before generation
    evaluate: Callable[[ModeEvents], ModeResult] | None = None
    tables: tuple[str, ...] = ()  # the CSV tables its evaluation writes (names of ModeResult.tables)
    warnings: Callable[[ModeEvents], list[str]] = _no_warnings
    report: Callable[[dict, dict[str, pd.DataFrame]], tuple[str, Markup]] | None = None  # (metrics, tables) → section
