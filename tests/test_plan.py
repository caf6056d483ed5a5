"""The run's plan: what a config makes, and every rule's inputs named through the one path map."""

from types import SimpleNamespace

import pytest

from babbler.config import with_defaults
from babbler.workflow.paths import path, paths
from babbler.workflow.plan import RunPlan


@pytest.fixture(scope="module")
def plan():
    return RunPlan.from_config(with_defaults({"corpus": {"demo": {"n_dialogues": 8}}, "voices": ["wavenet"],
                                              "sample": {"markov_weight": 0.5, "prompt_adapt": 100}}))


def test_the_plan_splits_the_corpus_and_lists_every_generated_set(plan):
    assert plan.dialogues == [f"d{i:03d}" for i in range(1, 9)]
    assert plan.test_ids == sorted(plan.test_ids) and len(plan.test_ids) == 2 and plan.has_models
    assert plan.generated == ["resynth", "selfplay", "continuation", "listen", "independent", "markov",
                              "resynth_wavenet"]  # the configured voice is measured on resynth, wavenet on its excerpt
    assert plan.source_dialogues("demo") == plan.dialogues and plan.source_dialogues("demo.listen") == plan.test_ids
    with pytest.raises(ValueError, match="unknown source"):
        plan.source_dialogues("demo.nosuch")


def test_rule_inputs_come_from_the_path_map(plan):
    wc = SimpleNamespace(corpus="demo", system="continuation", source="demo.listen", dlg="d003", voice="wavenet")
    assert path("mono", source="demo", dlg="d001", spk="A") == "results/audio/demo/d001.A.wav"
    assert paths("prosody", source="x", dlg=["a", "b"], spk=["A", "B"]) == [
        "results/prosody/x/a.A.parquet", "results/prosody/x/a.B.parquet",
        "results/prosody/x/b.A.parquet", "results/prosody/x/b.B.parquet"]  # in keyword order, as expand
    assert path("model", model="{voice}") == "results/models/{corpus}/{voice}.pt"  # unnamed wildcards stay
    inputs = plan.render_inputs(wc)
    assert inputs["tracks"] == [f"results/corpus/demo.continuation/tracks/{k}.parquet" for k in plan.test_ids]
    assert inputs["model"] == []  # source_filter does not train
    assert plan.fidelity_inputs(wc)["info"] == "results/corpus/demo.resynth_wavenet/render.json"
    # the agent's continuation mixes in the count model and adapts it to its prompt; a baseline does neither
    assert plan.sample_model(wc) == ["results/models/demo/transformer.pt", "results/models/demo/markov.pt"]
    assert plan.prompt_adapt(wc) == 100 and plan.mode_settings(wc) == {"prompt_seconds": 20}
    markov = SimpleNamespace(corpus="demo", system="markov")
    assert plan.sample_model(markov) == ["results/models/demo/markov.pt"] and plan.prompt_adapt(markov) == 0
    assert plan.prosody_inputs(wc) == {"a": "results/audio/demo.listen/d003.A.wav",
                                       "b": "results/audio/demo.listen/d003.B.wav"}
