"""The voice registry: every module under `babbler/voices/` (or a plugin) that declares `VOICE = Voice(...)` is a
voice. Rules, rendering, fidelity, the report, the config schema and the live agent read voices from here; adding a
voice is one module (docs/extending.md)."""

from __future__ import annotations

from pathlib import Path

from babbler.util.registry import discover
from babbler.voices.spec import Voice


def _discover() -> dict[str, Voice]:
    """Every declared voice, the untrained ones first, then by name."""
    return {v.name: v for v in sorted(discover("babbler.voices", "VOICE", Voice), key=lambda v: (v.trains, v.name))}


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
