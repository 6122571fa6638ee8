"""The training stage's jobs: an autoencoder (or VAE) training run and a DCGAN training run.

An autoencoder job loads checked shards, normalizes, trains and saves.

With ``processes > 1`` (the rule's ``processes`` resource: one per GPU of the node) the
job is run by ``torchrun --standalone --nproc_per_node=N -m msdl.training.jobs ARGS.json``
as DistributedDataParallel (NCCL on GPUs, gloo on CPUs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist

from msdl.normalization import normalize, transform
from msdl.progress import get_logger
from msdl.shards import load_split, read_manifest
from msdl.training.autoencoder import TrainConfig, fingerprint, metric_fields, save_model, train
from msdl.training.common import process_group, write_metrics
from msdl.training.gan import GanConfig, gan_fingerprint, save_gan, train_gan, write_gan_metrics


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
    rank, _ = process_group()
    logger = get_logger("train", log_path if rank == 0 else None)
    if rank != 0:
        logger.setLevel("WARNING")
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
    if rank == 0:
        write_metrics(metrics_path, metrics, metric_fields(model))
        save_model(model_path, cfg, model, snapshots, normalization)
        logger.info(f"wrote {model_path} and {metrics_path}; final test MSE {metrics[-1]['test_mse']:.5f}")
    return metrics


def gan_config(entry: dict, device: str) -> GanConfig:
    """A :class:`GanConfig` from a ``gans.<name>`` config entry."""
    keys = ("epochs", "batch_size", "learning_rate", "beta1", "latent_dim", "seed", "samples", "diversity_samples")
    return GanConfig(**{k: entry[k] for k in keys}, device=device, figure_epochs=sorted(entry["figure_epochs"]))


def run_gan_training(
    entry: dict,
    device: str,
    train_shards: list[str],
    state_dir: str,
    model_path: str,
    metrics_path: str,
    log_path: str | None = None,
    threads: int | None = None,
) -> list[dict]:
    logger = get_logger("gan", log_path)
    if threads:
        torch.set_num_threads(threads)
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

    ``job`` holds :func:`run_training`'s keyword arguments (JSON-serializable).
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
