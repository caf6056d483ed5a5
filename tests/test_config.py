"""Config schema and semantic checks: defaults fill in, bad values fail naming the key."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from babbler.config import check_config, dialogue_ids, schema_problem, with_defaults
from babbler.corpora.splits import assign_splits
from babbler.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "schemas" / "config.schema.yaml")


def _validated(cfg: dict) -> dict:
    """What rules/common.smk does with a config: checked against the schema completed from the registries, then
    its defaults filled in."""
    cfg = copy.deepcopy(cfg)
    if problem := schema_problem(cfg):
        raise WorkflowError(str(problem))
    return with_defaults(cfg)


def test_the_defaults_are_those_snakemake_fills_from_the_file():
    """with_defaults fills what Snakemake's own validation of the schema file fills (the file's $ref included)."""
    for cfg in ({}, yaml.safe_load((ROOT / "config.yaml").read_text()), {"voice": {"tacotron": {"train": {"steps": 3}}}}):
        ours, snakemakes = _validated(cfg), copy.deepcopy(cfg)
        validate(snakemakes, SCHEMA)
        assert ours == snakemakes
    assert _validated({"voice": {"tacotron": {"train": {"steps": 3}}}})["voice"]["tacotron"]["train"]["crop"] == 8000


def test_defaults_fill_in_an_empty_config():
    cfg = _validated({})
    assert cfg["corpus"]["name"] == "demo"
    assert cfg["corpus"]["demo"]["n_dialogues"] == 16
    assert cfg["audio"]["sample_rate"] == 16000
    assert cfg["vad"]["method"] == "intensity"
    assert cfg["sample"]["seed"] == 1 and cfg["report"]["title"]
    assert cfg["corpus"]["maptask"]["audio_url"].endswith("/maptask/signals/dialogues/")


def test_shipped_config_is_valid_and_matches_defaults():
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert _validated(cfg) == _validated({})


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"corpus": {"name": "fisher"}}, "name"),
        ({"corpus": {"switchboard": {"dialogues": ["2001"]}}}, "dialogues"),
        ({"audio": {"sample_rate": "16k"}}, "sample_rate"),
        ({"corpus": {"demo": {"n_dialogues": 0}}}, "n_dialogues"),
        ({"vad": {"method": "energy"}}, "method"),
        ({"corpus": {"nmae": "demo"}}, "nmae"),
    ],
)
def test_schema_rejects_bad_values_naming_the_key(bad, key):
    with pytest.raises(WorkflowError) as err:
        _validated(bad)
    assert key in str(err.value)


def test_local_corpus_needs_an_existing_path(tmp_path):
    cfg = _validated({"corpus": {"name": "local"}})
    with pytest.raises(ConfigError, match="corpus.local.path.*required"):
        check_config(cfg)
    cfg["corpus"]["local"]["path"] = str(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="corpus.local.path.*does not exist"):
        check_config(cfg)
    cfg["corpus"]["local"]["path"] = str(tmp_path)
    with pytest.raises(ConfigError, match="holds no .wav or .flac"):
        check_config(cfg)
    (tmp_path / "talk1.wav").write_bytes(b"")
    (tmp_path / "talk2.FLAC").write_bytes(b"")
    check_config(cfg)
    assert dialogue_ids(cfg) == ["talk1", "talk2"]
    cfg["vad"]["method"] = "reference"
    with pytest.raises(ConfigError, match="vad.method"):
        check_config(cfg)


def test_split_shares_and_maptask_subset():
    cfg = _validated({"corpus": {"split": {"val": 0.5, "test": 0.5}}})
    with pytest.raises(ConfigError, match="corpus.split"):
        check_config(cfg)
    cfg = _validated({"corpus": {"name": "maptask", "maptask": {"dialogues": ["q1ec1", "q2nc3"]}}})
    assert dialogue_ids(cfg) == ["q1ec1", "q2nc3"]
    assert len(dialogue_ids(_validated({"corpus": {"name": "maptask"}}))) == 128
    with pytest.raises(WorkflowError, match="q9ec1"):
        _validated({"corpus": {"name": "maptask", "maptask": {"dialogues": ["q9ec1"]}}})


def test_splits_are_seeded_and_sized():
    ids = [f"d{i:03d}" for i in range(1, 17)]
    s1 = assign_splits(ids, 1, 0.125, 0.25)
    assert s1 == assign_splits(list(reversed(ids)), 1, 0.125, 0.25)
    assert s1 != assign_splits(ids, 2, 0.125, 0.25)
    counts = {k: list(s1.values()).count(k) for k in ("train", "val", "test")}
    assert counts == {"train": 10, "val": 2, "test": 4}
    assert set(assign_splits(["a", "b", "c"], 1, 0.1, 0.1).values()) == {"train", "val", "test"}


def test_local_path_that_is_a_file_says_so(tmp_path):
    cfg = _validated({"corpus": {"name": "local"}})
    (tmp_path / "talk.wav").write_bytes(b"")
    cfg["corpus"]["local"]["path"] = str(tmp_path / "talk.wav")
    with pytest.raises(ConfigError, match=r"corpus.local.path.*talk\.wav is a file; give the folder"):
        check_config(cfg)


def test_hidden_files_are_skipped_and_dotted_names_refused_naming_the_rule(tmp_path):
    cfg = _validated({"corpus": {"name": "local", "local": {"path": str(tmp_path)}}})
    for name in ("talk1.wav", "._talk1.wav", ".hidden.flac"):
        (tmp_path / name).write_bytes(b"")
    check_config(cfg)
    assert dialogue_ids(cfg) == ["talk1"]
    (tmp_path / "2024.05.01.wav").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"2024\.05\.01\.wav.*the corpus stage.*may not contain '\.'.*"
                                          r"2024\.05\.01\.wav → 2024-05-01\.wav"):
        check_config(cfg)


def test_heads_must_divide_d_model_at_parse_time():
    cfg = _validated({"model": {"transformer": {"d_model": 64, "heads": 5}}})
    with pytest.raises(ConfigError, match=r"model\.transformer\.heads.*5 heads do not divide.*d_model = 64"):
        check_config(cfg)


def test_no_models_reason_tells_the_truth():
    from babbler.config import no_models_reason

    cfg = _validated({"corpus": {"split": {"test": 0}}})
    ids = [f"d{i}" for i in range(16)]
    assert "corpus.split.test is 0" in no_models_reason(cfg, assign_splits(ids, 1, 0.125, 0.0))
    cfg = _validated({})
    assert "has 2 dialogue(s): too few" in no_models_reason(cfg, assign_splits(ids[:2], 1, 0.125, 0.25))


def test_command_line_strings_are_read_back_as_the_schema_types():
    from babbler.config import coerce_to_schema

    schema = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())
    given = {"corpus": {"name": "demo", "demo": {"n_dialogues": "4", "duration": "30.5"},
                        "local": {"path": "null", "va": "123"}, "split": {"test": "0.5"}},
             "sample": {"run_limits": "false", "listen_agent": "B"}, "report": {"title": "42"}}
    cfg = coerce_to_schema(given, schema)
    assert cfg["corpus"]["demo"] == {"n_dialogues": 4, "duration": 30.5}
    assert cfg["corpus"]["local"] == {"path": None, "va": "123"}  # a folder may be called 123
    assert cfg["corpus"]["split"]["test"] == 0.5 and cfg["sample"]["run_limits"] is False
    assert cfg["report"]["title"] == "42"  # strings stay strings
    assert coerce_to_schema({"corpus": {"demo": {"n_dialogues": "four"}}}, schema)["corpus"]["demo"] == {
        "n_dialogues": "four"}  # left for the schema to reject, naming the key


def test_readme_config_override_works_as_shown(tmp_path):
    """The README's own `--config` example for the demo: a real dry run with it plans exactly its 32 dialogues (in
    batches of 8 here: four corpus jobs)."""
    import re
    import shlex
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    example = re.search(r"^(snakemake --cores 8 --config corpus='\{demo: [^\n]+)$", readme, flags=re.M).group(1)
    args = shlex.split(example)[1:]
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
                           "--configfile", str(ROOT / "config.yaml"), *args, "batch={dialogues: 8}", "-n", "--quiet", "rules"],
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    batches = re.findall(r"^corpus_dialogue__demo__(\d+)\s+1$", out, flags=re.M)
    assert set(map(int, batches)) == {1, 2, 3, 4}, out[-3000:]


def test_dataclass_defaults_are_the_schema_defaults():
    """Defaults live in the schema; the config dataclasses must not say otherwise."""
    from dataclasses import fields

    from babbler.config import resolve, schema
    from babbler.models.train_transformer import TrainConfig
    from babbler.models.transformer import TransformerConfig
    from babbler.voices.registry import TRAINED, VOICES
    from babbler.voices.training import VoiceTrainConfig
    from babbler.workflow.models import training_settings

    cfg = _validated({})
    sections = [(TrainConfig, training_settings(cfg)), (TransformerConfig, cfg["model"]["transformer"])]
    sections += [(type(VOICES[name].build({}).cfg), cfg["voice"][name]["model"]) for name in TRAINED]
    shared = resolve({"$ref": "#/$defs/voice_train"}, schema())["properties"]  # every voice's training block
    sections.append((VoiceTrainConfig, {k: rule["default"] for k, rule in shared.items()}))
    for cls, section in sections:
        for f in fields(cls):
            if f.name in section:
                assert f.default == section[f.name], f"{cls.__name__}.{f.name}: {f.default} vs schema {section[f.name]}"
        assert set(section) <= {f.name for f in fields(cls)}, f"{cls.__name__} lacks schema keys"


def test_the_schema_allows_exactly_the_registered_corpora_voices_and_frame_models():
    """The registries complete the schema file: their names are the allowed values, and each member has a section
    (the file's, or its module's own), so a new corpus, voice or frame model needs no edit of the file."""
    from babbler.config import resolve, schema
    from babbler.corpora.registry import CORPORA
    from babbler.models.registry import FRAME_MODELS
    from babbler.voices.registry import VOICES

    spec = schema()
    props = spec["properties"]
    assert props["corpus"]["properties"]["name"]["enum"] == list(CORPORA)
    assert props["sample"]["properties"]["voice"]["enum"] == list(VOICES)
    assert props["voices"]["items"]["enum"] == list(VOICES)
    for section, registry in (("corpus", CORPORA), ("voice", VOICES), ("model", FRAME_MODELS)):
        assert set(registry) <= set(props[section]["properties"]), section
    for name, voice in VOICES.items():
        section = props["voice"]["properties"][name]["properties"]
        assert ({"model", "train"} <= set(section)) == voice.trains, name
        if voice.trains:  # the shared training block, one definition for every trainable voice
            assert set(resolve(section["train"], spec)["properties"]) == set(spec["$defs"]["voice_train"]["properties"])


def test_tacotron_wavenet_needs_the_tacotrons_mel_analysis():
    """The vocoder is conditioned on the Tacotron's frames: a reported pairing with another analysis is refused."""
    check_config(_validated({"voices": ["tacotron_wavenet"]}))
    cfg = _validated({"voices": ["tacotron_wavenet"], "voice": {"tacotron": {"model": {"sample_rate": 8000}}}})
    with pytest.raises(ConfigError, match=r"voice\.tacotron_wavenet\.model\.sample_rate.*16000 differs from "
                                          r"voice\.tacotron\.model\.sample_rate = 8000"):
        check_config(cfg)
    check_config(_validated({"voice": {"tacotron": {"model": {"sample_rate": 8000}}}}))  # not reported: no check


def test_timing_selection_needs_a_validation_split():
    cfg = _validated({"train": {"select": "timing"}, "corpus": {"split": {"val": 0.0, "test": 0.25}}})
    with pytest.raises(ConfigError, match=r"train\.select.*corpus\.split\.val is 0"):
        check_config(cfg)
    check_config(_validated({"train": {"select": "timing"}}))


def test_shipped_maptask_timing_config_is_valid():
    """configs/maptask-timing.yaml, over config.yaml as snakemake merges them: timing only, reference VA, the
    selfplay-timing checkpoint choice, every tunable sample setting left to rule tune."""
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    extra = yaml.safe_load((ROOT / "configs" / "maptask-timing.yaml").read_text())

    def merge(a, b):
        return {k: merge(a[k], b[k]) if isinstance(a.get(k), dict) and isinstance(b.get(k), dict)
                else b.get(k, a.get(k)) for k in {**a, **b}}

    cfg = _validated(merge(base, extra))
    assert cfg["corpus"]["name"] == "maptask" and cfg["corpus"]["maptask"]["audio"] is False
    assert cfg["corpus"]["maptask"]["annotations_url"] == "../shared/data/maptask-timed-units.zip"
    cfg["corpus"]["maptask"]["annotations_url"] = str(ROOT / "tests" / "data" / "maptask-excerpt.zip")
    assert cfg["vad"]["method"] == "reference" and cfg["train"]["select"] == "timing"
    from babbler.sampling.tunables import AUTO, TUNABLES

    assert all(cfg["sample"][k] == AUTO for k in TUNABLES)  # chosen on the corpus's own validation split, not by hand
    check_config(cfg)


@pytest.mark.parametrize("files", [["voices.yaml"], ["voices.yaml", "voices-gpu.yaml"]])
def test_shipped_voice_configs_are_valid(files):
    """configs/voices.yaml, and configs/voices-gpu.yaml on top of it, over config.yaml: every voice reported, the
    GPU one training each neural voice on CUDA for more steps than the CPU one."""
    from snakemake.utils import update_config

    from babbler.voices.registry import VOICES

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    for f in files:
        update_config(cfg, yaml.safe_load((ROOT / "configs" / f).read_text()))
    cfg = _validated(cfg)
    check_config(cfg)
    assert set(cfg["voices"]) == set(VOICES)
    for voice in ("wavenet", "samplernn", "tacotron"):
        train = cfg["voice"][voice]["train"]
        assert (train["device"] == "cuda") == ("voices-gpu.yaml" in files)
        assert train["steps"] >= (5000 if "voices-gpu.yaml" in files else 2000)


def test_configuration_reference_is_the_schema():
    """docs/configuration.md is generated from the schema: regenerate it with `python -m babbler.config`."""
    from babbler.config import configuration_markdown

    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert doc == configuration_markdown(), "docs/configuration.md is out of date: python -m babbler.config > it"
    schema = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())
    assert doc.count("\n| `") == sum(1 for _ in _leaves(schema, schema))  # one row per setting


def _leaves(node: dict, root: dict, key: str = ""):
    from babbler.config import resolve

    for name, child in node.get("properties", {}).items():
        child = resolve(child, root)
        path = f"{key}.{name}" if key else name
        if child.get("type") == "object" and "properties" in child:
            yield from _leaves(child, root, path)
        else:
            yield path


@pytest.mark.parametrize("overlay", sorted(p.name for p in (ROOT / "configs" / "experiments").glob("*.yaml")))
def test_experiment_overlays_are_valid_over_the_config_they_vary(overlay):
    """An experiment is an overlay run by the workflow itself: over config.yaml and configs/maptask-timing.yaml it
    must still be a valid config."""
    from snakemake.utils import update_config

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    for f in (ROOT / "configs" / "maptask-timing.yaml", ROOT / "configs" / "experiments" / overlay):
        update_config(cfg, yaml.safe_load(f.read_text()))
    cfg = _validated(cfg)
    cfg["corpus"]["maptask"]["annotations_url"] = str(ROOT / "tests" / "data" / "maptask-excerpt.zip")
    check_config(cfg)
