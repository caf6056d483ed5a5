import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import min_version

min_version("9.0")

# Parse-time helpers live in the babbler package beside this workflow; the rule scripts get it
# through PYTHONPATH, so they import it in the venv and in a per-rule conda env alike.
sys.path.insert(0, workflow.basedir)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (workflow.basedir, os.environ.get("PYTHONPATH")) if p))

from babbler.config import check_config, coerce_to_schema, no_models_reason, schema, schema_problem, with_defaults
from babbler.corpora.speakers import SEATS, SOURCE as SPEAKERS
from babbler.models import MODEL_FILE_FORMAT
from babbler.models.registry import FRAME_MODELS
from babbler.sampling.systems import SYSTEMS, voice_check
from babbler.voices.registry import TRAINED as TRAINED_VOICES, VOICES, render_settings
from babbler.workflow.paths import path, paths
from babbler.workflow.plan import RunPlan

# The schema is schemas/config.schema.yaml completed from the registries (babbler.config.schema): a plugin's corpus,
# voice or frame model brings its own section. Nested --config values arrive as strings ('4'); read them back as
# the schema's types first. A bad key or value is a few lines (the key, the problem, what is allowed).
config.update(coerce_to_schema(config, schema()))
if problem := schema_problem(config):
    raise WorkflowError(str(problem))
with_defaults(config)
check_config(config)

# What the run makes, and every rule's input functions (babbler/workflow/: one module per stage).
PLAN = RunPlan.from_config(config)
CORPUS, DIALOGUES, TEST_IDS = PLAN.corpus, PLAN.dialogues, PLAN.test_ids
if not PLAN.has_models:
    logger.warning(
        f"{no_models_reason(config, PLAN.split)}, so the workflow stops after the timing stage (no models, no sampling)"
    )


wildcard_constraints:
    dlg=r"[^/.]+",
    source=r"[^/]+",
    corpus=r"[^/.]+",
    file=r"[^/]+",
    model="|".join(FRAME_MODELS),
    system="|".join([*SYSTEMS, *(voice_check(v) for v in VOICES)]),
    voice="|".join(VOICES),


def log_path(stage, job):
    """A rule's log file."""
    return path("log", stage=stage, job=job)


def benchmark_path(stage, job):
    """A rule's benchmark file."""
    return path("benchmark", stage=stage, job=job)


def batch_minutes(batch, per_dialogue):
    """A batch job's runtime request (minutes, for a cluster): ten, plus a generous `per_dialogue` for each
    dialogue (docs/cluster.md has the measured times)."""
    return 10 + per_dialogue * len(batch.dialogues)


def config_keys(section, *keys):
    """Exactly the keys of a config section that a rule reads (its params are its rerun trigger)."""
    return {k: config[section][k] for k in keys}


def training_threads():
    """Threads of a training job: all the cores the run was given, so it never shares the CPU with
    other jobs (its torch threads are then capped at the CPUs the machine really has); 4 when the
    run names no core count (cluster executors; a profile may override with set-threads)."""
    try:
        return workflow.cores
    except WorkflowError:
        return 4


def warm_up():
    """Fill numba's cache with librosa's kernels before the jobs start (babbler.util.warmup); where the jobs run
    in their own conda envs, the cache they need is another, so nothing is done."""
    from snakemake.settings.types import DeploymentMethod

    if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
        return
    from babbler.util.warmup import warm_once

    try:
        seconds = warm_once()
        logger.info("librosa's numba kernels: " + ("cached" if seconds is None else f"compiled in {seconds:.1f} s"))
    except Exception as err:  # only a head start: each job compiles what it lacks
        logger.warning(f"could not warm librosa's numba cache ({type(err).__name__}: {err}); the jobs compile it")


def stop_timers():
    """Cancel the scheduler's pending re-plan timers when the run is over (babbler.util.shutdown)."""
    from babbler.util.shutdown import cancel_timers

    logger.debug(f"cancelled {cancel_timers()} pending scheduler timer(s)")
