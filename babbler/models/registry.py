"""The frame-model registry: every module under `babbler/models/` (or a plugin) that declares `FRAME_MODEL` or
`FRAME_MODELS` adds its models; rules, training, sampling and evaluation read them from here, and any saved frame
model is loaded through it."""

from __future__ import annotations

from pathlib import Path

from babbler.errors import InputError
from babbler.models.files import load_torch
from babbler.models.spec import FrameModel
from babbler.util.registry import discover


def _discover() -> dict[str, FrameModel]:
    """Every declared frame model, the neural ones first, then in declaration order."""
    found = discover("babbler.models", ("FRAME_MODEL", "FRAME_MODELS"), FrameModel)
    return {m.name: m for m in sorted(found, key=lambda m: not m.neural)}


FRAME_MODELS: dict[str, FrameModel] = _discover()
NEURAL = tuple(n for n, m in FRAME_MODELS.items() if m.neural)


def describe_saved(state: dict) -> str:
    """What a saved file that is not a frame model is, in a user's words."""
    if "run_id" in state and "model" in state:
        return "a training checkpoint (what an unfinished run resumes from), not a trained model"
    kind = state.get("kind")
    if kind is None:
        return "not a babbler model file (it names no model kind)"
    return f"a saved {kind!r} model, not a frame model"


def load_model(path: str | Path):
    """Any saved frame model; each has `.stream(batch)`. Raises InputError naming the file if it is not one."""
    state = load_torch(path)
    kind = state.get("kind")
    try:
        if kind in FRAME_MODELS:
            return FRAME_MODELS[kind].load(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise InputError(path, f"a damaged {kind} model file ({type(exc).__name__}: {str(exc)[:200]})") from exc
    raise InputError(path, f"{describe_saved(state)}; expected a frame model ({', '.join(FRAME_MODELS)}), e.g. "
                           f"results/models/{{corpus}}/transformer.pt")
