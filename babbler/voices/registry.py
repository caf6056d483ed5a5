"""The voice registry: every module under `babbler/voices/` that declares `VOICE = Voice(...)` is a voice.

Rules, rendering, fidelity and the report read voices from here; adding a voice is one module (and its
`voice.{name}` entry in the config schema)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import babbler.voices as _pkg
from babbler.voices.spec import Voice


def _discover() -> dict[str, Voice]:
    """Every voice module's VOICE, the untrained ones first, then by name."""
    found = []
    for mod in pkgutil.iter_modules(_pkg.__path__):
        voice = getattr(importlib.import_module(f"{_pkg.__name__}.{mod.name}"), "VOICE", None)
        if isinstance(voice, Voice):
            found.append(voice)
    names = [v.name for v in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two voice modules declare the same name: {sorted(names)}")
    return {v.name: v for v in sorted(found, key=lambda v: (v.trains, v.name))}


VOICES: dict[str, Voice] = _discover()
TRAINED = tuple(n for n, v in VOICES.items() if v.trains)


def render_settings(config: dict, name: str) -> dict:
    """A voice's render settings: its config section without the `model` and `train` sub-sections."""
    return {k: v for k, v in (config.get("voice", {}).get(name) or {}).items() if k not in ("model", "train")}


def voice_models(name: str) -> list[str]:
    """The trained voices whose saved models a voice renders with: itself, then what it needs ([] untrained)."""
    voice = VOICES[name]
    return [name, *voice.needs] if voice.trains else list(voice.needs)


def load_voice_model(name: str, paths):
    """What a voice renders with (None for a voice that does not train): its saved model, loaded together with the
    models of the voices it needs; `paths` in the order of `voice_models(name)` (one path alone: its own)."""
    voice = VOICES[name]
    if not voice.trains:
        return None
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    if len(paths) != 1 + len(voice.needs):
        raise ValueError(f"{name}: needs {1 + len(voice.needs)} saved models ({voice_models(name)}), got {paths}")
    return voice.load(*map(str, paths))
