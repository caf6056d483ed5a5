"""Error types that name the file or config key at fault."""

from __future__ import annotations

from pathlib import Path


class BabblerError(Exception):
    """Base class of the errors babbler raises on purpose."""


class InputError(BabblerError):
    """A file the workflow reads is unusable; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class OutputError(BabblerError):
    """A file cannot be written (a full disk, a folder in its place); the message names the file and the cause."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"cannot write {self.path}: {problem}")


class ConfigError(BabblerError):
    """The workflow config is invalid; the message names the key."""

    def __init__(self, key: str, problem: str):
        self.key = key
        self.problem = problem
        super().__init__(f"config key '{key}': {problem}")


class DownloadError(BabblerError):
    """A download failed for good (after retries, or with an error that retrying cannot fix)."""
