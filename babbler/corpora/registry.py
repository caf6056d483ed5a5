"""The corpus registry: every module under `babbler/corpora/` (or a plugin) that declares `CORPUS = Corpus(...)`."""

from __future__ import annotations

from babbler.corpora.common import Corpus
from babbler.util.registry import discover

CORPORA: dict[str, Corpus] = {c.name: c for c in discover("babbler.corpora", "CORPUS", Corpus)}
