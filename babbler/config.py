"""The config schema (the file, completed from the registries), config checks beyond it, and the list of dialogues a
config selects."""

from __future__ import annotations

import copy
import functools
import math
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
        node = resolve(node, schema)
        types = [t for option in (node, *node.get("anyOf", [])) for t in _types(option)]
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


def _types(node: dict) -> list[str]:
    """The JSON types a schema node names (none for a `const` or an `anyOf` alone)."""
    types = node.get("type", [])
    return [types] if isinstance(types, str) else list(types)


SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


@functools.cache
def file_schema() -> dict:
    """schemas/config.schema.yaml beside the package: the rules of every built-in setting."""
    return yaml.safe_load(SCHEMA_PATH.read_text())


def resolve(node: dict, root: dict) -> dict:
    """A schema node with its `$ref` (into the root's `$defs`) merged in: the node's own keys win, and its own
    `properties` refine the referenced ones key by key."""
    if "$ref" not in node:
        return node
    target = resolve(root["$defs"][node["$ref"].rsplit("/", 1)[1]], root)
    merged = {**target, **{k: v for k, v in node.items() if k not in ("$ref", "properties")}}
    own = node.get("properties", {})
    props = target.get("properties", {})
    merged["properties"] = {**props, **{k: {**props.get(k, {}), **v} for k, v in own.items()}}
    return merged


NO_SETTINGS = {"type": "object", "default": {}, "additionalProperties": False, "properties": {}}


@functools.cache
def schema() -> dict:
    """The config schema: the file, with the registries' names as the allowed corpora and voices, and a section for
    every registered corpus, voice and frame model the file does not describe (the one its module declares, or no
    settings). A new corpus, voice or frame model is thereby a setting without editing the file."""
    from babbler.corpora.registry import CORPORA
    from babbler.models.registry import FRAME_MODELS
    from babbler.voices.registry import VOICES

    spec = copy.deepcopy(file_schema())
    props = spec["properties"]
    props["corpus"]["properties"]["name"]["enum"] = list(CORPORA)
    props["sample"]["properties"]["voice"]["enum"] = list(VOICES)
    props["voices"]["items"]["enum"] = list(VOICES)
    for section, registry in (("corpus", CORPORA), ("voice", VOICES), ("model", FRAME_MODELS)):
        sections = props[section]["properties"]
        for name, member in registry.items():
            sections.setdefault(name, member.schema or NO_SETTINGS)
    return spec


def setting_rule(key: str) -> dict:
    """The schema of one setting, e.g. `setting_rule("sample.temperature")`."""
    root = schema()
    node = root
    for part in key.split("."):
        node = resolve(node, root)["properties"][part]
    return resolve(node, root)


def with_defaults(config: dict, spec: dict | None = None) -> dict:
    """`config` with every default the schema gives filled in, in place (sections a module's own schema adds
    included), and returned."""
    root = spec or schema()

    def fill(value, node: dict):
        node = resolve(node, root)
        if not isinstance(value, dict):
            return
        for key, child in node.get("properties", {}).items():
            child = resolve(child, root)
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                fill(value[key], child)

    fill(config, root)
    return config


def load_config(files: list[str | Path], base: str | Path) -> dict:
    """The config a run with `snakemake --configfile FILES` from the project folder gets: `base` (its config.yaml),
    each file merged over it in order (nested sections key by key), the schema's defaults filled in."""
    from snakemake.utils import update_config

    config = yaml.safe_load(Path(base).read_text()) or {}
    for f in files:
        update_config(config, yaml.safe_load(Path(f).read_text()) or {})
    return with_defaults(config)


def number_problem(value: float, rule: dict) -> str | None:
    """What is wrong with a number under a schema rule (type, minimum, maximum, their exclusive forms), or None.

    Unlike JSON Schema, NaN and infinities are always wrong: no setting of babbler means either."""
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if rule.get("type") == "integer" and value != int(value):
        return f"must be a whole number, got {value}"
    for bound, ok, words in (("minimum", value.__ge__, ">="), ("exclusiveMinimum", value.__gt__, ">"),
                             ("maximum", value.__le__, "<="), ("exclusiveMaximum", value.__lt__, "<")):
        if bound in rule and not ok(rule[bound]):
            return f"must be {words} {rule[bound]:g}, got {value:g}"
    return None


def schema_problem(config: dict, spec: dict | None = None) -> ConfigError | None:
    """The first way `config` breaks the schema, as a ConfigError of a few lines: the key, what is wrong and what
    is allowed (with the nearest known key for a misspelt one); None if it is valid."""
    import difflib

    import jsonschema

    spec = spec or schema()
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(spec).iter_errors(config))
    if error is None:
        return None
    path = ".".join(str(p) for p in error.absolute_path)
    rule = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        known = list(rule.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        key = f"{path}.{extra[0]}" if path else extra[0]
        near = difflib.get_close_matches(extra[0], known, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else "."
        return ConfigError(key, f"is not a setting{hint} The keys {'of ' + path if path else 'at the top'} are: "
                                f"{', '.join(known)}")
    allowed = _type_text(rule) if rule.get("type") or rule.get("enum") or rule.get("anyOf") else ""
    text = " ".join(str(rule.get("description", "")).split())
    lines = [error.message]
    if allowed:
        lines.append(f"allowed: {allowed}")
    if text:
        lines.append(f"what it does: {text[:300]}")
    return ConfigError(path or "(top level)", "; ".join(lines))


def check_config(config: dict) -> None:
    """Raise ConfigError naming the key if a schema-valid config is still unusable."""
    from babbler.corpora.registry import CORPORA
    from babbler.corpora.speakers import check_speakers

    for key, value in _numbers(config):
        if not math.isfinite(value):
            raise ConfigError(key, f"must be a finite number, got {value}")

    corpus = config["corpus"]
    split = corpus["split"]
    if split["val"] + split["test"] >= 1.0:
        raise ConfigError("corpus.split", f"val + test = {split['val'] + split['test']} leaves no training dialogues")
    spec = CORPORA[corpus["name"]]
    spec.check(corpus)
    if config["vad"]["method"] == "reference" and not spec.has_reference(corpus):
        raise ConfigError("vad.method", f"'reference' needs the corpus's own voice activity, which corpus "
                          f"'{spec.name}' is not given here (a local corpus takes it from corpus.local.va)")
    if config["train"]["select"] == "timing" and split["val"] == 0:
        raise ConfigError("train.select", "'timing' chooses the weights by selfplay on the validation split, "
                          "and corpus.split.val is 0; give it validation dialogues or select by 'loss'")
    transformer = config["model"]["transformer"]
    if transformer["d_model"] % transformer["heads"]:
        raise ConfigError("model.transformer.heads", f"{transformer['heads']} heads do not divide "
                          f"model.transformer.d_model = {transformer['d_model']}; choose a divisor of it")
    check_speakers(config["voice"])
    if "tacotron_wavenet" in {config["sample"]["voice"], *config["voices"]}:
        from babbler.voices.tacotron_wavenet import analysis_mismatch

        mismatch = analysis_mismatch(config["voice"]["tacotron"]["model"], config["voice"]["tacotron_wavenet"]["model"])
        if mismatch:
            key, ours, theirs = mismatch
            raise ConfigError(f"voice.tacotron_wavenet.model.{key}", f"{ours} differs from voice.tacotron.model.{key} "
                              f"= {theirs}: the vocoder is trained on the Tacotron's mel analysis; set both alike")


def _numbers(node, key: str = ""):
    """(dotted key, value) of every float in a config (JSON Schema lets NaN and infinities through)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numbers(v, f"{key}.{k}" if key else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numbers(v, f"{key}[{i}]")
    elif isinstance(node, float):
        yield key, node


def dialogue_ids(config: dict) -> list[str]:
    """The dialogue ids of the configured corpus, known at parse time."""
    from babbler.corpora.registry import CORPORA

    return CORPORA[config["corpus"]["name"]].dialogue_ids(config["corpus"])


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


def number_rule(node: dict) -> dict:
    """The numeric part of a setting's rule: the rule itself, or the number among its `anyOf` options (`auto`
    settings)."""
    return next((o for o in node.get("anyOf", []) if {"number", "integer"} & set(_types(o))), node)


def _type_text(node: dict) -> str:
    """A setting's type and range in a few words: `integer ≥ 1`, `one of demo, maptask`, `number ≥ 0 and ≤ 1`,
    `number > 0 or auto`."""
    if "anyOf" in node:
        return " or ".join(f"`{o['const']}`" if "const" in o else _type_text(o) for o in node["anyOf"])
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    low = f"≥ {node['minimum']:g}" if "minimum" in node else (
        f"> {node['exclusiveMinimum']:g}" if "exclusiveMinimum" in node else "")
    high = f"≤ {node['maximum']:g}" if "maximum" in node else (
        f"< {node['exclusiveMaximum']:g}" if "exclusiveMaximum" in node else "")
    if kind == "array" and "items" in node:
        kind = f"list of {_type_text(node['items'])}"
    return " ".join([kind, " and ".join(filter(None, (low, high)))]).strip()


def _default_text(value) -> str:
    return "`" + (yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()) + "`"


def configuration_markdown(spec: dict | None = None) -> str:
    """docs/configuration.md: every setting of the schema file with its type, default and what it does (the names of
    registered corpora and voices are the registries': docs/extending.md)."""
    spec = spec or file_schema()
    out = ["# Configuration reference", "",
           "Generated from `schemas/config.schema.yaml` by `python -m babbler.config > docs/configuration.md`; "
           "a test fails when the two disagree. `config.yaml` holds the default run; a key left out takes its "
           "default; an unknown key, a wrong type or a bad value stops the workflow at parse time with a message "
           "naming the key. Override on the command line with `--config section='{key: value}'` or with your own "
           "`--configfile my.yaml`.", ""]

    def rows(node: dict, key: str):
        for name, child in node.get("properties", {}).items():
            child = resolve(child, spec)
            path = f"{key}.{name}" if key else name
            if child.get("type") == "object" and "properties" in child:
                yield from rows(child, path)
            else:
                text = " ".join(str(child.get("description", "")).split()).replace("|", "\\|")
                yield f"| `{path}` | {_type_text(child)} | {_default_text(child.get('default'))} | {text} |"

    for section, node in spec["properties"].items():
        out += [f"## `{section}`", ""]
        if node.get("description") and node.get("type") == "object":
            out += [" ".join(str(node["description"]).split()), ""]
        out += ["| key | type | default | what it does |", "|---|---|---|---|", *rows({"properties": {section: node}}, ""),
                ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(configuration_markdown(), end="")
