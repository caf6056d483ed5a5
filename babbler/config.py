"""Config checks beyond the JSON schema, and the list of dialogues a config selects."""

from __future__ import annotations

from pathlib import Path

from babbler.errors import ConfigError


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
        if not Path(path).is_dir():
            raise ConfigError("corpus.local.path", f"folder {path} does not exist")
        va = corpus["local"]["va"]
        if va and not Path(va).is_dir():
            raise ConfigError("corpus.local.va", f"folder {va} does not exist")
        if not local_dialogue_files(path):
            raise ConfigError("corpus.local.path", f"folder {path} holds no .wav or .flac files")
    if config["vad"]["method"] == "reference" and corpus["name"] == "local" and not corpus["local"]["va"]:
        raise ConfigError("vad.method", "'reference' needs corpus.local.va for a local corpus")


def local_dialogue_files(folder: str | Path) -> dict[str, Path]:
    """Map dialogue id (file stem) → audio file for the WAV/FLAC files in a local corpus folder."""
    files: dict[str, Path] = {}
    for p in sorted(Path(folder).iterdir()):
        if p.suffix.lower() in (".wav", ".flac") and p.is_file():
            if p.stem in files:
                raise ConfigError("corpus.local.path", f"two files share the dialogue id {p.stem!r}")
            files[p.stem] = p
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
