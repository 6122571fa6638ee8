"""The workflow on a real one-node SLURM (tests/cluster/slurm.py), through the real
snakemake-executor-plugin-slurm with profiles/slurm; site names are overridden on the
command line for the test cluster, not edited."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from cluster.slurm import PARTITION, one_node_slurm
from helpers import BIN, ROOT, snakemake, tiny_config

from msdl.shards import load_shard

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# profiles/slurm, with this cluster's partition and no account; squeue status (no slurmdbd)
SLURM = [
    "--profile",
    "profiles/slurm",
    "--default-resources",
    f"slurm_partition={PARTITION}",
    "runtime=30",
    "mem_mb=1000",
    "--slurm-no-account",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--jobs",
    "4",
]


@pytest.fixture(scope="module")
def slurm_cluster():
    with one_node_slurm() as cluster:
        print(f"SLURM test cluster up in {cluster['startup_s']:.1f} s")
        yield cluster


def checksums(results) -> dict[str, str]:
    """SHA-256 of every output (datasets, models, figures); not logs, benchmarks or checkpoints."""
    out = {}
    for path in sorted(results.rglob("*")):
        rel = path.relative_to(results)
        if path.is_file() and rel.parts[0] in ("datasets", "models", "figures") and "state" not in rel.parts:
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# Outputs of the backbone stage (synthetic datasets, an AE): 9 jobs (3 smooth shards,
# the thresholded test shard, Figure 2-2 from it, normalization, layer table, training,
# the AE's figures), one or more of every rule kind of the backbone. The binary AE's
# chain adds the same rules again, with heavier jobs; the other stages run the same
# executor machinery; the whole tiny DAG (107 jobs) would take ~6 min on 2 cores here.
BACKBONE = [
    "figures/microstructures_synthetic_binary.png",
    "models/ae_smooth/layers.txt",
    *(f"figures/ae_smooth_{fig}.png" for fig in ("reconstructions", "latent_samples", "loss")),
]
# ... and every file those jobs write (besides logs, benchmarks and checkpoints)
BACKBONE_OUTPUTS = {
    *BACKBONE,
    *(f"datasets/synthetic_smooth/{s}.{ext}" for s in ("train/shard-0000", "train/shard-0001", "test/shard-0000")
      for ext in ("npy", "json")),
    "datasets/synthetic_binary/test/shard-0000.npy",
    "datasets/synthetic_binary/test/shard-0000.json",
    "datasets/synthetic_smooth/normalization.json",
    "models/ae_smooth/model.pt",
    "models/ae_smooth/metrics.csv",
}  # fmt: skip


def test_slurm_run_gives_the_same_outputs_as_a_local_run(tmp_path, slurm_cluster):
    """The same sub-DAG through SLURM and locally, side by side (the SLURM run mostly
    waits for the scheduler): every output byte-identical."""
    local, remote = tmp_path / "local", tmp_path / "slurm"
    log = tmp_path / "slurm-run.log"
    proc = _background([*(str(remote / t) for t in BACKBONE), *SLURM, *tiny_config(tmp_path, remote)], log)
    snakemake(
        *(str(local / t) for t in BACKBONE),
        "--profile",
        "profiles/local",
        *tiny_config(tmp_path, local),
        "--cores",
        "2",
    )
    assert proc.wait(timeout=900) == 0, log.read_text()[-4000:]
    out = log.read_text()
    assert "steps (100%) done" in out
    assert "submitted" in out.lower()  # jobs really went through sbatch
    a, b = checksums(local), checksums(remote)
    assert BACKBONE_OUTPUTS <= a.keys() and a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"outputs differ between local and SLURM runs: {differ}"


def _slurm_jobs() -> list[tuple[str, str]]:
    """``(job id, comment)`` of queued/running jobs; the plugin puts the rule in the comment."""
    out = subprocess.run(["squeue", "-h", "-o", "%i %k"], capture_output=True, text=True, check=True).stdout
    return [tuple(line.split(" ", 1)) for line in out.splitlines() if line.strip()]


def _checkpoint_epoch(path: Path) -> int:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)["epoch"]
    except (FileNotFoundError, RuntimeError, EOFError):
        return 0


def _background(args: list[str], log: Path | None = None) -> subprocess.Popen:
    """Snakemake started in the background; its output in a pipe, or in the file ``log``."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    argv = [str(BIN / "snakemake"), *args]
    if log is None:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with log.open("w") as out:  # the child keeps its own copy of the file
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


LONGER_TRAINING = {
    "datasets": {"synthetic_smooth": {"seeds": {"n_train": 192}, "shard_size": 96}},
    "models": {"ae_smooth": {"epochs": 6, "figure_epochs": [6]}},
}


def test_scancelled_training_job_is_retried_and_resumes(tmp_path, slurm_cluster):
    """scancel the training job after its first checkpoint: the profile's retries start it
    again, it resumes from the checkpoint, and ends with the bytes of an uninterrupted run."""
    local, remote = tmp_path / "local", tmp_path / "slurm"
    target = "models/ae_smooth/model.pt"
    # the uninterrupted reference, run locally while the SLURM run goes on
    reference = _background(
        [str(local / target), "--profile", "profiles/local", *tiny_config(tmp_path, local, **LONGER_TRAINING)]
        + ["--cores", "2"],
        tmp_path / "local-run.log",
    )
    proc = _background([str(remote / target), *SLURM, *tiny_config(tmp_path, remote, **LONGER_TRAINING)])
    checkpoint = remote / "models/ae_smooth/state/checkpoint.pt"
    deadline = time.time() + 600
    while _checkpoint_epoch(checkpoint) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()[0][-4000:]
    train_jobs = [job for job, comment in _slurm_jobs() if "train_autoencoder" in comment]
    assert len(train_jobs) == 1, f"expected one running training job, squeue shows {_slurm_jobs()}"
    subprocess.run(["scancel", train_jobs[0]], check=True)
    epoch_at_cancel = _checkpoint_epoch(checkpoint)
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out[-4000:]
    assert reference.wait(timeout=900) == 0, (tmp_path / "local-run.log").read_text()[-4000:]
    assert 1 <= epoch_at_cancel < 6
    log = (remote / "logs/models/ae_smooth/train.log").read_text()
    assert "resuming from" in log, log[-2000:]
    assert (remote / target).read_bytes() == (local / target).read_bytes()
    assert (remote / "models/ae_smooth/metrics.csv").read_bytes() == (
        local / "models/ae_smooth/metrics.csv"
    ).read_bytes()


# (512x512 images: no 128x128 network, e.g. the binary architecture search, can read them; off)
SLOW_SHARDS = {
    "datasets": {"synthetic_smooth": {"image_size": [512, 512], "seeds": {"n_train": 200}, "shard_size": 200}},
    "search": {"binary": {"enabled": False}},
}


def test_killed_simulation_shard_is_retried_with_the_same_bytes(tmp_path, slurm_cluster):
    """kill -9 the Python process of a running shard job: the job fails, the profile
    retries it, and the shard ends complete, checksummed and byte-identical to a local one."""
    local, remote = tmp_path / "local", tmp_path / "slurm"
    target = "datasets/synthetic_smooth/train/shard-0000.npy"
    snakemake(
        "--profile", "profiles/local", *tiny_config(tmp_path, local, **SLOW_SHARDS), "--cores", "1", str(local / target)
    )
    proc = _background([str(remote / target), *SLURM, *tiny_config(tmp_path, remote, **SLOW_SHARDS)])
    victim, deadline = None, time.time() + 300
    while victim is None and time.time() < deadline and proc.poll() is None:
        pids = subprocess.run(["pgrep", "-f", "generate_shard.py"], capture_output=True, text=True).stdout.split()
        victim = int(pids[0]) if pids else None
        time.sleep(0.05)
    assert victim is not None, "the shard job never started"
    time.sleep(0.5)
    os.kill(victim, signal.SIGKILL)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-4000:]
    assert "Error in rule gaussian_random_field_shard" in out  # the kill was seen, then retried
    array, manifest = load_shard(remote / target)
    assert (remote / target).read_bytes() == (local / target).read_bytes()
    assert manifest["seeds"] == {"first": 0, "stop": 200}
    assert not list((remote / "datasets").rglob(".tmp-*"))
