"""The corpora a run can use: the embedded `demo` synthesizer, HCRC `maptask`, `switchboard` by its public word
alignments, and a `local` folder.

Adding a corpus is a module here that defines `CORPUS = Corpus(...)` (babbler.corpora.common), its entry
in CORPORA and its section in schemas/config.schema.yaml; one rule and one script serve every corpus.
"""

from __future__ import annotations

from babbler.corpora import demo, local, maptask, switchboard
from babbler.corpora.common import Corpus

CORPORA: dict[str, Corpus] = {c.name: c for c in (demo.CORPUS, maptask.CORPUS, switchboard.CORPUS, local.CORPUS)}
