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
    inputs = plan.render_inputs("continuation", plan.batches("demo.continuation")[0])
    assert inputs["tracks"] == [f"results/corpus/demo.continuation/tracks/{k}.parquet" for k in plan.test_ids]
    assert inputs["model"] == []  # source_filter does not train
    assert plan.fidelity_inputs(wc)["info"] == "results/corpus/demo.resynth_wavenet/render.json"
    # the agent's continuation mixes in the count model and adapts it to its prompt; a baseline does neither
    assert plan.sample_model("continuation") == ["results/models/demo/transformer.pt", "results/models/demo/markov.pt"]
    assert plan.prompt_adapt("continuation") == 100 and plan.mode_settings("continuation") == {"prompt_seconds": 20}
    assert plan.sample_model("markov") == ["results/models/demo/markov.pt"] and plan.prompt_adapt("markov") == 0
    batch = plan.batches("demo.listen")[0]
    assert plan.prosody_inputs(batch) == {"a": [f"results/audio/demo.listen/{d}.A.wav" for d in plan.test_ids],
                                          "b": [f"results/audio/demo.listen/{d}.B.wav" for d in plan.test_ids]}


def test_the_per_dialogue_stages_take_each_source_in_batches():
    """A source's sorted dialogues are cut into batches of batch.dialogues; each batch names its rules and jobs."""
    from babbler.workflow.batches import cut

    big = RunPlan.from_config(with_defaults({"corpus": {"demo": {"n_dialogues": 23}}, "batch": {"dialogues": 10}}))
    batches = big.batches("demo")
    assert [len(b.dialogues) for b in batches] == [10, 10, 3] and [b.index for b in batches] == [1, 2, 3]
    assert [d for b in batches for d in b.dialogues] == sorted(big.dialogues)
    assert batches[1].rule("prosody") == "prosody__demo__2" and batches[1].job == "demo/batch2"
    assert batches[0].files("mono", spk="A")[:2] == ["results/audio/demo/d001.A.wav", "results/audio/demo/d002.A.wav"]
    assert big.signal_sources == ["demo", *(f"demo.{s}" for s in big.generated)]
    assert big.timing_sources == big.signal_sources
    # a dialogue's batch moves only when dialogues sorting before it come or go
    assert cut("x", ["b", "a", "c", "z"], 2)[1].dialogues == ("c", "z")
    assert cut("x", ["b", "a", "c", "z", "zz"], 2)[1].dialogues == ("c", "z")


def test_a_generated_sets_render_record_joins_its_batches():
    """One batch's record is kept as it is; two add their seconds and weigh the real-time factor by their audio."""
    from babbler.voices.render import merge_render_info

    one = {"system": "selfplay", "voice_seconds": 2.0, "rtf": 0.1, "rtf_1ch": 0.3, "generated_seconds": 40.0,
           "threads": 1, "transposed_semitones": {"d1.A": 1.0}}
    assert merge_render_info([one]) == one
    two = {**one, "voice_seconds": 6.0, "rtf": 0.2, "rtf_1ch": 0.9, "generated_seconds": 60.0,
           "transposed_semitones": {"d2.A": -1.0}}
    merged = merge_render_info([one, two])
    assert merged["voice_seconds"] == 8.0 and merged["generated_seconds"] == 100.0
    assert merged["rtf"] == pytest.approx(8.0 / (20.0 + 30.0)) and merged["rtf_1ch"] == 0.3
    assert merged["transposed_semitones"] == {"d1.A": 1.0, "d2.A": -1.0}


def test_the_frame_models_validate_on_a_bounded_seeded_draw_of_the_validation_split():
    """Up to train.val_dialogues the whole split, sorted, as the dataset lists it; beyond, a seeded sorted draw of that
    many, the same in every call and another with another corpus seed; the voices' draw is its own."""
    config = with_defaults({"corpus": {"demo": {"n_dialogues": 40}, "split": {"val": 0.5, "test": 0.25}},
                            "train": {"val_dialogues": 6}, "voice": {"train_dialogues": 6}})
    whole = RunPlan.from_config(with_defaults({"corpus": config["corpus"]}))
    assert whole.validation_ids() == whole.ids("val") and len(whole.ids("val")) == 20
    small = RunPlan.from_config(config)
    drawn = small.validation_ids()
    assert len(drawn) == 6 and drawn == sorted(drawn) and set(drawn) < set(small.ids("val"))
    assert RunPlan.from_config(config).validation_ids() == drawn
    other = RunPlan.from_config({**config, "corpus": {**config["corpus"], "seed": 2}})
    assert other.validation_ids() != drawn and len(other.validation_ids()) == 6
    assert small.voice_dialogues("val") != drawn and len(small.voice_dialogues("val")) == 6
    assert "val_dialogues" not in small.train_settings(SimpleNamespace(model="transformer"))
    assert small.train_settings(SimpleNamespace(model="markov")) == {}
