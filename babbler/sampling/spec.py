"""What a generated system declares (`babbler.sampling.systems`): a frame model run in a mode, rendered by a voice."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class System:
    """How one generated set is made, rendered and reported."""

    name: str
    model: str | None  # the frame model it samples (babbler.models.registry); None: the test split's own tracks
    mode: str  # its sampling mode (babbler.sampling.modes.registry): what is generated, which real channels it keeps
    evaluated: bool  # compared with `real` in the evaluation and the report
    note: str  # what it is, in the report's summary table
    baseline: bool = False  # a reference the neural agent must beat
    voice: str | None = None  # a fixed voice; None: the configured sample.voice
    excerpt: bool = False  # only `voice.excerpt_seconds` of each dialogue (a voice check)
