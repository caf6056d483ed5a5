import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import min_version, validate

min_version("9.0")

# Parse-time helpers live in the babbler package beside this workflow; the rule scripts get it
# through PYTHONPATH, so they import it in the venv and in a per-rule conda env alike.
sys.path.insert(0, workflow.basedir)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (workflow.basedir, os.environ.get("PYTHONPATH")) if p))

from babbler.config import (
    check_config,
    coerce_to_schema,
    dialogue_ids,
    no_models_reason,
    schema,
    schema_problem,
)  # noqa: E402
from babbler.corpora import CORPORA  # noqa: E402
from babbler.models import MODEL_FILE_FORMAT  # noqa: E402

# Nested --config values arrive as strings ('4'); read them back as the schema's types first.
config.update(coerce_to_schema(config, schema()))
# A bad key or value in a few lines (the key, the problem, what is allowed), not the whole schema.
if problem := schema_problem(config):
    raise WorkflowError(str(problem))
validate(config, schema="../schemas/config.schema.yaml")
check_config(config)

CORPUS = config["corpus"]["name"]
DIALOGUES = dialogue_ids(config)
RESULTS = "results"
CORPUS_HAS_REFERENCE = CORPORA[CORPUS].has_reference(config["corpus"])


wildcard_constraints:
    dlg=r"[^/.]+",
    source=r"[^/]+",
    corpus=r"[^/.]+",
    file=r"[^/]+",


def warm_up():
    """Fill numba's cache with librosa's kernels before the jobs start (babbler.warmup); where the jobs run in
    their own conda envs, the cache they need is another, so nothing is done."""
    from snakemake.settings.types import DeploymentMethod

    if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
        return
    from babbler.warmup import warm_once

    try:
        seconds = warm_once()
        logger.info("librosa's numba kernels: " + ("cached" if seconds is None else f"compiled in {seconds:.1f} s"))
    except Exception as err:  # only a head start: each job compiles what it lacks
        logger.warning(f"could not warm librosa's numba cache ({type(err).__name__}: {err}); the jobs compile it")


def stop_timers():
    """Cancel the scheduler's pending re-plan timers when the run is over (babbler.shutdown)."""
    from babbler.shutdown import cancel_timers

    logger.debug(f"cancelled {cancel_timers()} pending scheduler timer(s)")


def config_keys(section, *keys):
    """Exactly the keys of a config section that a rule reads (its params are its rerun trigger)."""
    return {k: config[section][k] for k in keys}


def manifest_path(corpus=CORPUS):
    """The manifest of a corpus."""
    return f"{RESULTS}/corpus/{corpus}/manifest.csv"


def mono_outputs(source=CORPUS, dialogues=DIALOGUES):
    """Both speakers' mono tracks of every dialogue of a source."""
    return expand(f"{RESULTS}/audio/{source}/{{dlg}}.{{spk}}.wav", dlg=dialogues, spk=["A", "B"])


def corpus_inputs(wildcards):
    """The files one dialogue of the corpus is made from: the user's own, and what the corpus downloads."""
    spec = CORPORA[CORPUS]
    inputs = dict(spec.inputs(config["corpus"], wildcards.dlg))
    for name, file in spec.downloads(config["corpus"], wildcards.dlg).items():
        inputs[name] = f"{RESULTS}/corpus/{CORPUS}/download/{file}"
    return inputs


def dialogue_outputs(corpus, with_va=True):
    """The per-dialogue outputs every corpus rule writes."""
    out = {
        "wav": f"{RESULTS}/corpus/{corpus}/wav/{{dlg}}.wav",
        "info": f"{RESULTS}/corpus/{corpus}/info/{{dlg}}.json",
    }
    if with_va:
        out["va"] = f"{RESULTS}/corpus/{corpus}/va/{{dlg}}.csv"
    return out


def source_dialogues(source):
    """Dialogue ids of a source: the configured corpus, or a generated set (one per test dialogue)."""
    if source == CORPUS:
        return DIALOGUES
    if source.startswith(f"{CORPUS}.") and source.split(".", 1)[1] in GENERATED:
        return TEST_IDS
    raise ValueError(f"unknown source {source!r}")


def source_has_reference(source):
    """Whether a source has reference VA (demo truth, Map Task words, a local corpus's VA folder)."""
    return source != CORPUS or CORPUS_HAS_REFERENCE


def prosody_inputs(wildcards):
    """Both speakers' mono tracks, plus the reference VA when vad.method is 'reference'."""
    inputs = {
        "a": f"{RESULTS}/audio/{wildcards.source}/{wildcards.dlg}.A.wav",
        "b": f"{RESULTS}/audio/{wildcards.source}/{wildcards.dlg}.B.wav",
    }
    if config["vad"]["method"] == "reference":
        inputs["reference"] = f"{RESULTS}/corpus/{wildcards.source}/va/{wildcards.dlg}.csv"
    return inputs


def prosody_files(source, spk="{spk}"):
    """Prosody parquets of every dialogue of a source."""
    return expand(
        f"{RESULTS}/prosody/{source}/{{dlg}}.{{spk}}.parquet",
        dlg=source_dialogues(source),
        spk=["A", "B"] if spk == "{spk}" else [spk],
    )


def timing_outputs(source=CORPUS):
    """The timing stage's per-source outputs (VAD accuracy only where reference VA exists)."""
    out = [f"{RESULTS}/timing/{source}/stats.csv"]
    if source_has_reference(source):
        out.append(f"{RESULTS}/timing/{source}/vad_accuracy.csv")
    return out


# Frame models and the generated systems they sample (design: systems compared in the report).
from babbler.models.io import MODELS as FRAME_MODELS  # noqa: E402
from babbler.splits import assign_splits  # noqa: E402
from babbler.systems import EVALUATED, SYSTEMS, system_spec, voice_check  # noqa: E402
from babbler.voices.registry import TRAINED as TRAINED_VOICES, VOICES, render_settings, voice_models  # noqa: E402

SPLIT = assign_splits(
    DIALOGUES, config["corpus"]["seed"], config["corpus"]["split"]["val"], config["corpus"]["split"]["test"]
)
TEST_IDS = sorted(d for d, s in SPLIT.items() if s == "test")
# Models need training dialogues and held-out test dialogues; a tiny corpus stops after the timing stage.
HAS_MODELS = bool(TEST_IDS) and any(s == "train" for s in SPLIT.values())
if not HAS_MODELS:
    logger.warning(
        f"{no_models_reason(config, SPLIT)}, so the workflow stops after the timing stage (no models, no sampling)"
    )
MODELS = list(FRAME_MODELS)
EVAL_SYSTEMS = list(EVALUATED)  # compared with `real`, in report order


wildcard_constraints:
    model="|".join(MODELS),
    system="|".join([*SYSTEMS, *(voice_check(v) for v in VOICES)]),


def training_threads():
    """Threads of a training job: all the cores the run was given, so it never shares the CPU with
    other jobs (its torch threads are then capped at the CPUs the machine really has); 4 when the
    run names no core count (cluster executors; a profile may override with set-threads)."""
    try:
        return workflow.cores
    except WorkflowError:
        return 4


def model_params(wildcards):
    """The config section of one frame model (its own rerun trigger)."""
    return config["model"].get(wildcards.model, {})


def train_params(wildcards):
    """Optimisation settings; only the neural model uses them."""
    return config["train"] if wildcards.model == "transformer" else {}


def select_params(wildcards):
    """The sampling settings a model chosen by selfplay timing (train.select: timing) is chosen for."""
    if wildcards.model != "transformer" or config["train"]["select"] != "timing":
        return {}
    return config_keys("sample", "stop", "run_limits")


def frame_model_outputs(corpus=CORPUS):
    """Every frame model's test evaluation (none when the corpus is too small for models)."""
    if not HAS_MODELS:
        return []
    return expand(f"{RESULTS}/models/{corpus}/{{model}}.test.json", model=MODELS)


def generated_outputs(corpus=CORPUS):
    """Every generated set's timing and the voices' fidelity (none without models)."""
    if not HAS_MODELS:
        return []
    out = [t for system in GENERATED for t in timing_outputs(f"{corpus}.{system}")]
    return out + voice_fidelity_outputs(corpus)


def system_voice(system):
    """The voice that renders a generated system: its own, else the configured one."""
    return system_spec(system).voice or config["sample"]["voice"]


# Voices (babbler/voices/registry.py): the configured one, and every voice listed in `voices`, get a fidelity row.
REPORT_VOICES = list(dict.fromkeys([config["sample"]["voice"], *config["voices"]]))


wildcard_constraints:
    voice="|".join(VOICES),


def voice_model(corpus, voice):
    """The trained models a voice renders with: its own, then those of the voices it needs ([] untrained)."""
    return [f"{RESULTS}/models/{corpus}/{v}.pt" for v in voice_models(voice)]


def voice_fidelity_outputs(corpus=CORPUS):
    """The fidelity of every reported voice."""
    return [f"{RESULTS}/eval/{corpus}/voice_{voice}.json" for voice in REPORT_VOICES]


def markov_weight(wildcards):
    """The count model's share in a system's frames: sample.markov_weight for the agent's systems, else 0."""
    if system_spec(wildcards.system).model == "transformer":
        return config["sample"]["markov_weight"]
    return 0


def prompt_adapt(wildcards):
    """The prior strength with which the count model of the continuation adapts to its prompt (0: not at all)."""
    if system_spec(wildcards.system).mode == "continuation" and markov_weight(wildcards) > 0:
        return config["sample"]["prompt_adapt"]
    return 0


def sample_model(wildcards):
    """The frame model a system samples from (none for resynthesis), then the markov model it is interpolated with."""
    model = system_spec(wildcards.system).model
    models = [model] if model else []
    if markov_weight(wildcards) > 0:
        models.append("markov")
    return [f"{RESULTS}/models/{wildcards.corpus}/{m}.pt" for m in models]


def render_inputs(wildcards):
    """Tracks of a generated set, the real audio it keeps, and the voice's model when it trains."""
    return {
        "tracks": expand(f"{RESULTS}/corpus/{wildcards.corpus}.{wildcards.system}/tracks/{{k}}.parquet", k=TEST_IDS),
        "real": expand(f"{RESULTS}/corpus/{wildcards.corpus}/wav/{{k}}.wav", k=TEST_IDS),
        "model": voice_model(wildcards.corpus, system_voice(wildcards.system)),
    }


def fidelity_system(voice):
    """The resynthesis set a voice's fidelity is measured on: `resynth` for the configured voice, else its
    excerpt set."""
    return "resynth" if system_voice("resynth") == voice else voice_check(voice)


# Every generated set the run makes: the evaluated systems and the reported voices' excerpts.
GENERATED = list(dict.fromkeys([*EVAL_SYSTEMS, *(fidelity_system(v) for v in REPORT_VOICES)]))


def evaluation_events(wildcards):
    """Events of every human dialogue (the noise floor) and of every evaluated system's dialogues."""
    human = expand(f"{RESULTS}/timing/{wildcards.corpus}/{{dlg}}.events.csv", dlg=DIALOGUES)
    systems = expand(
        f"{RESULTS}/timing/{wildcards.corpus}.{{system}}/{{k}}.events.csv", system=EVAL_SYSTEMS, k=TEST_IDS
    )
    return human + systems


def evaluation_stats(wildcards):
    """stats.csv of the human corpus and of every evaluated system."""
    sources = [wildcards.corpus] + [f"{wildcards.corpus}.{s}" for s in EVAL_SYSTEMS]
    return [f"{RESULTS}/timing/{s}/stats.csv" for s in sources]


def timeline_inputs(wildcards):
    """Speaker A's prosody of the first test dialogue in the human corpus and every system (B beside it)."""
    sources = [wildcards.corpus] + [f"{wildcards.corpus}.{s}" for s in EVAL_SYSTEMS]
    return [f"{RESULTS}/prosody/{s}/{TEST_IDS[0]}.{spk}.parquet" for s in sources for spk in "AB"]


# Spectrogram panels and report players: the human channel, selfplay in the configured voice, then every reported
# voice re-voicing the same excerpt of the first test dialogue.
SPECTROGRAM_LABELS = [
    "real (speaker A of the first test dialogue)",
    f"selfplay, {config['sample']['voice']} voice (speaker A)",
    *(f"{v} voice, resynthesis (speaker A)" for v in REPORT_VOICES),
]


def spectrogram_inputs(wildcards):
    """Speaker A's mono audio behind the spectrogram panels (SPECTROGRAM_LABELS order)."""
    k = TEST_IDS[0]
    voices = [f"{RESULTS}/audio/{wildcards.corpus}.{fidelity_system(v)}/{k}.A.wav" for v in REPORT_VOICES]
    return [
        f"{RESULTS}/audio/{wildcards.corpus}/{k}.A.wav",
        f"{RESULTS}/audio/{wildcards.corpus}.selfplay/{k}.A.wav",
        *voices,
    ]


REPORT_AUDIO_LABELS = ["real", *EVAL_SYSTEMS]


def report_audio(wildcards):
    """Stereo WAVs of the first test dialogue behind the report's players (REPORT_AUDIO_LABELS order)."""
    k = TEST_IDS[0]
    return [f"{RESULTS}/corpus/{wildcards.corpus}/wav/{k}.wav"] + [
        f"{RESULTS}/corpus/{wildcards.corpus}.{s}/wav/{k}.wav" for s in EVAL_SYSTEMS
    ]


def voice_audio(wildcards):
    """Per reported voice, its stereo re-voicing of the first test dialogue (the voices table's players)."""
    k = TEST_IDS[0]
    return [f"{RESULTS}/corpus/{wildcards.corpus}.{fidelity_system(v)}/wav/{k}.wav" for v in REPORT_VOICES]


def training_curves(wildcards):
    """Metrics of every trained frame model and of every trained voice that is reported."""
    trained = MODELS + [v for v in REPORT_VOICES if VOICES[v].trains]
    return expand(f"{RESULTS}/models/{wildcards.corpus}/{{model}}.metrics.csv", model=trained)


def report_outputs(corpus=CORPUS):
    """The evaluation's metrics and the HTML report (none without models)."""
    if not HAS_MODELS:
        return []
    return [f"{RESULTS}/eval/{corpus}/metrics.json", f"{RESULTS}/report/{corpus}/report.html"]
