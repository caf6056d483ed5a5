"""The registries of systems, modes and frame models: each entry described once, each mode's plan and kept channels."""

import numpy as np
import pytest

from babbler.models.registry import FRAME_MODELS
from babbler.sampling.generate import FREE
from babbler.sampling.modes.registry import MODES
from babbler.sampling.systems import BASELINES, EVALUATED, SYSTEMS, agent_system

REAL = [np.arange(10, dtype=np.int64).reshape(5, 2), np.ones((3, 2), dtype=np.int64)]
SETTINGS = {"prompt_seconds": 0.04, "listen_agent": "B"}  # a prompt of 2 frames


def test_every_system_names_a_registered_mode_and_frame_model():
    assert all(s.mode in MODES and s.note for s in SYSTEMS.values())
    assert all(s.model is None or s.model in FRAME_MODELS for s in SYSTEMS.values())
    assert EVALUATED == ("resynth", "selfplay", "continuation", "listen", "independent", "markov")
    assert BASELINES == ("independent", "markov")
    assert agent_system("selfplay") == "selfplay" and agent_system("listen") == "listen"
    assert list(FRAME_MODELS) == ["transformer", "markov", "independent"]  # the neural model first


@pytest.mark.parametrize("mode", list(MODES))
def test_every_mode_plans_only_its_free_frames_and_keeps_what_it_gives(mode):
    """A plan gives real frames only where they are real (and a rendering keeps only real channels it gave)."""
    spec = MODES[mode]
    settings = {k: SETTINGS[k] for k in spec.settings}
    plan = spec.plan(REAL, settings)
    kept = spec.kept(5, settings)
    if plan is None:  # the real tracks as they are
        assert kept is None
        return
    assert plan.shape == (2, 5, 2)
    given = plan != FREE
    for i, r in enumerate(REAL):
        assert (plan[i, : len(r)][given[i, : len(r)]] == r[given[i, : len(r)]]).all()
    assert spec.given_frames(settings) <= 5
    for spk, frames in (kept or {}).items():
        assert given[0, :, "AB".index(spk)][frames].all()  # kept frames are real in the plan


def test_the_built_in_modes_generate_what_they_say():
    plans = {m: MODES[m].plan(REAL, {k: SETTINGS[k] for k in MODES[m].settings}) for m in MODES}
    assert plans["resynth"] is None
    assert (plans["selfplay"] == FREE).all()
    assert (plans["continuation"][0, :2] == REAL[0][:2]).all() and (plans["continuation"][0, 2:] == FREE).all()
    assert (plans["listen"][0, :, 0] == REAL[0][:, 0]).all() and (plans["listen"][:, :, 1] == FREE).all()
    assert MODES["continuation"].kept(4, {"prompt_seconds": 0.04})["A"].tolist() == [True, True, False, False]
    assert list(MODES["listen"].kept(4, {"listen_agent": "A"})) == ["B"]
    assert MODES["continuation"].given_frames({"prompt_seconds": 30.0}) == 1500
