"""The generated systems compared with human timing: one description each, read by the rules, the sample and
render scripts, the evaluation and the report (design: Systems compared in the report).

Adding a system on an existing mode is one entry in SYSTEMS here, or a `SYSTEMS = (System(...), ...)` tuple in a
plugin module (docs/extending.md)."""

from __future__ import annotations

from babbler.sampling.modes.registry import MODES
from babbler.sampling.spec import System
from babbler.util.registry import members, plugin_modules

BUILT_IN = (
    System("resynth", None, "resynth", True, "topline: the human test tracks re-voiced"),
    System("selfplay", "transformer", "selfplay", True, "neural agent talking to itself"),
    System("continuation", "transformer", "continuation", True, "neural agent continuing a real prompt"),
    System("listen", "transformer", "listen", True, "neural agent beside a real speaker"),
    System("independent", "independent", "selfplay", True, "baseline: speakers ignore each other", baseline=True),
    System("markov", "markov", "selfplay", True, "baseline: joint-state Markov chain", baseline=True),
)
VOICE_CHECK_PREFIX = "resynth_"


def _registry() -> dict[str, System]:
    """The built-in systems, then the plugins', each checked to name a registered mode (the frame models they name
    are checked where models are loaded: babbler.workflow.plan)."""
    systems = [*BUILT_IN, *members(plugin_modules(), "SYSTEMS", System)]
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two systems share a name: {sorted(names)}")
    for s in systems:
        if s.mode not in MODES:
            raise RuntimeError(f"system {s.name!r} names mode {s.mode!r}; the modes are {', '.join(MODES)}")
        if s.name.startswith(VOICE_CHECK_PREFIX):
            raise RuntimeError(f"system {s.name!r}: names starting {VOICE_CHECK_PREFIX!r} are the voice checks'")
    return {s.name: s for s in systems}


SYSTEMS: dict[str, System] = _registry()
EVALUATED = tuple(n for n, s in SYSTEMS.items() if s.evaluated)  # report order
BASELINES = tuple(n for n, s in SYSTEMS.items() if s.baseline)


def agent_system(mode: str = "selfplay") -> str | None:
    """The agent's evaluated system in a mode (the first that samples a frame model and is no baseline), or None."""
    return next((n for n, s in SYSTEMS.items() if s.mode == mode and s.evaluated and not s.baseline and s.model),
                None)


def topline_system() -> str | None:
    """The evaluated system that re-voices the human test tracks (mode resynth), None if none."""
    return next((n for n, s in SYSTEMS.items() if s.mode == "resynth" and s.evaluated and s.model is None), None)


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
