"""A real one-node Slurm cluster for the tests: munge, slurmctld and slurmd from Debian's packages.

`.ci/run` installs them (apt-get, as root). The cluster has no accounting database
(AccountingStorageType=accounting_storage/none), like the clusters on which `sacct` hangs, so a
workflow that finishes on it does not depend on accounting.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# slurm's clients and the executor plugin's nested `srun` read the system-wide file (the jobstep plugin
# drops SLURM_* variables, SLURM_CONF among them, before its srun), so the test cluster must live there.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# written by babbler's tests/slurm_cluster.py"
BINARIES = ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")


def unavailable_reason() -> str | None:
    """Why a test cluster cannot be started here (None when it can)."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return (f"Slurm is not installed ({', '.join(missing)} missing): `.ci/run` installs Debian's slurm-wlm "
                "and munge with apt-get as root")
    if os.geteuid() != 0:
        return "starting slurmctld, slurmd and munged needs root"
    if SYSTEM_CONF.exists() and MARK not in SYSTEM_CONF.read_text():
        return f"{SYSTEM_CONF} belongs to a real cluster on this machine; the tests do not touch it"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_line() -> str:
    """This machine's node definition as slurmd itself measures it (CPUs, memory)."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("NodeName="))
    return line + " State=UNKNOWN"


def _munge_running() -> bool:
    proc = subprocess.run("munge -n | unmunge", shell=True, capture_output=True)
    return proc.returncode == 0


@contextmanager
def slurm_cluster(timeout: float = 60.0) -> Iterator[dict]:
    """Start munged (if needed), slurmctld and slurmd on this machine; yield facts about the cluster."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    work = Path(tempfile.mkdtemp(prefix="babbler-slurm-"))
    for sub in ("state", "spool", "log"):
        (work / sub).mkdir()
    host = socket.gethostname().split(".")[0]
    conf = f"""{MARK}
ClusterName=babbler-test
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={work}/state
SlurmdSpoolDir={work}/spool
SlurmctldPidFile={work}/slurmctld.pid
SlurmdPidFile={work}/slurmd.pid
SlurmctldLogFile={work}/log/slurmctld.log
SlurmdLogFile={work}/log/slurmd.log
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
ReturnToService=2
MpiDefault=none
{_node_line()}
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONF.write_text(conf)
    started_munge = False
    try:
        if not _munge_running():
            run_dir = Path("/run/munge")
            run_dir.mkdir(parents=True, exist_ok=True)
            shutil.chown(run_dir, "munge", "munge")
            subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True, capture_output=True)
            started_munge = True
        subprocess.run(["slurmctld"], check=True, capture_output=True)
        subprocess.run(["slurmd"], check=True, capture_output=True)
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.strip()
            if state == "idle":
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"the test cluster's node is '{state}', not idle, after {timeout:g} s; logs in {work}/log")
        yield {"conf": SYSTEM_CONF, "work": work, "logs": work / "log"}
    finally:
        for name in ("slurmd", "slurmctld"):
            _stop(work / f"{name}.pid")
        if started_munge:
            subprocess.run(["pkill", "-x", "munged"], capture_output=True)
        if SYSTEM_CONF.exists() and MARK in SYSTEM_CONF.read_text():
            SYSTEM_CONF.unlink()
        shutil.rmtree(work, ignore_errors=True)


def _stop(pid_file: Path, wait: float = 15.0) -> None:
    """SIGTERM the daemon whose pid the file holds and wait until it has gone."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
