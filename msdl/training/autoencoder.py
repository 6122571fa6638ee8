"""Training loop for the autoencoders: Adam + MSE, as the report trained them.

Read top to bottom: :func:`train` builds the model from a seed, resumes from the last
checkpoint if one matches this run, and then for each epoch shuffles with a generator
seeded by ``(seed, epoch)``, steps Adam on the model's ``training_loss`` (the MSE for an
AE, the negative ELBO for a VAE, whose sampling noise is seeded by ``(seed, epoch,
rank)``), evaluates on the test set, logs a
progress line (rate, ETA) and writes a checkpoint atomically. Because the shuffle is a
function of the epoch alone and the checkpoint holds the model, optimizer and metrics,
a run killed at any point and restarted reaches the same weights as an uninterrupted
run (on the CPU, same seed and thread count).

A checkpoint is resumed only if its *fingerprint* (architecture, data checksums,
normalization, batch size, learning rate, seed) equals this run's; the epoch count is
not part of it, so raising ``epochs`` continues a finished run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from msdl.device import resolve_device
from msdl.models.registry import build_autoencoder
from msdl.progress import Progress, format_seconds
from msdl.training.common import (
    ModelFileError,
    checked_blob,
    epoch_permutation,
    load_checkpoint,
    load_torch_file,
    process_group,
    save_checkpoint,
    save_torch_file,
)

# Deterministic columns only, so that the file's bytes are reproducible (same seed, same
# data, CPU); time per epoch and images/s are in the training log and benchmark TSV.
METRIC_FIELDS = ("epoch", "train_mse", "test_mse", "test_mse_image")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (units: epochs, images, Adam step size)."""

    architecture: str
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    device: str = "auto"
    snapshot_epochs: list[int] = field(default_factory=list)
    log_every_s: float = 60.0
    loss: str = "mse"  # training loss, a key of LOSSES (the test metric stays MSE)

    # VAEs only (None for an AE, and then left out of fingerprints and model files):
    decoder_sigma: float | None = None  # fixed std of the Gaussian decoder, normalized units
    kl_weight: float | None = None  # beta: weight of the KL term (1 = the ELBO)
    initial_logvar: float | None = None  # posterior log-variance at initialization (None: PyTorch's init)

    def loss_settings(self) -> dict:
        """The VAE loss keywords that are set, for :func:`msdl.models.registry.build_autoencoder`."""
        keys = ("decoder_sigma", "kl_weight", "initial_logvar")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


def fingerprint(cfg: TrainConfig, data_ids: list[str], norm: dict) -> str:
    """Hash of everything that makes two runs' epochs comparable (not the epoch count)."""
    key = {
        "architecture": cfg.architecture,
        "batch_size": cfg.batch_size,
        "learning_rate": cfg.learning_rate,
        "seed": cfg.seed,
        "data": sorted(data_ids),
        "norm": [norm["mode"], norm["mean"], norm["scale"]],
        **cfg.loss_settings(),
    }
    if cfg.loss != "mse":  # only then, so that existing MSE checkpoints keep their id
        key["loss"] = cfg.loss
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def noise_seed(seed: int, epoch: int, rank: int) -> int:
    """Seed of the global torch RNG for one epoch of one process (a VAE's sampling noise)."""
    return (seed * 1_000_003 + epoch) * 1_009 + rank


def metric_fields(model: nn.Module) -> tuple[str, ...]:
    """Metric CSV columns of ``model``: :data:`METRIC_FIELDS` and any the model adds."""
    return METRIC_FIELDS + tuple(getattr(model, "extra_metric_fields", ()))


@torch.no_grad()
def evaluate_mse(model: nn.Module, images: torch.Tensor, batch_size: int, device: torch.device) -> float:
    """Mean squared reconstruction error over ``images`` ``(N, 1, H, W)``, in eval mode."""
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        total += nn.functional.mse_loss(model(x), x, reduction="sum").double()
    return float(total) / images.numel()


def train(
    cfg: TrainConfig,
    train_images: np.ndarray,
    test_images: np.ndarray,
    state_dir: str | Path,
    run_id: str,
    logger: logging.Logger,
    scale: float = 1.0,
) -> tuple[nn.Module, list[dict], dict[int, dict]]:
    """Train (or resume) an autoencoder on normalized images ``(N, H, W)`` float32.

    Data parallel when run under torchrun (a process group is initialized): every
    process holds the data, takes every ``world``-th image of each global batch of
    ``batch_size``, and DDP averages the gradients; the loss is scaled so that the step
    equals the single-process step on the whole batch (same loss curve up to float
    round-off; BatchNorm statistics are per process on the CPU, synchronized on GPUs).
    Only rank 0 evaluates, logs and writes checkpoints.

    ``state_dir`` holds ``checkpoint.pt`` and one ``snapshot-epochNNNN.pt`` per snapshot
    epoch; ``run_id`` is :func:`fingerprint`'s value; ``scale`` is the normalization's,
    so that ``test_mse_image = test_mse * scale**2`` is in image units. Returns the
    trained model (on the CPU), the metric rows per epoch and the snapshots
    ``{epoch: state_dict}``.
    """
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    rank, world = process_group()
    torch.manual_seed(cfg.seed)
    model = build_autoencoder(cfg.architecture, **cfg.loss_settings()).to(device)
    net: nn.Module = model
    if world > 1:
        if device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    # The whole split lives on the training device (40,000 images of 128x128 are 2.6 GB):
    # no host-to-device copy per batch, no loader processes.
    x_train = torch.from_numpy(np.ascontiguousarray(train_images, dtype=np.float32)).unsqueeze(1).to(device)
    x_test = torch.from_numpy(np.ascontiguousarray(test_images, dtype=np.float32)).unsqueeze(1).to(device)

    checkpoint_path = state_dir / "checkpoint.pt"
    metrics: list[dict] = []
    start_epoch = 1
    checkpoint = load_checkpoint(checkpoint_path, ("run_id",))
    if checkpoint is not None and checkpoint["run_id"] == run_id:
        checked_blob(checkpoint_path, checkpoint, ("epoch", "model", "optimizer", "metrics"), "msdl checkpoint")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        metrics = list(checkpoint["metrics"])
        start_epoch = checkpoint["epoch"] + 1
        logger.info(f"resuming from {checkpoint_path} after epoch {checkpoint['epoch']}")
    elif checkpoint is not None:
        logger.info(f"{checkpoint_path} belongs to another run (data or hyper-parameters changed): starting afresh")
        for stale in state_dir.glob("snapshot-epoch*.pt"):
            stale.unlink()
    logger.info(
        f"training {cfg.architecture} on {device} x {world} process(es): {len(x_train)} train / {len(x_test)} test images, "
        f"epochs {start_epoch}..{cfg.epochs}, batch {cfg.batch_size}, lr {cfg.learning_rate}"
    )

    run_start = time.perf_counter()
    epochs_left = max(cfg.epochs - start_epoch + 1, 0)
    for epoch in range(start_epoch, cfg.epochs + 1):
        epoch_start = time.perf_counter()
        net.train()
        torch.manual_seed(noise_seed(cfg.seed, epoch, rank))  # a resumed epoch draws the same noise
        permutation = epoch_permutation(len(x_train), cfg.seed, epoch).to(device)
        progress = Progress(logger, len(x_train), "images", cfg.log_every_s, what=f"epoch {epoch}: ")
        sums: dict[str, torch.Tensor] = {}  # per-image loss parts summed on device: no sync per step
        for start in range(0, len(x_train), cfg.batch_size):
            batch = permutation[start : start + cfg.batch_size]
            if len(batch) < world:
                continue  # a last batch too small to give every process an image
            x = x_train[batch[rank::world]]
            loss, parts = model.training_loss(x, net, cfg.loss)
            if world > 1:  # this process's share of the whole batch's mean, times world (DDP averages)
                loss = loss * (len(x) * world / len(batch))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for key, value in parts.items():
                sums[key] = sums.get(key, 0.0) + value.double() * len(x)
            progress.done += len(batch)
            if time.perf_counter() - progress.last >= cfg.log_every_s:
                progress.update(0, force=True)
        total = sums.get("mse", torch.zeros((), dtype=torch.float64, device=device))
        if world > 1:
            dist.all_reduce(total)
        seconds = time.perf_counter() - epoch_start
        if rank != 0:
            dist.barrier()  # wait for rank 0's evaluation and checkpoint
            continue
        test_mse = evaluate_mse(model, x_test, cfg.batch_size, device)
        row = {
            "epoch": epoch,
            "train_mse": float(total) / len(x_train),
            "test_mse": test_mse,
            "test_mse_image": test_mse * scale**2,
            **model.test_metrics(x_test, cfg.batch_size, device),
            "seconds": seconds,
            "images_per_second": len(x_train) / seconds,
        }
        metrics.append(row)
        cpu_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if epoch in cfg.snapshot_epochs:
            save_checkpoint(state_dir / f"snapshot-epoch{epoch:04d}.pt", cpu_state)
        save_checkpoint(
            checkpoint_path,
            {
                "run_id": run_id,
                "epoch": epoch,
                "model": cpu_state,
                "optimizer": optimizer.state_dict(),
                "metrics": metrics,
            },
        )
        done = epoch - start_epoch + 1
        per_epoch = (time.perf_counter() - run_start) / done
        logger.info(
            f"epoch {epoch}/{cfg.epochs} train_mse {row['train_mse']:.5f} test_mse {row['test_mse']:.5f} "
            + "".join(f"{k} {row[k]:.6g} " for k in model.extra_metric_fields)
            + f"{row['images_per_second']:.0f} images/s, {seconds:.1f} s/epoch, "
            f"ETA {format_seconds(per_epoch * (epochs_left - done))}"
        )
        if world > 1:
            dist.barrier()

    snapshots = {}
    if rank != 0:
        return model.cpu(), metrics, snapshots
    for epoch in cfg.snapshot_epochs:
        path = state_dir / f"snapshot-epoch{epoch:04d}.pt"
        if not path.exists():
            raise FileNotFoundError(f"{path}: snapshot of epoch {epoch} missing; delete {state_dir} and retrain")
        snapshots[epoch] = checked_blob(path, load_torch_file(path, "msdl snapshot"), (), "msdl snapshot")
    return model.cpu(), metrics, snapshots


def save_model(path: str | Path, cfg: TrainConfig, model: nn.Module, snapshots: dict[int, dict], norm: dict) -> None:
    """The trained model file: final weights, snapshots by epoch, config and normalization.

    Loadable with ``torch.load(path, weights_only=True)``; the same weights give the same
    bytes.
    """
    save_torch_file(
        path,
        {
            "config": json.dumps({k: v for k, v in asdict(cfg).items() if v is not None}),
            "normalization": json.dumps(norm),
            "model": model.state_dict(),
            "snapshots": {int(k): v for k, v in snapshots.items()},
        },
    )


def load_model(path: str | Path, epoch: int | None = None) -> tuple[nn.Module, TrainConfig, dict]:
    """``(model in eval mode, config, normalization)``; weights of ``epoch`` if given."""
    blob = checked_blob(path, load_torch_file(path), ("config", "normalization", "model", "snapshots"))
    try:
        cfg = TrainConfig(**json.loads(blob["config"]))
        norm = json.loads(blob["normalization"])
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: not an msdl model file: bad config or normalization ({err})") from None
    model = build_autoencoder(cfg.architecture, **cfg.loss_settings())
    if epoch is None:
        _load_state(model, blob["model"], path, "model")
    elif epoch in blob["snapshots"]:
        _load_state(model, blob["snapshots"][epoch], path, f"snapshot of epoch {epoch}")
    else:
        raise KeyError(f"{path}: no snapshot of epoch {epoch}; saved epochs {sorted(blob['snapshots'])}")
    return model.eval(), cfg, norm


def _load_state(model: nn.Module, state: object, path: str | Path, what: str) -> None:
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as err:
        raise ModelFileError(f"{path}: {what} does not fit the {type(model).__name__} of its config ({err})") from None
