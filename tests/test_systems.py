"""The systems registry: one description per generated system, and what each mode generates and keeps."""

import numpy as np

from babbler.sampling import FREE, system_plan
from babbler.systems import BASELINES, EVALUATED, MODES, SYSTEMS, kept_channels


def test_every_system_is_described_once():
    assert all(s.mode in MODES and s.note for s in SYSTEMS.values())
    assert EVALUATED == ("resynth", "selfplay", "continuation", "listen", "independent", "markov")
    assert BASELINES == ("independent", "markov")
    assert {s.model for s in SYSTEMS.values()} == {None, "transformer", "independent", "markov"}


def test_plans_and_kept_channels_follow_the_mode():
    real = [np.arange(10, dtype=np.int64).reshape(5, 2), np.ones((3, 2), dtype=np.int64)]
    assert system_plan("resynth", real, 2, "B") is None
    selfplay = system_plan("markov", real, 2, "B")
    assert selfplay.shape == (2, 5, 2) and (selfplay == FREE).all()
    cont = system_plan("continuation", real, 2, "B")
    assert (cont[0, :2] == real[0][:2]).all() and (cont[0, 2:] == FREE).all()
    listen = system_plan("listen", real, 2, "B")
    assert (listen[0, :, 0] == real[0][:, 0]).all() and (listen[:, :, 1] == FREE).all()
    assert kept_channels("selfplay", 4, 2, "B") is None
    assert kept_channels("continuation", 4, 2, "B")["A"].tolist() == [True, True, False, False]
    assert list(kept_channels("listen", 4, 2, "A")) == ["B"]
