"""The training stage's jobs: an autoencoder (or VAE) training run, a DCGAN training run,
layer tables and the figures of trained models.

Each entry point is what one Snakemake rule runs (the scripts only unpack ``snakemake``);
``log`` is the rule's log file (``None``: stderr). An autoencoder job loads checked shards,
normalizes (:func:`load_normalized`), trains and saves (:func:`train_model`); an
architecture-search trial (msdl/search/jobs.py) calls the two parts itself.

With ``processes > 1`` (the rule's ``processes`` resource: one per GPU of the node) the
job is run by ``torchrun --standalone --nproc_per_node=N -m msdl.training.jobs ARGS.json``
as DistributedDataParallel (NCCL on GPUs, gloo on CPUs).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from msdl.device import resolve_device
from msdl.grain_images import calibrate_decoding
from msdl.io import write_text
from msdl.models.registry import build_autoencoder
from msdl.models.summary import layer_table as layer_table_text
from msdl.normalization import normalize, transform
from msdl.progress import get_logger
from msdl.shards import load_split, read_manifest
from msdl.training import figures
from msdl.training.autoencoder import TrainConfig, fingerprint, metric_fields, save_model, train
from msdl.training.common import process_group, write_metrics
from msdl.training.gan import GanConfig, gan_fingerprint, save_gan, train_gan, write_gan_metrics
from msdl.training.latent import decode, reconstruct, sample_decoder_latents


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
        loss=model_config.get("loss", "mse"),
        decoder_sigma=model_config.get("decoder_sigma"),
        kl_weight=model_config.get("kl_weight"),
        initial_logvar=model_config.get("initial_logvar"),
    )


def read_statistics(path: str | Path) -> dict:
    """A dataset's normalization statistics (rule normalization_statistics' JSON)."""
    return json.loads(Path(path).read_text())


def load_normalized(
    train_shards: list[str], test_shards: list[str], normalization: dict
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The checked train and test images normalized by ``normalization`` (float32
    ``(N, H, W)``), and the shards' checksums (the data ids of :func:`fingerprint`)."""
    train_images, _ = load_split(train_shards)
    test_images, _ = load_split(test_shards)
    data_ids = [read_manifest(Path(p).with_suffix(".json"))["sha256"] for p in [*train_shards, *test_shards]]
    return normalize(train_images, normalization), normalize(test_images, normalization), data_ids


CALIBRATION_IMAGES = 256  # training images whose reconstructions (and as many samples) calibrate the grain decoding
CALIBRATION_SEED = 7919  # of the calibration's sample latents: not the evaluation's seed (0), not its samples


def calibrate_grain_decoding(
    model: nn.Module, train_images: np.ndarray, normalization: dict, logger: logging.Logger
) -> dict:
    """``boundary_distance``: ``normalization`` with the blur and grain markers' depth
    (:func:`msdl.grain_images.calibrate_decoding`) at which the trained model's outputs
    have as many grains and boundary pixels as the first :data:`CALIBRATION_IMAGES`
    training images (normalized: distance maps); no test image is used. Twice:
    ``smoothing``/``dynamics`` for its reconstructions of those images, and
    ``sample_smoothing``/``sample_dynamics`` for as many decoder samples (a VAE's prior, an
    AE's Gaussian fit to the images' latents, :func:`sample_decoder_latents`). Samples come
    from latents the decoder was never trained on, and their maps are flatter: with the
    reconstructions' depth, vae_kmc_gg's prior samples had 1.8x the images' grains."""
    x = train_images[:CALIBRATION_IMAGES]
    scale, mean = np.float32(normalization["scale"]), np.float32(normalization["mean"])
    outputs = {
        "": ("reconstructions", reconstruct(model, x)),
        "sample_": ("decoder samples", decode(model, sample_decoder_latents(model, x, len(x), CALIBRATION_SEED))),
    }
    exact = x * scale + mean  # the images' distance maps, in pixels
    calibrated = dict(normalization)
    for prefix, (what, maps) in outputs.items():
        best, ratios = calibrate_decoding(
            maps * scale + mean, exact, normalization["threshold"], normalization["render_size"]
        )
        logger.info(
            f"grain decoding of {what}: smoothing {best['smoothing']} px, marker dynamics {best['dynamics']} px "
            f"({what} of {len(x)} training images over the images, grains/boundary pixels, by (smoothing, dynamics): "
            + ", ".join(f"{k}: {g:.2f}/{b:.2f}" for k, (g, b) in ratios.items())
            + ")"
        )
        calibrated |= {f"{prefix}smoothing": best["smoothing"], f"{prefix}dynamics": best["dynamics"]}
    return calibrated


def train_model(
    model_config: dict,
    device: str,
    train_images: np.ndarray,
    test_images: np.ndarray,
    data_ids: list[str],
    normalization: dict,
    state_dir: str | Path,
    model_path: str | Path,
    metrics_path: str | Path,
    logger: logging.Logger,
    decoded: bool = True,
) -> tuple[nn.Module, list[dict]]:
    """Train one model on normalized images (from :func:`load_normalized`) and write
    ``model_path`` and ``metrics_path`` (rank 0). Returns the trained model and the metric rows.
    ``decoded``: its outputs will be turned into images (figures, scores), so a
    ``boundary_distance`` model gets its grain decoding calibrated (:func:`calibrate_grain_decoding`);
    False for architecture-search trials, which are judged by their MSE alone."""
    cfg = train_config(model_config, device)
    run_id = fingerprint(cfg, data_ids, normalization)
    model, metrics, snapshots = train(
        cfg, train_images, test_images, state_dir, run_id, logger, scale=normalization["scale"]
    )
    if process_group()[0] == 0:  # under torchrun, rank 0 writes
        if decoded and normalization["mode"] == "boundary_distance":
            normalization = calibrate_grain_decoding(model, train_images, normalization, logger)
        write_metrics(metrics_path, metrics, metric_fields(model))
        save_model(model_path, cfg, model, snapshots, normalization)
        logger.info(f"wrote {model_path} and {metrics_path}; final test MSE {metrics[-1]['test_mse']:.5f}")
    return model, metrics


def run_training(
    model_config: dict,
    device: str,
    train_shards: list[str],
    test_shards: list[str],
    statistics_path: str | Path,
    state_dir: str | Path,
    model_path: str | Path,
    metrics_path: str | Path,
    threads: int | None = None,
    log: str | None = None,
) -> list[dict]:
    """Train one model from its shards and write ``model_path`` and ``metrics_path``.

    ``statistics_path`` is the dataset's normalization JSON; the model config's
    ``normalization`` mode picks the transform. Returns the metric rows. Memory: the whole
    train and test splits as float32.
    """
    rank, _ = process_group()
    logger = get_logger("train", log if rank == 0 else None)
    if rank != 0:
        logger.setLevel("WARNING")
    if threads:
        torch.set_num_threads(threads)
    resolve_device(device)  # a missing device fails here, before any data is read
    normalization = transform(read_statistics(statistics_path), model_config["normalization"])
    train_images, test_images, data_ids = load_normalized(train_shards, test_shards, normalization)
    _, metrics = train_model(
        model_config,
        device,
        train_images,
        test_images,
        data_ids,
        normalization,
        state_dir,
        model_path,
        metrics_path,
        logger,
    )
    return metrics


def gan_config(entry: dict, device: str) -> GanConfig:
    """A :class:`GanConfig` from a ``gans.<name>`` config entry."""
    keys = ("epochs", "batch_size", "learning_rate", "beta1", "latent_dim", "seed", "samples", "diversity_samples")
    return GanConfig(
        **{k: entry[k] for k in keys},
        augment=entry.get("augment", "none"),
        device=device,
        figure_epochs=sorted(entry["figure_epochs"]),
    )


def run_gan_training(
    entry: dict,
    device: str,
    train_shards: list[str],
    state_dir: str,
    model_path: str,
    metrics_path: str,
    threads: int | None = None,
    log: str | None = None,
) -> list[dict]:
    """Train the DCGAN of a ``gans.<name>`` entry on its train shards; write the model and its metrics."""
    logger = get_logger("gan", log)
    if threads:
        torch.set_num_threads(threads)
    resolve_device(device)  # a missing device fails here, before any data is read
    cfg = gan_config(entry, device)
    images, _ = load_split(train_shards)
    run_id = gan_fingerprint(cfg, [read_manifest(Path(p).with_suffix(".json"))["sha256"] for p in train_shards])
    generator, discriminator, metrics, samples = train_gan(cfg, images, state_dir, run_id, logger)
    write_gan_metrics(metrics_path, metrics)
    save_gan(model_path, cfg, generator, discriminator, samples)
    last = metrics[-1]
    logger.info(
        f"wrote {model_path}; final diversity ratio {last['diversity_ratio']:.3f}, D(x) {last['d_real']:.3f}, D(G(z)) {last['d_fake']:.3f}"
    )
    return metrics


def launch_training(processes: int = 1, **job) -> None:
    """Run :func:`run_training` here (1 process) or under torchrun (``processes`` > 1).

    ``processes`` is the rule's ``processes`` resource (a resource of 1 does not reach the
    job: the script reads it with a default of 1); ``job`` holds :func:`run_training`'s
    keyword arguments (JSON-serializable).
    """
    if processes <= 1:
        run_training(**job)
        return
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    if torchrun is None:
        raise RuntimeError("processes > 1 needs torchrun (it comes with torch) next to this Python")
    with tempfile.TemporaryDirectory(prefix="msdl-ddp-") as tmp:
        args = Path(tmp) / "job.json"
        args.write_text(json.dumps(job))
        cmd = [torchrun, "--standalone", f"--nproc_per_node={processes}", "-m", "msdl.training.jobs", str(args)]
        subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": _package_root_path()})


def _package_root_path() -> str:
    """PYTHONPATH that makes the workers import this very msdl (a checkout or an install)."""
    root = str(Path(__file__).resolve().parents[2])
    return os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])


def layer_table(name: str, architecture: str, out_txt: str | Path, log: str | None = None) -> str:
    """The model's torchsummary-style layer table, headed by its name and architecture."""
    model = build_autoencoder(architecture)
    table = layer_table_text(model, (1, *model.image_size))
    write_text(out_txt, f"{name} ({architecture})\n{table}")
    get_logger("layers", log).info("\n" + table)
    return table


def autoencoder_figures(
    name: str,
    title: str,
    model_path: str | Path,
    metrics_path: str | Path,
    train_shards: list[str],
    test_shards: list[str],
    settings: dict,
    out_reconstructions: str | Path,
    out_samples: str | Path,
    out_loss: str | Path,
    threads: int | None = None,
    log: str | None = None,
) -> dict:
    """Figures 5-2/6-1, 5-3/6-2 and the loss curves of model ``name`` (``title`` in the
    figures), see :func:`msdl.training.figures.autoencoder_figures`; ``settings`` is the
    config's ``figures`` section. Returns the per-epoch MSE of the shown reconstructions."""
    if threads:
        torch.set_num_threads(threads)
    errors = figures.autoencoder_figures(
        title, model_path, metrics_path, train_shards, test_shards, settings, out_reconstructions, out_samples, out_loss
    )
    get_logger("figures", log).info(f"{name}: MSE of the shown reconstructions by epoch {errors}")
    return errors


def gan_figures(
    name: str,
    model_path: str | Path,
    metrics_path: str | Path,
    label: str,
    out_samples: str | Path,
    out_curves: str | Path,
    log: str | None = None,
) -> None:
    """Figure 10-1 (64 samples per chosen epoch) and the loss / diversity curves of GAN ``name``."""
    figures.gan_figures(name, model_path, metrics_path, label, out_samples, out_curves)
    get_logger("figures", log).info(f"{name}: wrote {out_samples} and {out_curves}")


def main(argv: list[str]) -> None:
    """torchrun worker: join the process group, run this rank's share, leave."""
    job = json.loads(Path(argv[0]).read_text())
    use_cuda = job.get("device", "auto") != "cpu" and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    try:
        run_training(**job)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
