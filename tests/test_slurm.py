"""The workflow on a real one-node Slurm (Debian's slurm-wlm and munge) through the project's cluster profile."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.slurm_cluster import slurm_cluster, unavailable_reason

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"


def test_profile_lets_rules_ask_for_their_own_cores_and_needs_no_accounting():
    profile = yaml.safe_load(PROFILE.read_text())
    assert "cpus_per_task" not in profile["default-resources"]  # it would override every rule's threads
    assert "slurm_partition" not in profile["default-resources"]  # no made-up partition name
    assert profile["slurm-status-command"] == "squeue"  # works where sacct has no database
    assert profile["executor"] == "slurm" and "downloads=8" in profile["resources"]
    assert "slurm_extra" not in PROFILE.read_text()  # the plugin refuses --gres in slurm_extra
    # the per-dialogue stages' batches are the cluster's jobs (a batch's chain one group): the profile groups nothing
    assert "groups" not in profile and "group-components" not in profile


def proc_run_id(out: str) -> str:
    """The SLURM run id the executor names its jobs after."""
    return out.split("SLURM run ID: ", 1)[1].split()[0]


@pytest.mark.slow
def test_tiny_workflow_runs_through_sbatch_on_a_real_slurm(tmp_path):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="the executor plugin: pip install -e '.[slurm]'")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(
        {"corpus": {"name": "demo", "demo": {"n_dialogues": 2, "duration": 15}}}))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
           "--configfile", str(tmp_path / "config.yaml"), "--workflow-profile", str(ROOT / "profiles" / "slurm"),
           "--slurm-init-seconds-before-status-checks", "2", "results/timing/demo/stats.csv"]
    with slurm_cluster() as cluster:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        queue = subprocess.run(["squeue", "--states=all", "-h", "-o", "%j|%T"], capture_output=True, text=True).stdout
        out = proc.stdout + proc.stderr
        logs = "".join(p.read_text() for p in cluster["logs"].iterdir())
        assert proc.returncode == 0, f"{out[-5000:]}\n--- slurm logs ---\n{logs[-3000:]}"
    # both dialogues' chains (corpus → mono → prosody → events) went through sbatch as one grouped job (a batch of
    # up to batch.dialogues = 50) and completed
    jobs = [line.split("|") for line in queue.splitlines() if line.strip()]
    assert len(jobs) == 1 and all(state == "COMPLETED" for _, state in jobs), queue
    assert out.count("has been submitted with SLURM jobid") == 1
    assert all(name.startswith(proc_run_id(out)) for name, _ in jobs)  # this run's jobs, named by its run id
    stats = pd.read_csv(tmp_path / "results/timing/demo/stats.csv", dtype={"dialogue": str})
    assert stats["dialogue"].tolist() == ["d001", "d002"] and (stats["ipu_per_min"] > 5).all()
    assert (tmp_path / "results/benchmarks/prosody/demo/batch1.tsv").exists()
