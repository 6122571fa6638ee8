"""Training: it learns, checkpoints each epoch, and a killed run resumes to the same weights."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from msdl.normalization import normalize, sample_statistics, transform
from msdl.shards import shard_plan
from msdl.synthetic.jobs import generate_gaussian_shard
from msdl.training.common import read_metrics

MODEL = {
    "architecture": "ae_binary",
    "epochs": 6,
    "batch_size": 16,
    "learning_rate": 0.002,
    "seed": 3,
    "normalization": "symmetric_range",
    "figure_epochs": [1, 3, 6],
}


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    dataset = {"image_size": [128, 128], "covariance": [[16.0, 0.0], [0.0, 16.0]]}
    out = {"train": [], "test": []}
    for shard in shard_plan(0, 192, 32, 96):
        npy = root / shard.split / f"{shard.name}.npy"
        generate_gaussian_shard("train-test", dataset, shard, npy, npy.with_suffix(".json"))
        out[shard.split].append(str(npy))
    stats = root / "stats.json"
    stats.write_text(json.dumps(sample_statistics(out["train"])))
    out["stats"] = str(stats)
    return out


def _job(shards, out, model=MODEL):
    """Python source that runs one training job into ``out`` (run in a subprocess)."""
    return (
        "from msdl.training.jobs import run_training;"
        f"run_training(model_config={model!r}, device='cpu', train_shards={shards['train']!r},"
        f" test_shards={shards['test']!r}, statistics_path={shards['stats']!r},"
        f" state_dir={str(out / 'state')!r}, model_path={str(out / 'model.pt')!r},"
        f" metrics_path={str(out / 'metrics.csv')!r}, log={str(out / 'train.log')!r}, threads=1)"
    )


def _run(code):
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600)


def _checkpoint_epoch(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)["epoch"]
    except (FileNotFoundError, RuntimeError, EOFError):
        return 0


def test_killed_run_resumes_to_the_same_weights(shards, tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    _run(_job(shards, whole))

    proc = subprocess.Popen([sys.executable, "-c", _job(shards, killed)])
    checkpoint = killed / "state" / "checkpoint.pt"
    deadline = time.time() + 300
    while _checkpoint_epoch(checkpoint) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    epoch_at_kill = _checkpoint_epoch(checkpoint)
    assert 2 <= epoch_at_kill < MODEL["epochs"], f"kill came at epoch {epoch_at_kill}: not mid-run"
    assert not (killed / "model.pt").exists()

    _run(_job(shards, killed))
    assert f"resuming from {checkpoint} after epoch {epoch_at_kill}" in (killed / "train.log").read_text()
    assert (whole / "model.pt").read_bytes() == (killed / "model.pt").read_bytes()
    assert (whole / "metrics.csv").read_bytes() == (killed / "metrics.csv").read_bytes()
    a = torch.load(whole / "model.pt", weights_only=True)
    b = torch.load(killed / "model.pt", weights_only=True)
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for epoch in MODEL["figure_epochs"]:
        for key in a["snapshots"][epoch]:
            assert torch.equal(a["snapshots"][epoch][key], b["snapshots"][epoch][key]), (epoch, key)
    ma, mb = read_metrics(whole / "metrics.csv"), read_metrics(killed / "metrics.csv")
    assert [r["epoch"] for r in ma] == list(range(1, 7))
    assert [(r["train_mse"], r["test_mse"]) for r in ma] == [(r["train_mse"], r["test_mse"]) for r in mb]
    # it learned something: test MSE fell well below the variance of the normalized data
    test = np.concatenate([np.load(p) for p in shards["test"]])
    norm = transform(json.load(open(shards["stats"])), "symmetric_range")
    assert ma[-1]["test_mse"] < 0.6 * float(np.var(normalize(test, norm)))
    assert ma[-1]["test_mse"] < ma[0]["test_mse"]
    log = (whole / "train.log").read_text()
    assert "images/s" in log and "ETA" in log


def test_changed_hyperparameters_do_not_resume_a_stale_checkpoint(shards, tmp_path):
    out = tmp_path / "run"
    _run(_job(shards, out, {**MODEL, "epochs": 1, "figure_epochs": [1]}))
    _run(_job(shards, out, {**MODEL, "epochs": 2, "figure_epochs": [1], "learning_rate": 0.01}))
    log = (out / "train.log").read_text()
    assert "belongs to another run" in log
    assert [r["epoch"] for r in read_metrics(out / "metrics.csv")] == [1, 2]


def test_more_epochs_continue_a_finished_run(shards, tmp_path):
    out = tmp_path / "run"
    _run(_job(shards, out, {**MODEL, "epochs": 1, "figure_epochs": [1]}))
    _run(_job(shards, out, {**MODEL, "epochs": 2, "figure_epochs": [1, 2]}))
    assert "resuming from" in (out / "train.log").read_text()
    assert [r["epoch"] for r in read_metrics(out / "metrics.csv")] == [1, 2]
