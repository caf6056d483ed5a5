"""Config schema and semantic checks: defaults fill in, bad values fail naming the key."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from babbler.config import check_config, dialogue_ids
from babbler.errors import ConfigError
from babbler.splits import assign_splits

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "schemas" / "config.schema.yaml")


def _validated(cfg: dict) -> dict:
    cfg = copy.deepcopy(cfg)
    validate(cfg, SCHEMA)
    return cfg


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
        ({"corpus": {"name": "switchboard"}}, "name"),
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
