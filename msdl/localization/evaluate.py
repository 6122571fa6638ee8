"""Fit and score localization predictors on sharded test sets (shared by MKS and the networks).

A predictor maps one phase field ``(N, N, N)`` (0/1) to a predicted ``strain_xx`` field.
:func:`evaluate` streams the test shards, scores every SVE (:mod:`msdl.localization.metrics`)
and keeps what the figures need: ``figure_sves`` whole SVEs (phase, true, predicted) and a
seeded sample of ``parity_points`` voxels (true, predicted).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from msdl.io import atomic_path
from msdl.localization.metrics import ScoreAccumulator, sample_positions
from msdl.localization.mks import MksFitter, MksModel
from msdl.progress import Progress
from msdl.shards import load_shard, read_manifest


def iter_sves(array_paths: list[str | Path]) -> Iterator[tuple[str, np.ndarray, list[str]]]:
    """``(name, sve (C, N, N, N), channel names)`` over checked shards, in seed order."""
    for path in sorted(array_paths, key=lambda p: read_manifest(Path(p).with_suffix(".json"))["seeds"]["first"]):
        array, manifest = load_shard(path)
        for name, sve in zip(manifest["names"], array):
            yield name, sve, manifest["channels"]


def count_sves(array_paths: list[str | Path]) -> int:
    return sum(read_manifest(Path(p).with_suffix(".json"))["shape"][0] for p in array_paths)


def fit_mks(train_paths: list[str | Path], logger: logging.Logger) -> MksModel:
    """First-order MKS fit of strain_xx on the hard-phase indicator over the train shards."""
    fitter = MksFitter()
    progress = Progress(logger, count_sves(train_paths), "SVEs", every_s=30.0, what="MKS fit: ")
    for _, sve, ch in iter_sves(train_paths):
        fitter.add(sve[ch.index("phase")], sve[ch.index("strain_xx")])
        progress.update()
    return fitter.fit()


def evaluate(
    predict: Callable[[np.ndarray], np.ndarray],
    test_paths: list[str | Path],
    metrics_cfg: dict,
    examples_path: str | Path,
    logger: logging.Logger,
) -> dict:
    """Score ``predict`` on every test SVE; write the figure examples; return the metrics."""
    n = count_sves(test_paths)
    seed = metrics_cfg["seed"]
    scores = ScoreAccumulator(sample_positions(n, metrics_cfg["r2_sample_sves"], seed))
    show = sorted(sample_positions(n, metrics_cfg["figure_sves"], seed + 1))
    rng = np.random.default_rng(seed + 2)
    per_sve = max(1, -(-metrics_cfg["parity_points"] // n))
    names, phases, trues, preds, parity = [], [], [], [], []
    progress = Progress(logger, n, "SVEs", every_s=30.0, what="evaluate: ")
    seconds = 0.0
    for i, (name, sve, ch) in enumerate(iter_sves(test_paths)):
        phase, true = sve[ch.index("phase")], sve[ch.index("strain_xx")]
        t = time.perf_counter()
        pred = np.asarray(predict(phase), dtype=np.float32)
        seconds += time.perf_counter() - t
        scores.add(true, pred)
        pick = rng.choice(true.size, size=min(per_sve, true.size), replace=False)
        parity.append(np.stack([true.ravel()[pick], pred.ravel()[pick]], axis=1))
        if i in show:
            names.append(name)
            phases.append(phase.astype(np.uint8))
            trues.append(true)
            preds.append(pred)
        progress.update()
    metrics = scores.result()
    logger.info(f"prediction {seconds / n:.3f} s per SVE")  # timings in the log: metrics.json stays reproducible
    with atomic_path(examples_path) as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            names=np.array(names),
            phase=np.stack(phases),
            true=np.stack(trues),
            pred=np.stack(preds),
            parity=np.concatenate(parity)[: metrics_cfg["parity_points"]],
        )
    return metrics
