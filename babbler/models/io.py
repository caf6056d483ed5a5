"""Saving and loading any frame model, and the streams sampling and evaluation use."""

from __future__ import annotations

from pathlib import Path

import torch

from babbler.fileio import atomic_path
from babbler.models.baselines import load_baseline
from babbler.models.transformer import load_transformer

MODELS = ("transformer", "markov", "independent")


def save_baseline(path: str | Path, model) -> None:
    """Save a baseline's arrays."""
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)


def load_model(path: str | Path):
    """Any saved frame model; each has `.stream(batch)`."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("kind") == "transformer":
        return load_transformer(state)
    return load_baseline(state)
