"""A real one-node SLURM on loopback for the tests (Debian's slurm-wlm and munge).

:func:`one_node_slurm` starts munged, slurmctld and slurmd as children of the test
process, waits until the node is idle, yields, and stops every daemon it started by its
PID (never by name), also when the test fails. Accounting (slurmdbd) is not started: the
workflow is run with ``--slurm-status-command squeue``, which needs MinJobAge >= 3 x the
plugin's initial status wait (40 s); MinJobAge here is 300 s.

The SLURM plugin strips ``SLURM_*`` variables inside jobs, so the configuration must be
at ``/etc/slurm/slurm.conf``; an existing file there is moved aside and put back.

Needs root and ``apt-get install slurm-wlm munge`` (``.ci/run`` does it; README says so).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

SLURM_CONF = Path("/etc/slurm/slurm.conf")
PARTITION = "msdltest"
DAEMONS = ("munged", "slurmctld", "slurmd")


def missing_tools() -> list[str]:
    return [t for t in (*DAEMONS, "sbatch", "squeue", "scancel", "sinfo") if shutil.which(t) is None]


def _conf(state: Path, cpus: int, memory_mb: int) -> str:
    host = socket.gethostname()
    return f"""# written by msdl tests/cluster/slurm.py for a one-node test cluster
ClusterName=msdltest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MinJobAge=300
ReturnToService=2
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/d
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SlurmctldPort=46817
SlurmdPort=46818
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _children(pid: int) -> list[int]:
    """PIDs of the direct children of ``pid`` (slurmd's slurmstepd processes)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _drain(timeout: float = 20.0) -> None:
    """Cancel every job and wait (bounded) until the queue is empty."""
    subprocess.run(["scancel", "--partition", PARTITION], capture_output=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run(["squeue", "-h"], capture_output=True, text=True)
        if out.returncode != 0 or not out.stdout.strip():
            return
        time.sleep(0.5)


def _stop(procs: list[subprocess.Popen]) -> None:
    """Stop the daemons we started, by PID, and any slurmstepd that slurmd left."""
    steps = [c for proc in procs if proc.poll() is None for c in _children(proc.pid)]
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 15
    for proc in reversed(procs):
        try:
            proc.wait(timeout=max(deadline - time.time(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in steps:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_idle(timeout: float) -> None:
    deadline = time.time() + timeout
    state = ""
    while time.time() < deadline:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        state = out.stdout.strip()
        if out.returncode == 0 and state == "idle":
            return
        time.sleep(0.5)
    raise RuntimeError(f"the test SLURM node did not become idle in {timeout} s (state {state!r})")


@contextlib.contextmanager
def one_node_slurm(cpus: int | None = None, memory_mb: int = 20000) -> Iterator[dict]:
    """Start the cluster; yield ``{"partition", "state_dir", "startup_s"}``; stop it."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(f"SLURM test cluster needs {missing}: run `apt-get install -y slurm-wlm munge` as root")
    if os.geteuid() != 0:
        raise RuntimeError("the SLURM test cluster runs its daemons as root (SlurmUser=root)")
    start = time.perf_counter()
    state = Path(tempfile.mkdtemp(prefix="msdl-slurm-"))
    (state / "ctld").mkdir()
    (state / "d").mkdir()
    backup = None
    if SLURM_CONF.exists():
        backup = SLURM_CONF.with_name("slurm.conf.msdl-backup")
        SLURM_CONF.replace(backup)
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SLURM_CONF.write_text(_conf(state, cpus or os.cpu_count() or 2, memory_mb))
    for d in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
        Path(d).mkdir(parents=True, exist_ok=True)
        shutil.chown(d, "munge", "munge")
    procs: list[subprocess.Popen] = []
    logs = state / "daemons.log"
    try:
        with open(logs, "ab") as log:
            procs.append(subprocess.Popen(["munged", "-F"], user="munge", stdout=log, stderr=log))
            deadline = time.time() + 10
            while not Path("/run/munge/munge.socket.2").exists():
                if procs[0].poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"munged did not start; see {logs}")
                time.sleep(0.1)
            procs.append(subprocess.Popen(["slurmctld", "-D", "-i"], stdout=log, stderr=log))
            procs.append(subprocess.Popen(["slurmd", "-D"], stdout=log, stderr=log))
        _wait_idle(60)
        yield {"partition": PARTITION, "state_dir": state, "startup_s": time.perf_counter() - start}
    finally:
        if len(procs) == len(DAEMONS):
            _drain()
        _stop(procs)
        SLURM_CONF.unlink(missing_ok=True)
        if backup is not None:
            backup.replace(SLURM_CONF)
        shutil.rmtree(state, ignore_errors=True)
