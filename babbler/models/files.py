"""Model and checkpoint files: saved holding only tensors and plain values, and loaded as data, so that a file from
anyone can be opened without running code."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from babbler.errors import InputError
from babbler.util.fileio import atomic_path


def plain(obj):
    """`obj` with numpy arrays as tensors and numpy scalars as Python numbers: what `torch.load(weights_only=True)`
    reads back without running code."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def save_torch(dest: str | Path, obj: dict) -> None:
    """Write a model or checkpoint atomically, holding only tensors and plain values (see `plain`)."""
    with atomic_path(dest) as tmp:
        torch.save(plain(obj), tmp)


def load_torch(path: str | Path) -> dict:
    """A saved model or checkpoint as data: tensors and plain values only, never an object whose loading runs code.

    Raises InputError naming the file if it is missing, not a torch file, or holds anything else (a pickle that
    would call a function, a numpy array of an older babbler's baseline)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist" if not path.exists() else "is not a file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc):
            raise InputError(path, f"not a babbler model file (torch cannot read it: {str(exc)[:120]})") from exc
        lines = str(exc).split("\n")
        culprit = next((line.strip() for line in lines if "GLOBAL" in line or "Unsupported" in line), "")
        raise InputError(path, f"refused: it holds Python objects other than tensors and plain values, which could "
                               f"run code when loaded ({culprit[:160]}). babbler loads only what it saves itself; "
                               f"if an older babbler wrote it, rerun the rule that made it") from exc
    except Exception as exc:  # torch raises many types for a file it did not write (IndexError for a WAV)
        raise InputError(path, f"not a babbler model file (torch cannot read it: {type(exc).__name__})") from exc
    if not isinstance(state, dict):
        raise InputError(path, f"not a babbler model file (it holds a {type(state).__name__}, not a saved model)")
    return state
