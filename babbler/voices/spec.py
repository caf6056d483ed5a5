"""What a voice declares to the registry (`babbler.voices.registry`): one `VOICE = Voice(...)` per module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Tracks:
    """Frame tracks of one speaker: VA (bool), F0 in Hz (NaN unvoiced) and intensity in dB re 20 µPa."""

    va: np.ndarray
    f0: np.ndarray
    intensity: np.ndarray
    frame_rate: float = 100.0

    def __post_init__(self) -> None:
        self.va = np.asarray(self.va, dtype=bool)
        self.f0 = np.asarray(self.f0, dtype=float)
        self.intensity = np.asarray(self.intensity, dtype=float)
        if not (len(self.va) == len(self.f0) == len(self.intensity)):
            raise ValueError("va, f0 and intensity tracks must have the same length")

    @property
    def duration(self) -> float:
        """Duration covered by the tracks, in seconds."""
        return len(self.va) / self.frame_rate


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
    schema: dict | None = None  # JSON schema of its section `voice.{name}` where schemas/config.schema.yaml has none
    # a 20 ms-at-a-time renderer for the live agent: stream(scale, sample_rate, f0, seed) → an object whose
    # `frame(token)` gives the next frame's audio and whose `scale` (SpeakerScale) may change between frames;
    # None: the voice renders whole tracks only (`babbler respond` renders the agent's track after the loop)
    stream: Callable[..., Any] | None = None
