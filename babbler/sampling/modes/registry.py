"""The mode registry: every module under `babbler/sampling/modes/` (or a plugin) that declares `MODE = Mode(...)`."""

from __future__ import annotations

from babbler.sampling.modes.spec import Mode
from babbler.util.registry import discover

MODES: dict[str, Mode] = {m.name: m for m in discover("babbler.sampling.modes", "MODE", Mode)}


def mode_settings(config: dict, mode: str) -> dict:
    """A mode's settings from a config: exactly the `sample` keys it reads (its rules' rerun trigger)."""
    return {key: config["sample"][key] for key in MODES[mode].settings}
