"""Config checks beyond the JSON schema, and the list of dialogues a config selects."""

from __future__ import annotations

from pathlib import Path

import yaml

from babbler.errors import ConfigError

_YAML_TYPES = {"integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict,
               "null": type(None)}


def coerce_to_schema(config: dict, schema: dict) -> dict:
    """Read back, as YAML, the strings that Snakemake's `--config` leaves in nested values (`'4'`, `'true'`,
    `'null'`) wherever the schema wants a number, a flag, a list or null, so that command-line overrides such
    as `--config corpus='{demo: {n_dialogues: 4}}'` work; anything else is left for the schema to judge."""

    def walk(value, node: dict):
        types = node.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        if isinstance(value, dict):
            props = node.get("properties", {})
            return {k: walk(v, props.get(k, {})) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, node.get("items", {})) for v in value]
        if isinstance(value, str) and "null" in types and value in ("null", "Null", "NULL", "~"):
            return None  # as YAML reads it in a config file
        if isinstance(value, str) and "string" not in types and types:
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            wanted = tuple(t for name in types for t in (_YAML_TYPES.get(name, ()),) if t)
            if isinstance(parsed, wanted) and not (isinstance(parsed, bool) and "boolean" not in types):
                return walk(parsed, node)
        return value

    return walk(config, schema)


def check_config(config: dict) -> None:
    """Raise ConfigError naming the key if a schema-valid config is still unusable."""
    corpus = config["corpus"]
    split = corpus["split"]
    if split["val"] + split["test"] >= 1.0:
        raise ConfigError("corpus.split", f"val + test = {split['val'] + split['test']} leaves no training dialogues")
    if corpus["name"] == "local":
        path = corpus["local"]["path"]
        if not path:
            raise ConfigError("corpus.local.path", "is required when corpus.name is 'local'")
        _check_folder("corpus.local.path", path)
        va = corpus["local"]["va"]
        if va:
            _check_folder("corpus.local.va", va)
        if not local_dialogue_files(path):
            raise ConfigError("corpus.local.path", f"folder {path} holds no .wav or .flac files")
    if config["vad"]["method"] == "reference" and corpus["name"] == "local" and not corpus["local"]["va"]:
        raise ConfigError("vad.method", "'reference' needs corpus.local.va for a local corpus")
    transformer = config["model"]["transformer"]
    if transformer["d_model"] % transformer["heads"]:
        raise ConfigError("model.transformer.heads", f"{transformer['heads']} heads do not divide "
                          f"model.transformer.d_model = {transformer['d_model']}; choose a divisor of it")


def _check_folder(key: str, path: str) -> None:
    """Raise ConfigError unless `path` is an existing folder, saying what it is instead."""
    p = Path(path)
    if p.is_file():
        raise ConfigError(key, f"{path} is a file; give the folder that holds the recordings")
    if not p.exists():
        raise ConfigError(key, f"folder {path} does not exist")
    if not p.is_dir():
        raise ConfigError(key, f"{path} is not a folder")


def local_dialogue_files(folder: str | Path) -> dict[str, Path]:
    """Map dialogue id (file stem) → audio file for the WAV/FLAC files in a local corpus folder.

    Hidden files (`.x.wav`, and the `._x.wav` resource forks macOS leaves on shared drives) are not
    recordings and are skipped. A stem with a dot cannot be a dialogue id: the workflow's file names
    use dots to separate the id from the speaker and the stage (e.g. `{dlg}.A.wav`)."""
    files: dict[str, Path] = {}
    dotted = []
    for p in sorted(Path(folder).iterdir()):
        if p.suffix.lower() not in (".wav", ".flac") or not p.is_file() or p.name.startswith("."):
            continue
        if "." in p.stem:
            dotted.append(p.name)
            continue
        if p.stem in files:
            raise ConfigError("corpus.local.path", f"two files share the dialogue id {p.stem!r}")
        files[p.stem] = p
    if dotted:
        example = dotted[0]
        fixed = example[: -len(Path(example).suffix)].replace(".", "-") + Path(example).suffix
        raise ConfigError("corpus.local.path", f"{len(dotted)} file name(s) hold a dot before the extension "
                          f"({', '.join(dotted[:5])}{', …' if len(dotted) > 5 else ''}); rule local_dialogue takes "
                          f"the file stem as the dialogue id, and ids may not contain '.': rename them "
                          f"(e.g. {example} → {fixed})")
    return files


def dialogue_ids(config: dict) -> list[str]:
    """The dialogue ids of the configured corpus, known at parse time."""
    from babbler.corpora import demo, maptask

    corpus = config["corpus"]
    name = corpus["name"]
    if name == "demo":
        return demo.dialogue_ids(corpus["demo"]["n_dialogues"])
    if name == "maptask":
        wanted = corpus["maptask"]["dialogues"]
        unknown = sorted(set(wanted) - set(maptask.DIALOGUE_IDS))
        if unknown:
            raise ConfigError("corpus.maptask.dialogues", f"unknown Map Task ids {unknown}")
        return list(wanted) or list(maptask.DIALOGUE_IDS)
    return list(local_dialogue_files(corpus["local"]["path"]))


def no_models_reason(config: dict, split: dict[str, str]) -> str:
    """Why a split leaves no models to train or test (for the parse-time warning), in the config's own terms."""
    shares = config["corpus"]["split"]
    counts = {k: list(split.values()).count(k) for k in ("train", "val", "test")}
    if shares["test"] == 0:
        return "corpus.split.test is 0: no dialogue is held out for testing"
    if counts["test"] == 0 or counts["train"] == 0:
        return (f"corpus '{config['corpus']['name']}' has {len(split)} dialogue(s): too few to hold out "
                f"{shares['test']:g} of them for testing and keep some for training")
    return "no split problem"
