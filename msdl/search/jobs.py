"""The two jobs of an architecture search: one trial, and the leaderboard of all trials.

A trial is an ordinary training job (:func:`msdl.training.jobs.train_model`: checkpoint
every epoch, resume after a kill) of the trial's ``<base>/<knobs>`` architecture with the
trial's loss, plus the untrained network's test MSE (for the speed measure) and a small
JSON record. The trial loads and normalizes its data once, for both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from msdl.device import resolve_device
from msdl.io import write_json, write_text
from msdl.models.registry import build_autoencoder
from msdl.normalization import transform
from msdl.progress import get_logger
from msdl.search.figures import curves_by_knob, leaderboard_bars
from msdl.search.findings import findings, findings_text, leaderboard, leaderboard_csv
from msdl.search.grid import parse_trial, trial_model_config, trial_record
from msdl.training.autoencoder import evaluate_mse
from msdl.training.jobs import load_normalized, read_statistics, train_model


def initial_test_mse(architecture: str, seed: int, test_images: np.ndarray, norm: dict, batch_size: int) -> float:
    """Test MSE in image units of the untrained network, initialized as :func:`msdl.training.autoencoder.train`
    initializes it (``torch.manual_seed(seed)`` then build); ``test_images`` ``(N, H, W)``
    normalized by ``norm`` (:func:`msdl.training.jobs.load_normalized`)."""
    torch.manual_seed(seed)
    model = build_autoencoder(architecture)
    x = torch.from_numpy(test_images).unsqueeze(1)
    return evaluate_mse(model, x, batch_size, torch.device("cpu")) * norm["scale"] ** 2


def run_trial(
    search_name: str,
    search: dict,
    trial_name: str,
    device: str,
    train_shards: list[str],
    test_shards: list[str],
    statistics_path: str | Path,
    state_dir: str | Path,
    model_path: str | Path,
    metrics_path: str | Path,
    record_path: str | Path,
    threads: int | None = None,
    log: str | None = None,
) -> dict:
    """Train one trial of ``search`` and write its model, metrics CSV and JSON record.

    The data are loaded and normalized once, for the untrained network's test MSE and
    for the training (``statistics_path``: the dataset's normalization JSON).
    """
    logger = get_logger("search", log)
    if threads:
        torch.set_num_threads(threads)
    resolve_device(device)  # a missing device fails here, before any data is read
    trial = parse_trial(trial_name)
    model_config = trial_model_config(search, trial)
    architecture = model_config["architecture"]
    norm = transform(read_statistics(statistics_path), model_config["normalization"])
    train_images, test_images, data_ids = load_normalized(train_shards, test_shards, norm)
    initial = initial_test_mse(architecture, search["seed"], test_images, norm, search["batch_size"])
    logger.info(
        f"search {search_name} trial {trial_name}: {architecture}, loss {trial.loss}, untrained test MSE {initial:.5f}"
    )
    model, metrics = train_model(
        model_config,
        device,
        train_images,
        test_images,
        data_ids,
        norm,
        state_dir,
        model_path,
        metrics_path,
        get_logger("train", log),
        decoded=False,  # a trial's score is its test MSE: its outputs are never drawn
    )
    params = sum(p.numel() for p in model.parameters())
    record = trial_record(search_name, search, trial, params, initial, metrics, len(train_images), len(test_images))
    write_json(record_path, record)
    logger.info(
        f"trial {trial_name}: final test MSE {record['final_test_mse_image']:.5f} (image units), "
        f"{record['epochs_to_fraction']} epochs to {record['speed_fraction']:.0%} of its drop"
    )
    return record


def run_leaderboard(
    search_name: str,
    record_paths: list[str],
    csv_path,
    bars_path,
    curves_path,
    findings_path,
    findings_text_path,
    log: str | None = None,
) -> dict:
    """Leaderboard CSV, the two figures and the findings of one search from its trial records."""
    trials = [json.loads(Path(p).read_text()) for p in record_paths]
    for path, t in zip(record_paths, trials):
        if t.get("search") != search_name:
            raise ValueError(f"{path}: record of search {t.get('search')!r}, expected {search_name!r}")
    write_text(csv_path, leaderboard_csv(leaderboard(trials)))
    title = f"Architecture search {search_name}: {trials[0]['base']} on {trials[0]['dataset']}, {len(trials)} trials"
    leaderboard_bars(trials, bars_path, title)
    curves_by_knob(trials, curves_path, title)
    result = findings(trials)
    write_json(findings_path, result)
    text = findings_text(result)
    write_text(findings_text_path, text)
    get_logger("search", log).info(text)
    return result
