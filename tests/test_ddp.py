"""Data-parallel training: 2 processes (torchrun, gloo, CPU) follow the 1-process loss curve."""

import json

import numpy as np
import pytest
import torch

from msdl.normalization import sample_statistics
from msdl.shards import shard_plan
from msdl.synthetic.jobs import generate_gaussian_shard
from msdl.training.common import read_metrics
from msdl.training.jobs import launch_training

pytestmark = pytest.mark.slow

MODEL = {
    "architecture": "ae_smooth",  # no BatchNorm: per-process BN statistics would differ on CPU
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 0.002,
    "seed": 5,
    "normalization": "symmetric_range",
    "figure_epochs": [3],
}


def test_two_processes_follow_the_single_process_loss_curve(tmp_path):
    dataset = {"image_size": [128, 128], "covariance": [[16.0, 0.0], [0.0, 16.0]]}
    shards = {"train": [], "test": []}
    for shard in shard_plan(0, 96, 32, 48):
        npy = tmp_path / "data" / shard.split / f"{shard.name}.npy"
        generate_gaussian_shard("ddp", dataset, shard, npy, npy.with_suffix(".json"))
        shards[shard.split].append(str(npy))
    stats = tmp_path / "data/normalization.json"
    stats.write_text(json.dumps(sample_statistics(shards["train"])))
    runs = {}
    for processes in (1, 2):
        out = tmp_path / f"p{processes}"
        launch_training(
            processes=processes,
            model_config=MODEL,
            device="cpu",
            train_shards=shards["train"],
            test_shards=shards["test"],
            statistics_path=str(stats),
            state_dir=str(out / "state"),
            model_path=str(out / "model.pt"),
            metrics_path=str(out / "metrics.csv"),
            log=str(out / "train.log"),
            threads=1,
        )
        runs[processes] = out
    one, two = read_metrics(runs[1] / "metrics.csv"), read_metrics(runs[2] / "metrics.csv")
    assert [r["epoch"] for r in two] == [1, 2, 3]
    for a, b in zip(one, two):
        assert b["train_mse"] == pytest.approx(a["train_mse"], rel=1e-4)
        assert b["test_mse"] == pytest.approx(a["test_mse"], rel=1e-4)
    assert one[-1]["test_mse"] < one[0]["test_mse"]  # it trained
    wa = torch.load(runs[1] / "model.pt", weights_only=True)["model"]
    wb = torch.load(runs[2] / "model.pt", weights_only=True)["model"]
    for key in wa:
        np.testing.assert_allclose(wb[key].numpy(), wa[key].numpy(), atol=1e-4, rtol=1e-3)
    assert "x 2 process(es)" in (runs[2] / "train.log").read_text()
