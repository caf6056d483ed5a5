"""Extension without editing the package: a toy corpus, frame model, system and voice in one module outside it
(tests/toy_plugin.py), registered through BABBLER_PLUGINS, run through the whole tiny DAG (docs/extending.md)."""

import json
import re

import pandas as pd
import pytest

from babbler.corpora.common import Corpus
from babbler.models.spec import FrameModel
from babbler.sampling.spec import System
from babbler.util.registry import PLUGINS_ENV, members, plugin_modules
from babbler.voices.spec import Voice
from tests import toy_plugin
from tests.test_workflow import run_snakemake

TOY = {
    "corpus": {"name": "toy", "toy": {"n_dialogues": 4, "duration": 20}},
    "model": {"transformer": {"d_model": 16, "layers": 1, "heads": 2, "context": 64}, "markov": {"order": 4},
              "coin": {"smoothing": 1.0}},
    "train": {"steps": 20, "batch_size": 4, "crop": 64, "warmup": 5, "epoch_steps": 10},
    "frame_eval": {"max_events": 10},
    "sample": {"prompt_seconds": 5, "voice": "beep"},
    "voices": ["beep"],
    "voice": {"excerpt_seconds": 0.5, "beep": {"harmonics": 2}},
    "eval": {"bootstrap": 20},
}


def test_a_plugin_module_declares_one_of_each(monkeypatch):
    """The registries' discovery reads the module BABBLER_PLUGINS names, as it reads the package's own."""
    monkeypatch.setenv(PLUGINS_ENV, "tests.toy_plugin")
    (module,) = plugin_modules()
    assert [c.name for c in members([module], "CORPUS", Corpus)] == ["toy"]
    assert [m.name for m in members([module], "FRAME_MODEL", FrameModel)] == ["coin"]
    assert [s.name for s in members([module], "SYSTEMS", System)] == ["coin_selfplay"]
    assert [v.name for v in members([module], "VOICE", Voice)] == ["beep"]
    monkeypatch.setenv(PLUGINS_ENV, "tests.no_such_plugin")
    with pytest.raises(ImportError, match="BABBLER_PLUGINS names 'tests.no_such_plugin'"):
        plugin_modules()


def test_the_toy_voice_follows_its_tracks():
    import numpy as np

    from babbler.voices.spec import Tracks

    va = np.r_[np.zeros(50, bool), np.ones(50, bool)]
    (y,) = toy_plugin.beep([Tracks(va, np.full(100, 150.0), np.full(100, 60.0), frame_rate=50)], 8000, 0, None,
                           {"harmonics": 2})
    assert len(y) == 16000 and not y[:8000].any()
    rms_db = 20 * np.log10(np.sqrt(np.mean(y[8000:] ** 2)) / 2e-5)
    assert rms_db == pytest.approx(60.0, abs=0.1)


@pytest.mark.slow
def test_a_toy_corpus_frame_model_system_and_voice_run_through_the_whole_dag(tmp_path):
    """With BABBLER_PLUGINS naming the toy module, the config takes its corpus, voice and settings (the schema is
    completed from the registries), the coin is trained and scored like the built-in frame models, its system is
    sampled, rendered by the toy voice, measured and reported beside the others."""
    run_snakemake(tmp_path, TOY, env={PLUGINS_ENV: "tests.toy_plugin"})
    res = tmp_path / "results"
    assert pd.read_csv(res / "corpus/toy/manifest.csv")["dialogue"].tolist() == ["t01", "t02", "t03", "t04"]
    assert json.loads((res / "models/toy/coin.test.json").read_text())["model"] == "coin"
    metrics = json.loads((res / "eval/toy/metrics.json").read_text())
    assert "coin_selfplay" in metrics["distance"] and "coin_selfplay" in {r["system"] for r in metrics["ranking"]}
    assert metrics["systems"]["coin_selfplay"]["ipu_per_min"] > 0  # the coins talk, and it was measured from audio
    assert metrics["voice"]["beep"]["system"] == "resynth" and metrics["voice"]["beep"]["va_f1"] > 0.5
    assert set(metrics["frame_model"]) == {"transformer", "markov", "independent", "coin"}
    report = (res / "report/toy/report.html").read_text()
    assert "toy: two coins talking" in report and "toy: harmonics at the track" in report
    # without the plugin the same config names settings nobody registered: one clear line, not a traceback
    proc = run_snakemake(tmp_path / "without", TOY, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and re.search(r"config key '(corpus|voice|model|sample|voices)\b[^']*': ", out), out
    assert "Traceback" not in out
