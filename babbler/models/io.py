"""Saving and loading any frame model, and the streams sampling and evaluation use."""

from __future__ import annotations

from pathlib import Path

from babbler.errors import InputError
from babbler.models.files import load_torch, save_torch
from babbler.models.baselines import BASELINES, load_baseline
from babbler.models.transformer import load_transformer

MODELS = ("transformer", *BASELINES)


def save_baseline(path: str | Path, model) -> None:
    """Save a baseline's arrays (as tensors: the file loads without running code)."""
    save_torch(path, model.state_dict())


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
        if kind == "transformer":
            return load_transformer(state)
        if kind in BASELINES:
            return load_baseline(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise InputError(path, f"a damaged {kind} model file ({type(exc).__name__}: {str(exc)[:200]})") from exc
    raise InputError(path, f"{describe_saved(state)}; expected a frame model ({', '.join(MODELS)}), e.g. "
                           f"results/models/{{corpus}}/transformer.pt")
