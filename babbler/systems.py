"""The generated systems compared with human timing: one description each, read by the rules, the sample and
render scripts, the evaluation and the report (design: Systems compared in the report).

Adding a system is one entry in SYSTEMS (with one of the MODES, or a new mode in `sampling.system_plan` and
`kept_channels`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("resynth", "selfplay", "continuation", "listen")


@dataclass(frozen=True)
class System:
    """How one generated set is made, rendered and reported."""

    name: str
    model: str | None  # the frame model it samples; None: the test split's own tracks
    mode: str  # one of MODES: what is generated and which real channels it keeps
    evaluated: bool  # compared with `real` in the evaluation and the report
    note: str  # what it is, in the report's summary table
    baseline: bool = False  # a reference the neural agent must beat
    voice: str | None = None  # a fixed voice; None: the configured sample.voice
    excerpt: bool = False  # only `voice.excerpt_seconds` of each dialogue (a voice check)


SYSTEMS: dict[str, System] = {s.name: s for s in (
    System("resynth", None, "resynth", True, "topline: the human test tracks re-voiced"),
    System("selfplay", "transformer", "selfplay", True, "neural agent talking to itself"),
    System("continuation", "transformer", "continuation", True, "neural agent continuing a real prompt"),
    System("listen", "transformer", "listen", True, "neural agent beside a real speaker"),
    System("independent", "independent", "selfplay", True, "baseline: speakers ignore each other", baseline=True),
    System("markov", "markov", "selfplay", True, "baseline: joint-state Markov chain", baseline=True),
)}
EVALUATED = tuple(n for n, s in SYSTEMS.items() if s.evaluated)  # report order
BASELINES = tuple(n for n, s in SYSTEMS.items() if s.baseline)
VOICE_CHECK_PREFIX = "resynth_"


def voice_check(voice: str) -> str:
    """The system that re-voices an excerpt of every test dialogue with one voice (its fidelity and speed)."""
    return f"{VOICE_CHECK_PREFIX}{voice}"


def system_spec(name: str) -> System:
    """Any generated system: one of SYSTEMS, or a voice check `resynth_{voice}` (the rules allow only registry
    voices there)."""
    if name in SYSTEMS:
        return SYSTEMS[name]
    if name.startswith(VOICE_CHECK_PREFIX):
        voice = name.removeprefix(VOICE_CHECK_PREFIX)
        return System(name, None, "resynth", False, f"{voice} voice excerpt", voice=voice, excerpt=True)
    raise KeyError(f"unknown generated system {name!r}")


def kept_channels(system: str, n_frames: int, prompt_frames: int, listen_agent: str) -> dict[str, np.ndarray] | None:
    """Per speaker, the frames where a rendered dialogue keeps the real recording (None: all babble)."""
    mode = system_spec(system).mode
    if mode == "continuation":
        prompt = np.arange(n_frames) < prompt_frames
        return {"A": prompt, "B": prompt}
    if mode == "listen":
        return {"B" if listen_agent == "A" else "A": np.ones(n_frames, dtype=bool)}
    return None
