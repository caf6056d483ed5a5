"""What a voice declares to the registry (`babbler.voices.registry`): one `VOICE = Voice(...)` per module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from babbler.voices.source_filter import Tracks

# render(tracks, sample_rate, seed, model, settings) -> one waveform per track at sample_rate, each as long as its
# track (len(va) / 50 s); `model` is what `load` returned (None for a voice that does not train) and `settings` the
# voice's config section `voice.{name}` without its `model` and `train` sub-sections.
Render = Callable[[list["Tracks"], int, int, Any, dict], list[np.ndarray]]


@dataclass(frozen=True)
class Voice:
    """A voice: its name (config key and wildcard), whether it trains, and how it renders."""

    name: str
    trains: bool
    note: str  # one line for the report and the README
    render: Render
    build: Callable[[dict], Any] | None = None  # model from `voice.{name}.model` (trainable voices)
    load: Callable[..., Any] | None = None  # a saved model (trainable voices): load(path, *paths of `needs`)
    needs: tuple[str, ...] = ()  # other trained voices whose models this voice renders with (after its own)
