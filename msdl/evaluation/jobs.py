"""The evaluation stage's jobs: comparison scores per epoch, latent space, the summary.

The entry points :func:`autoencoder_evaluation`, :func:`score_gan` and :func:`score_summary`
are what the Snakemake rules run (workflow/rules/evaluation.smk; the scripts only unpack
``snakemake``); ``log`` is the rule's log file (``None``: stderr). The numbers come from
:mod:`msdl.evaluation.scoring`, the latents from :mod:`msdl.training.latent`.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import torch

from msdl import figures
from msdl.evaluation.results import generative_results, localization_results, targets_met, write_results
from msdl.evaluation.scoring import (
    Judge,
    StatisticsSettings,
    read_scores,
    score_rows,
    statistics_settings,
    write_scores,
)
from msdl.io import atomic_path
from msdl.normalization import denormalize, normalize
from msdl.progress import get_logger
from msdl.shards import load_split
from msdl.training.autoencoder import load_model
from msdl.training.gan import load_gan_samples
from msdl.training.latent import (
    decode,
    encode,
    fit_gaussian,
    interpolate,
    reconstruct,
    sample_decoder_latents,
    sample_gaussian,
    sample_nearest_jitter,
    sample_prior,
    sample_uniform_box,
)


def _judge(
    train_shards: list[str], test_shards: list[str], settings: StatisticsSettings, evaluation: dict
) -> tuple[Judge, np.ndarray, np.ndarray]:
    """A judge with the first ``evaluation.images`` test images as reference; also returns
    the train and reference images (float32, [0, 1])."""
    test, _ = load_split(test_shards)
    train, _ = load_split(train_shards)
    reference = test[: evaluation["images"]].astype(np.float32)
    return Judge(reference, train.astype(np.float32), settings, evaluation["seed"]), train, reference


def score_autoencoder(
    name: str,
    model_path: str,
    train_shards: list[str],
    test_shards: list[str],
    settings: StatisticsSettings,
    evaluation: dict,
    latent_fit_images: int,
    out_csv: str,
    out_png: str,
    logger: logging.Logger,
) -> list[dict]:
    """Score reconstructions of the reference images and decoder samples at every snapshot epoch."""
    _, cfg, norm = load_model(model_path)
    judge, train, reference = _judge(train_shards, test_shards, settings, evaluation)
    fit = normalize(train[:latent_fit_images], norm)
    sets = {}
    for epoch in cfg.snapshot_epochs:
        model, _, _ = load_model(model_path, epoch)
        sets[(epoch, "reconstructions")] = denormalize(reconstruct(model, normalize(reference, norm)), norm)
        samples = decode(model, sample_decoder_latents(model, fit, evaluation["images"], evaluation["seed"]))
        sets[(epoch, "decoder_samples")] = denormalize(samples, norm, samples=True)
        logger.info(f"{name} epoch {epoch}: scored")
    rows = score_rows(judge, sets)
    write_scores(out_csv, rows, judge.fields)
    figures.score_curves(
        rows, judge.fields, out_png, f"{name}: microstructure statistics vs the real test set ({len(reference)} images)"
    )
    return rows


def score_gan(
    name: str,
    gan_path: str,
    train_shards: list[str],
    test_shards: list[str],
    config: dict,
    dataset: str,
    evaluation: dict,
    out_csv: str,
    out_png: str,
    threads: int | None = None,
    log: str | None = None,
) -> list[dict]:
    """Score the GAN's samples saved at each figure epoch (their count sets the floor's size);
    the statistics are those of ``datasets.<dataset>`` in ``config`` (the workflow's)."""
    if threads:
        torch.set_num_threads(threads)
    logger = get_logger("scores", log)
    settings = statistics_settings(config, dataset)
    _, samples = load_gan_samples(gan_path)
    judge, _, reference = _judge(train_shards, test_shards, settings, evaluation)
    rows = score_rows(judge, {(epoch, "gan_samples"): images for epoch, images in sorted(samples.items())})
    write_scores(out_csv, rows, judge.fields)
    figures.score_curves(
        rows, judge.fields, out_png, f"{name}: microstructure statistics vs the real test set ({len(reference)} images)"
    )
    logger.info(f"{name}: scored epochs {sorted(samples)}")
    return rows


def latent_space(
    name: str,
    model_path: str,
    train_shards: list[str],
    test_shards: list[str],
    settings: StatisticsSettings,
    evaluation: dict,
    latent_fit_images: int,
    out_csv: str,
    out_png: str,
    logger: logging.Logger,
) -> list[dict]:
    """The trained model's latent space: sampling schemes compared by score, and decoded
    linear and spherical interpolations between pairs of real test microstructures."""
    model, _, norm = load_model(model_path)
    judge, train, reference = _judge(train_shards, test_shards, settings, evaluation)
    fit = encode(model, normalize(train[:latent_fit_images], norm))
    n, seed = evaluation["images"], evaluation["seed"]
    mean, cov = fit_gaussian(fit)
    schemes = {
        "gaussian_fit": sample_gaussian(mean, cov, n, seed),
        "uniform_box": sample_uniform_box(fit, n, seed),
        "nearest_jitter": sample_nearest_jitter(fit, n, seed, evaluation["jitter"]),
    }
    if getattr(model, "variational", False):
        schemes["prior"] = sample_prior(model, n, seed)
    rows = score_rows(
        judge, {("", scheme): denormalize(decode(model, z), norm, samples=True) for scheme, z in schemes.items()}
    )
    write_scores(out_csv, rows, judge.fields)
    for row in rows:
        logger.info(f"{name} {row['set']}: total {row['total']:.4g} (n={row['n']})")

    pairs, steps = evaluation["interpolation_pairs"], evaluation["interpolation_steps"]
    ends = encode(model, normalize(reference[: 2 * pairs], norm))
    center = np.zeros(fit.shape[1]) if getattr(model, "variational", False) else mean
    panels = {}
    for p in range(min(pairs, len(ends) // 2)):
        a, b = 2 * p, 2 * p + 1
        for kind in ("linear", "spherical"):
            z = interpolate(ends[a], ends[b], steps, kind, center)
            # both ends are encoded test images: decoded as reconstructions are
            decoded = np.clip(denormalize(decode(model, z), norm), 0.0, 1.0)
            panels[f"pair {p + 1}, {kind}"] = np.concatenate([reference[a : a + 1], decoded, reference[b : b + 1]])
    figures.microstructure_rows(
        panels,
        out_png,
        f"{name}: decoded interpolations between real test microstructures (first and last column: the real pair)",
    )
    return rows


def autoencoder_evaluation(
    rule: str,
    name: str,
    model_path: str,
    train_shards: list[str],
    test_shards: list[str],
    config: dict,
    dataset: str,
    evaluation: dict,
    latent_fit_images: int,
    out_csv: str,
    out_png: str,
    threads: int | None = None,
    log: str | None = None,
) -> list[dict]:
    """Rule ``score_autoencoder`` (:func:`score_autoencoder`) or ``latent_space``
    (:func:`latent_space`) of model ``name``: both read the same inputs and settings (the
    statistics of ``datasets.<dataset>`` in ``config``, the workflow's)."""
    job = {"score_autoencoder": score_autoencoder, "latent_space": latent_space}[rule]
    if threads:
        torch.set_num_threads(threads)
    settings = statistics_settings(config, dataset)
    logger = get_logger(rule, log)
    return job(
        name, model_path, train_shards, test_shards, settings, evaluation, latent_fit_images, out_csv, out_png, logger
    )


SUMMARY_FIELDS = ("dataset", "model", "set", "epoch", "n", "total", "floor_total", "ratio", "diversity")


def score_summary(
    score_paths: list[str],
    latent_paths: list[str],
    datasets: dict[str, str],
    out_csv: str,
    out_png: str,
    log: str | None = None,
) -> list[dict]:
    """The summary of every model's ``scores.csv`` and every autoencoder's
    ``latent_sampling.csv`` (its sets named "<model> latent"), each file in the folder
    named after its model; ``datasets``: model -> dataset. See :func:`write_summary`."""
    files = {}
    for path in score_paths:
        name = Path(path).parent.name
        files[name] = (datasets[name], path)
    for path in latent_paths:
        name = Path(path).parent.name
        files[f"{name} latent"] = (datasets[name], path)
    rows = write_summary(files, out_csv, out_png)
    logger = get_logger("score_summary", log)
    for r in rows:
        logger.info(
            f"{r['model']} {r['set']}: total {r['total']:.4g}, floor {r['floor_total']:.4g}, ratio {r['ratio']:.3g}"
        )
    return rows


def write_summary(score_files: dict[str, tuple[str, str]], out_csv: str, out_png: str) -> list[dict]:
    """One row per model and generated set at its last epoch: total score, the floor at
    that set size, their ratio, and the set's diversity (of the real test images' = 1).
    ``score_files``: model -> (dataset, scores.csv)."""
    rows = []
    for model, (dataset, path) in sorted(score_files.items()):
        scores = read_scores(path)
        floors = {r["n"]: r["total"] for r in scores if r["set"] == "floor"}
        last = {}
        for r in scores:
            if r["set"] != "floor" and (r["set"] not in last or (r["epoch"] or 0) >= (last[r["set"]]["epoch"] or 0)):
                last[r["set"]] = r
        for name, r in last.items():
            floor = floors[r["n"]]
            rows.append({"dataset": dataset, "model": model, "set": name, "epoch": "" if r["epoch"] is None else r["epoch"],
                         "n": r["n"], "total": r["total"], "floor_total": floor, "ratio": r["total"] / max(floor, 1e-12),
                         "diversity": r["diversity"]})  # fmt: skip
    with atomic_path(out_csv) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SUMMARY_FIELDS)
        for r in rows:
            writer.writerow(
                [
                    r["dataset"],
                    r["model"],
                    r["set"],
                    r["epoch"],
                    r["n"],
                    f"{r['total']:.6g}",
                    f"{r['floor_total']:.6g}",
                    f"{r['ratio']:.4g}",
                    f"{r['diversity']:.4g}",
                ]
            )
    figures.score_bars(rows, out_png, "Comparison score of every generated set over its floor (last epoch)")
    return rows


def results_table(
    summary_csv: str,
    gan_metrics: dict[str, str],
    localization_metrics: dict[str, str],
    out_csv: str,
    out_png: str,
    out_md: str,
    title: str,
    log: str | None = None,
) -> None:
    """Rule ``results_table``: every model's headline numbers against their targets
    (:mod:`msdl.evaluation.results`) as CSV, figure and a Markdown section for README.md."""
    logger = get_logger("results_table", log)
    results = generative_results(summary_csv, gan_metrics) + localization_results(localization_metrics)
    write_results(results, out_csv, out_png, out_md, title)
    for r in results:
        logger.info(f"{r.model} {r.measure}: {r.value:.4g} {r.target} {r.met}".rstrip())
    logger.info(f"{targets_met(results)}; wrote {out_csv}, {out_png}, {out_md}")
