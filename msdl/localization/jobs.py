"""The localization stage's jobs: composite shards, statistics, the MKS baseline, the
networks (CPNet, periodic FNO) and their figures.

Each function is what one Snakemake rule runs (workflow/rules/localization.smk; the
scripts only unpack ``snakemake``); ``log`` is the rule's log file (``None``: stderr).
Timings go to the log only, so that the outputs of a rerun are the same bytes.

Rules localization_statistics and mks_baseline run in envs/simulate.yaml (numpy, scipy):
torch and matplotlib are imported inside the functions that use them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from msdl.io import atomic_path, write_json
from msdl.localization.evaluate import count_sves, evaluate, fit_mks, iter_sves
from msdl.localization.stats import StatisticsAccumulator
from msdl.progress import Progress, get_logger
from msdl.shards import Shard


def composite_shard(
    name: str,
    dataset: dict,
    shard: Shard,
    array_path: str | Path,
    manifest_path: str | Path,
    device: str = "cpu",
    threads: int | None = None,
    log: str | None = None,
) -> dict:
    """Generate one shard of composite SVEs and solve their elastic fields; return the manifest."""
    import torch

    from msdl.localization.data import generate_composite_shard

    if threads:
        torch.set_num_threads(threads)
    logger = get_logger("composite_shard", log)
    return generate_composite_shard(name, dataset, shard, array_path, manifest_path, logger, device=device)


def mks_import_shard(
    name: str, dataset: dict, shard: Shard, array_path: str | Path, manifest_path: str | Path, log: str | None = None
) -> dict:
    """Copy the original MKS files of one shard into the shard format; return the manifest."""
    from msdl.localization.data import import_mks_shard

    return import_mks_shard(name, dataset, shard, array_path, manifest_path, get_logger("mks_import", log))


def localization_statistics(
    name: str, train_shards: list[str], out_json: str | Path, log: str | None = None
) -> dict[str, dict]:
    """Section 4.2's mean/std of phase, filtered phase, strain and stress over the train SVEs."""
    logger = get_logger("localization_statistics", log)
    acc = StatisticsAccumulator()
    progress = Progress(logger, count_sves(train_shards), "SVEs", what=f"{name} statistics: ")
    for _, sve, channels in iter_sves(train_shards):
        acc.add(sve, channels)
        progress.update()
    stats = acc.result()
    write_json(out_json, stats)
    logger.info(f"{name}: {stats}")
    return stats


def mks_baseline(
    name: str,
    train_shards: list[str],
    test_shards: list[str],
    metrics_settings: dict,
    model_path: str | Path,
    metrics_path: str | Path,
    examples_path: str | Path,
    log: str | None = None,
) -> dict:
    """Fit first-order MKS on the train shards, score it on the test shards; return the metrics."""
    logger = get_logger("mks_baseline", log)
    t = time.perf_counter()
    model = fit_mks(train_shards, logger)
    logger.info(f"MKS fit {time.perf_counter() - t:.1f} s")
    with atomic_path(model_path) as tmp:
        model.save(tmp)
    metrics = evaluate(model.predict, test_shards, metrics_settings, examples_path, logger)
    metrics.update(model="first-order MKS", n_train=count_sves(train_shards))
    write_json(metrics_path, metrics)
    logger.info(f"{name} MKS: {metrics}")
    return metrics


def train_localization_model(
    predictor_name: str,
    composite: str,
    model_config: dict,
    train_shards: list[str],
    test_shards: list[str],
    statistics_path: str | Path,
    checkpoint_path: str | Path,
    metrics_settings: dict,
    device: str,
    model_path: str | Path,
    metrics_path: str | Path,
    examples_path: str | Path,
    threads: int | None = None,
    log: str | None = None,
) -> dict:
    """Train CPNet or the periodic FNO (``localization.models.<predictor_name>``) on the
    ``composite`` dataset, score it on the test split; return the metrics."""
    import torch

    from msdl.device import resolve_device
    from msdl.localization.train import LocalizationModelConfig, Normalizer, load_fields, predictor, train_localization
    from msdl.models.localization import parameter_count
    from msdl.training.common import save_torch_file

    if threads:
        torch.set_num_threads(threads)
    logger = get_logger("train_localization", log)
    if model_config["dataset"] != composite:
        raise ValueError(
            f"localization.models.{predictor_name}: trained on {model_config['dataset']!r}, not {composite!r}"
        )
    resolve_device(device)  # a missing device fails here, before any data is read
    cfg = LocalizationModelConfig.from_config(model_config)
    norm = Normalizer.from_statistics(json.loads(Path(statistics_path).read_text()))
    x, y = load_fields(train_shards, norm)
    t = time.perf_counter()
    model, history = train_localization(cfg, x, y, checkpoint_path, logger, device)
    logger.info(f"training {time.perf_counter() - t:.1f} s")
    save_torch_file(
        model_path,
        {"config": model_config, "normalizer": vars(norm), "state_dict": model.state_dict(), "history": history},
    )
    metrics = evaluate(predictor(model, cfg, norm, device), test_shards, metrics_settings, examples_path, logger)
    metrics.update(
        model=model_config["architecture"],
        parameters=parameter_count(model),
        n_train=len(x),
        epochs=len(history),
        final_train_mse=history[-1]["train_mse"],
    )
    write_json(metrics_path, metrics)
    logger.info(f"{predictor_name} on {composite}: {metrics}")
    return metrics


def localization_figures(
    predictor_name: str,
    composite: str,
    metrics_path: str | Path,
    examples_path: str | Path,
    parity_path: str | Path,
    slices_path: str | Path,
    log: str | None = None,
) -> None:
    """The parity plot and the mid slices of one predictor on one dataset."""
    from msdl.localization.figures import mid_slices, parity_plot

    metrics = json.loads(Path(metrics_path).read_text())
    title = (
        f"{predictor_name} on {composite}: R^2 {metrics['r2_exact']:.3f} (all test voxels), "
        f"MASE {metrics['mase_percent']:.1f} %, {metrics['n_sve']} test SVEs"
    )
    with np.load(examples_path, allow_pickle=False) as ex:
        parity_plot(ex["parity"][:, 0], ex["parity"][:, 1], title, parity_path)
        mid_slices(ex["names"], ex["phase"], ex["true"], ex["pred"], title, slices_path)
    get_logger("figures", log).info(f"{predictor_name} on {composite}: wrote {parity_path} and {slices_path}")
