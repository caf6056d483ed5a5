"""The path map: one template for every file the workflow writes under `results/`, used by the rules (as outputs,
with their wildcards in braces) and by everything that reads a run's results. `{source}` is a corpus or a generated
set `{corpus}.{system}`, laid out alike, so generated audio is measured exactly like human audio."""

from __future__ import annotations

import itertools

RESULTS = "results"

TEMPLATES = {
    # corpus: one stereo WAV, VA and info record per dialogue, the files a corpus downloads, the manifest
    "corpus_wav": "corpus/{source}/wav/{dlg}.wav",
    "corpus_va": "corpus/{source}/va/{dlg}.csv",
    "corpus_info": "corpus/{source}/info/{dlg}.json",
    "download": "corpus/{corpus}/download/{file}",
    "manifest": "corpus/{source}/manifest.csv",
    # human recordings a seat's voice learns from (voice.speakers): sessions {seat}-{split} of the source `speakers`
    "speaker_clips": "corpus/speakers/{seat}.clips.csv",
    # mono and prosody: per speaker
    "mono": "audio/{source}/{dlg}.{spk}.wav",
    "prosody": "prosody/{source}/{dlg}.{spk}.parquet",
    # timing
    "events": "timing/{source}/{dlg}.events.csv",
    "stats": "timing/{source}/stats.csv",
    "vad_accuracy": "timing/{source}/vad_accuracy.csv",
    "stats_part": "timing/{source}/batches/stats{batch}.parquet",  # a batch's rows of stats.csv
    "vad_accuracy_part": "timing/{source}/batches/vad_accuracy{batch}.parquet",  # … and of vad_accuracy.csv
    # dataset, frame models and trained voices
    "frames": "dataset/{corpus}/frames.npz",
    "splits": "dataset/{corpus}/splits.csv",
    "model": "models/{corpus}/{model}.pt",
    "model_metrics": "models/{corpus}/{model}.metrics.csv",
    "checkpoint": "models/{corpus}/{model}.ckpt",
    "frame_eval": "models/{corpus}/{model}.test.json",
    "sampling": "models/{corpus}/sampling.json",  # the sample settings chosen on validation (rule tune)
    # sample and render: a generated set is a source `{corpus}.{system}`
    "tracks": "corpus/{source}/tracks/{dlg}.parquet",
    "render_info": "corpus/{source}/render.json",
    "render_part": "corpus/{source}/render/batch{batch}.json",
    # evaluate and report
    "voice_fidelity": "eval/{corpus}/voice_{voice}.json",
    "speech_likeness": "eval/speakers/speech_{voice}.json",
    "speech_babble": "eval/speakers/speech_{voice}.wav",
    "metrics": "eval/{corpus}/metrics.json",
    "eval_table": "eval/{corpus}/{table}.csv",
    "figure": "eval/{corpus}/{figure}.png",
    "report": "report/{corpus}/report.html",
    # every rule's log and benchmark
    "log": "logs/{stage}/{job}.log",
    "benchmark": "benchmarks/{stage}/{job}.tsv",
}


class _Wildcards(dict):
    """Values to fill in; a name without one stays a wildcard."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def path(name: str, root: str = RESULTS, **values) -> str:
    """The path of one kind of file, with the given wildcards filled in and the others left as `{name}`."""
    return f"{root}/" + TEMPLATES[name].format_map(_Wildcards(values))


def paths(name: str, root: str = RESULTS, **values) -> list[str]:
    """Every path of one kind over every combination of the values given as lists (in keyword order, as Snakemake's
    `expand`), the other values filled in and the rest left as wildcards."""
    lists = {k: list(v) for k, v in values.items() if isinstance(v, list | tuple)}
    fixed = {k: v for k, v in values.items() if k not in lists}
    return [path(name, root, **fixed, **dict(zip(lists, combo))) for combo in itertools.product(*lists.values())]
