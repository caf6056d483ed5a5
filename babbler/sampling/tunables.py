"""The sample settings the workflow can choose on the validation split (config `sample.{key}: auto`): the registry
of those settings, how the choice is made (config `tune`), and the values a system is drawn with. The choice itself:
`babbler.evaluation.tuning` (rule tune)."""

from __future__ import annotations

from dataclasses import dataclass

from babbler.models.selection import TimingSelection

AUTO = "auto"  # a `sample` setting's value that asks for the choice on validation


@dataclass(frozen=True)
class Tunable:
    """A `sample` setting the workflow can choose on validation."""

    key: str  # the sample.{key} setting
    neutral: float  # its value where nothing is chosen (too few validation dialogues, or nothing to choose for)
    judged_by: str  # the mode whose validation timing chooses it: selfplay | continuation | listen
    note: str  # what it is, for the report


TUNABLES = {t.key: t for t in (
    Tunable("markov_weight", 0.0, "selfplay", "the count model's share in the agent's frames"),
    Tunable("temperature", 1.0, "selfplay", "the agent's sampling temperature"),
    Tunable("calibration", 0.0, "selfplay", "how much of the odds recalibrated on validation the agent takes (0: its "
                                            "model's own odds, 1: the fitted ones)"),
    Tunable("prompt_adapt", 0.0, "continuation", "the prior (frames) of the count model adapting to a prompt"),
    Tunable("listen_overlap_odds", 1.0, "listen", "the listener's odds of starting while its partner talks, scaled"),
    Tunable("listen_gap_odds", 1.0, "listen", "the listener's odds of taking the floor after its partner's silence, "
                                              "scaled"),
)}
# The listener's start odds (overlap, gap), in the order `babbler.sampling.odds.agent_odds` takes them.
LISTEN_ODDS = tuple(k for k, t in TUNABLES.items() if t.judged_by == "listen")


def auto_keys(sample: dict) -> list[str]:
    """The tunable `sample` settings a config leaves to the choice on validation."""
    return [k for k in TUNABLES if sample.get(k) == AUTO]


def needs_validation(sample: dict) -> bool:
    """Whether the agent's settings need rule tune: some are left auto, or the odds recalibration is used (its odds
    are fitted on validation whatever its strength)."""
    return bool(auto_keys(sample)) or float(sample.get("calibration", 0) or 0) > 0


def calibration_odds(record: dict | None, weight: float, strength: float) -> list[float] | None:
    """The agent's recalibration odds per context (`babbler.sampling.odds.CONTEXTS`): those rule tune fitted for its
    mix `weight` (sampling.json's `calibration`), raised to `strength`; None at strength 0 or without a fit."""
    fitted = ((record or {}).get("calibration") or {}).get("odds", {})
    odds = fitted.get(calibration_key(weight))
    if strength <= 0 or odds is None:
        return None
    return [float(o) ** strength for o in odds]


def calibration_key(weight: float) -> str:
    """How sampling.json names the odds fitted for a mix weight."""
    return f"{float(weight):g}"


@dataclass(frozen=True)
class TuneSettings:
    """How the choice is made (config section `tune`, with the `sample` settings the agent is drawn with)."""

    candidates: dict[str, tuple[float, ...]]  # per tunable key, the values tried (one value: fixed by the config)
    minutes: float = 2.0  # generated minutes per validation dialogue and draw (at most the dialogue's own)
    samples: int = 2  # draws per validation dialogue
    min_dialogues: int = 8  # fewer validation dialogues than this: the neutral values are kept, nothing is chosen
    seed: int = 1  # sampling seed, the same for every candidate (they differ only by their settings)
    floor_draws: int = TimingSelection.floor_draws  # pairs of disjoint human halves behind the timing floor
    stop: str = "overlap"  # sample.stop
    run_limits: bool = True  # sample.run_limits
    prompt_seconds: float = 20.0  # sample.prompt_seconds
    listen_agent: str = "B"  # sample.listen_agent: the listener's channel

    @classmethod
    def from_config(cls, config: dict) -> "TuneSettings":
        """The settings of a config: each auto key's candidates from `tune`, each fixed key its own value."""
        sample, tune = config["sample"], config["tune"]
        candidates = {k: tuple(float(v) for v in tune["candidates"][k]) if sample[k] == AUTO else (float(sample[k]),)
                      for k in TUNABLES}
        return cls(candidates, tune["minutes"], tune["samples"], tune["min_dialogues"], tune["seed"],
                   stop=sample["stop"], run_limits=sample["run_limits"], prompt_seconds=sample["prompt_seconds"],
                   listen_agent=sample["listen_agent"])


def system_settings(values: dict[str, float | str], chosen: dict | None) -> dict[str, float]:
    """The tunable settings a system is drawn with: its configured values (every key of TUNABLES), each `auto` one
    taken from the values chosen on validation (`chosen`: the agent's systems) or, without them, its neutral value
    (the baselines)."""
    return {k: float((chosen or {}).get(k, TUNABLES[k].neutral)) if values[k] == AUTO else float(values[k])
            for k in TUNABLES}
