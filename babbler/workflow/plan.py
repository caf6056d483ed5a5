"""What a run makes, known at parse time from its config: the corpus's dialogues and split, the generated sets
(every evaluated system and every reported voice's excerpt), and the voice that renders each; the rules call it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from babbler.corpora import speakers
from babbler.corpora.registry import CORPORA
from babbler.corpora.splits import assign_splits
from babbler.models.registry import FRAME_MODELS
from babbler.sampling.systems import (
    EVALUATED,
    SYSTEMS,
    system_spec,
    topline_system,
    voice_check,
)
from babbler.workflow.batches import BatchInputs
from babbler.workflow.corpus import CorpusInputs
from babbler.workflow.evaluation import EvaluationInputs
from babbler.workflow.models import ModelInputs
from babbler.workflow.render import RenderInputs
from babbler.workflow.sampling import SamplingInputs
from babbler.workflow.signal import SignalInputs
from babbler.workflow.timing import TimingInputs


@dataclass(frozen=True, eq=False)  # hashed by identity: its methods are the rules' input functions; what it derives
# from the config is computed once (cached_property)
class RunPlan(BatchInputs, CorpusInputs, SignalInputs, TimingInputs, ModelInputs, SamplingInputs, RenderInputs,
              EvaluationInputs):
    """The corpus, its dialogues and split, and every generated set of one run; each stage's input functions come
    from its mixin (babbler.workflow.{stage})."""

    config: dict
    corpus: str
    dialogues: list[str]
    split: dict[str, str]  # dialogue → train, val or test

    @classmethod
    def from_config(cls, config: dict) -> RunPlan:
        """The plan of a schema-checked config."""
        unknown = {s.name: s.model for s in SYSTEMS.values() if s.model is not None and s.model not in FRAME_MODELS}
        if unknown:
            raise RuntimeError(f"systems name frame models that are not registered: {unknown}; the frame models "
                               f"are {', '.join(FRAME_MODELS)}")
        corpus = config["corpus"]
        dialogues = CORPORA[corpus["name"]].dialogue_ids(corpus)
        split = assign_splits(dialogues, corpus["seed"], corpus["split"]["val"], corpus["split"]["test"])
        return cls(config, corpus["name"], dialogues, split)

    def ids(self, *splits: str) -> list[str]:
        """The dialogues of some splits, sorted."""
        return sorted(d for d, s in self.split.items() if s in splits)

    @cached_property
    def test_ids(self) -> list[str]:
        """The held-out test dialogues every system is generated for."""
        return self.ids("test")

    @cached_property
    def has_models(self) -> bool:
        """Whether there are dialogues to train on and to test on (a tiny corpus stops after the timing stage)."""
        return bool(self.test_ids) and bool(self.ids("train"))

    @cached_property
    def has_reference(self) -> bool:
        """Whether the corpus comes with its own voice activity."""
        return CORPORA[self.corpus].has_reference(self.config["corpus"])

    @cached_property
    def speakers(self) -> bool:
        """Whether the voices learn from human recordings given per seat (`voice.speakers`), not from the corpus."""
        return speakers.configured(self.config["voice"])

    @cached_property
    def voice_corpus(self) -> str:
        """Where the trained voices live (models/{voice_corpus}/): `speakers` when they learn from
        `voice.speakers`, else the corpus."""
        return speakers.SOURCE if self.speakers else self.corpus

    @cached_property
    def report_voices(self) -> list[str]:
        """The configured voice, then every voice listed in `voices`: each gets a fidelity row."""
        return list(dict.fromkeys([self.config["sample"]["voice"], *self.config["voices"]]))

    @cached_property
    def eval_systems(self) -> list[str]:
        """The systems compared with `real`, in report order."""
        return list(EVALUATED)

    def system_voice(self, system: str) -> str:
        """The voice that renders a generated system: its own, else the configured one."""
        return system_spec(system).voice or self.config["sample"]["voice"]

    def fidelity_system(self, voice: str) -> str:
        """The resynthesis set a voice's fidelity is measured on: the topline (`resynth`) for the configured voice,
        else its excerpt set."""
        topline = topline_system()
        return topline if topline and self.system_voice(topline) == voice else voice_check(voice)

    @cached_property
    def generated(self) -> list[str]:
        """Every generated set the run makes: the evaluated systems and the reported voices' excerpts."""
        return list(dict.fromkeys([*self.eval_systems, *(self.fidelity_system(v) for v in self.report_voices)]))

    def source_dialogues(self, source: str) -> list[str]:
        """Dialogue ids of a source: the corpus, or a generated set `{corpus}.{system}` (one per test dialogue)."""
        if source == self.corpus:
            return self.dialogues
        if source == speakers.SOURCE and self.speakers:
            return speakers.sessions()
        if source.startswith(f"{self.corpus}.") and source.split(".", 1)[1] in self.generated:
            return self.test_ids
        raise ValueError(f"unknown source {source!r}")

    def source_has_reference(self, source: str) -> bool:
        """Whether a source has reference VA: a generated set always (the VA that drove it), the corpus if given."""
        return source != self.corpus or self.has_reference
