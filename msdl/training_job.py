"""One training job of the workflow: load checked shards, normalize, train, save."""

from __future__ import annotations

from pathlib import Path

import torch

from msdl.normalization import normalize, transform
from msdl.progress import get_logger
from msdl.shards import load_split, read_manifest
from msdl.train import TrainConfig, fingerprint, save_model, train, write_metrics


def train_config(model_config: dict, device: str) -> TrainConfig:
    """A :class:`TrainConfig` from a ``models.<name>`` config entry."""
    return TrainConfig(
        architecture=model_config["architecture"],
        epochs=model_config["epochs"],
        batch_size=model_config["batch_size"],
        learning_rate=model_config["learning_rate"],
        seed=model_config["seed"],
        device=device,
        snapshot_epochs=sorted(model_config["figure_epochs"]),
    )


def run_training(
    model_config: dict,
    device: str,
    train_shards: list[str],
    test_shards: list[str],
    statistics: dict,
    state_dir: str | Path,
    model_path: str | Path,
    metrics_path: str | Path,
    log_path: str | None = None,
    threads: int | None = None,
) -> list[dict]:
    """Train one model from its shards and write ``model_path`` and ``metrics_path``.

    ``statistics`` is the dataset's normalization JSON; the model config's
    ``normalization`` mode picks the transform. Returns the metric rows. Memory: the whole train and test splits as float32.
    """
    logger = get_logger("train", log_path)
    if threads:
        torch.set_num_threads(threads)
    cfg = train_config(model_config, device)
    normalization = transform(statistics, model_config["normalization"])
    train_images, _ = load_split(train_shards)
    test_images, _ = load_split(test_shards)
    data_ids = [read_manifest(Path(p).with_suffix(".json"))["sha256"] for p in [*train_shards, *test_shards]]
    run_id = fingerprint(cfg, data_ids, normalization)
    model, metrics, snapshots = train(
        cfg,
        normalize(train_images, normalization),
        normalize(test_images, normalization),
        state_dir,
        run_id,
        logger,
        scale=normalization["scale"],
    )
    write_metrics(metrics_path, metrics)
    save_model(model_path, cfg, model, snapshots, normalization)
    logger.info(f"wrote {model_path} and {metrics_path}; final test MSE {metrics[-1]['test_mse']:.5f}")
    return metrics
