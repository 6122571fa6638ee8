"""DCGAN training (report section 10) with the standard recipe: Adam (lr 2e-4, beta1 0.5),
binary cross-entropy on the discriminator's logits, one discriminator step then one
generator step per batch, labels real = 1 and fake = 0 (the generator step asks for 1).

Like :mod:`msdl.training.autoencoder`: the shuffle and the noise of an epoch are functions of
``(seed, epoch)``, a checkpoint (both networks, both optimizers, metrics, sample grids) is
written atomically after every epoch, and a run whose fingerprint matches resumes after
its last epoch, so a killed run continues to the same weights (CPU, same threads).

Mode collapse is measured every epoch: the mean pairwise distance (RMS over pixels)
between ``diversity_samples`` generated images from fixed noise, divided by the same for
as many real training patches. A ratio near 1 means the samples are as varied as the
data; a ratio near 0 means the generator draws the same few images.
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
from torch import nn

from msdl.device import resolve_device
from msdl.models.dcgan import build_dcgan
from msdl.progress import Progress, format_seconds
from msdl.training.augment import diff_augment, parse_policy
from msdl.training.common import (
    ModelFileError,
    checked_blob,
    epoch_permutation,
    load_checkpoint,
    load_torch_file,
    read_metrics,
    save_checkpoint,
    save_torch_file,
    write_metrics,
)

GAN_METRIC_FIELDS = (
    "epoch",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "diversity_generated",
    "diversity_real",
    "diversity_ratio",
)  # fmt: skip  (deterministic columns only: seconds and patches/s go to the log)


@dataclass
class GanConfig:
    """Hyper-parameters of one DCGAN run (epochs, images per batch, Adam settings)."""

    epochs: int
    batch_size: int = 128
    learning_rate: float = 2e-4
    beta1: float = 0.5
    latent_dim: int = 100
    seed: int = 0
    device: str = "auto"
    figure_epochs: list[int] = field(default_factory=list)
    samples: int = 64
    diversity_samples: int = 256
    augment: str = "none"
    log_every_s: float = 60.0


def gan_fingerprint(cfg: GanConfig, data_ids: list[str]) -> str:
    """Hash of what makes two runs' epochs comparable (not the epoch count)."""
    key = {k: v for k, v in asdict(cfg).items() if k not in ("epochs", "device", "figure_epochs", "log_every_s")}
    if key["augment"] == "none":
        del key["augment"]  # runs from before the option keep their fingerprint (and resume)
    key["data"] = sorted(data_ids)
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def fixed_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """Noise ``(n, latent_dim, 1, 1)`` that is the same for every epoch (and every run)."""
    return torch.randn(n, latent_dim, 1, 1, generator=torch.Generator().manual_seed(seed))


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Mean over pairs ``i < j`` of ``||x_i - x_j||_2 / sqrt(pixels)`` for ``(n, ...)``."""
    flat = images.reshape(len(images), -1).double()
    # direct differences, not the matrix-product form (|a|^2 + |b|^2 - 2ab), which leaves
    # rounding residue: identical images must be at distance exactly 0
    d = torch.cdist(flat, flat, compute_mode="donot_use_mm_for_euclid_dist") / flat.shape[1] ** 0.5
    n = len(flat)
    return float(d.sum() / (n * (n - 1)))


@torch.no_grad()
def generate(generator: nn.Module, noise: torch.Tensor, device: torch.device, batch_size: int = 256) -> torch.Tensor:
    """Images in [-1, 1] ``(n, 1, 64, 64)`` on the CPU, with BatchNorm in batch-statistics
    mode as DCGAN samples are usually drawn; running statistics are left unchanged."""
    saved = {k: v.clone() for k, v in generator.state_dict().items() if "running" in k or "num_batches" in k}
    generator.train()
    out = torch.cat([generator(noise[i : i + batch_size].to(device)).cpu() for i in range(0, len(noise), batch_size)])
    generator.load_state_dict({**generator.state_dict(), **saved})
    return out


def train_gan(
    cfg: GanConfig, train_images: np.ndarray, state_dir: str | Path, run_id: str, logger: logging.Logger
) -> tuple[nn.Module, nn.Module, list[dict], dict[int, np.ndarray]]:
    """Train (or resume) the DCGAN on images ``(N, 64, 64)`` in [0, 1] (mapped to [-1, 1]).

    Returns ``(generator, discriminator, metric rows, {figure epoch: samples (n, 64, 64) in [0, 1]})``.
    """
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    generator, discriminator = build_dcgan(cfg.latent_dim, cfg.seed)
    generator.to(device)
    discriminator.to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.learning_rate, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.learning_rate, betas=(cfg.beta1, 0.999))
    bce = nn.BCEWithLogitsLoss()
    policy = parse_policy(cfg.augment)  # () passes images to the discriminator as they are
    x_train = (torch.from_numpy(np.ascontiguousarray(train_images, dtype=np.float32)).unsqueeze(1) * 2 - 1).to(device)
    grid_noise = fixed_noise(cfg.samples, cfg.latent_dim, cfg.seed + 1)
    diversity_noise = fixed_noise(cfg.diversity_samples, cfg.latent_dim, cfg.seed + 2)
    real_pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(cfg.seed + 3))[
        : cfg.diversity_samples
    ]
    diversity_real = mean_pairwise_distance(x_train[real_pick.to(device)].cpu())

    checkpoint_path = state_dir / "checkpoint.pt"
    metrics: list[dict] = []
    grids: dict[int, torch.Tensor] = {}
    start_epoch = 1
    checkpoint = load_checkpoint(checkpoint_path, ("run_id",))
    if checkpoint is not None and checkpoint["run_id"] == run_id:
        keys = ("epoch", "metrics", "grids", "generator", "discriminator", "opt_g", "opt_d")
        checked_blob(checkpoint_path, checkpoint, keys, "msdl checkpoint")
        generator.load_state_dict(checkpoint["generator"])
        discriminator.load_state_dict(checkpoint["discriminator"])
        opt_g.load_state_dict(checkpoint["opt_g"])
        opt_d.load_state_dict(checkpoint["opt_d"])
        metrics, grids = list(checkpoint["metrics"]), dict(checkpoint["grids"])
        start_epoch = checkpoint["epoch"] + 1
        logger.info(f"resuming from {checkpoint_path} after epoch {checkpoint['epoch']}")
    elif checkpoint is not None:
        logger.info(f"{checkpoint_path} belongs to another run (data or hyper-parameters changed): starting afresh")
    logger.info(
        f"training DCGAN on {device}: {len(x_train)} patches, epochs {start_epoch}..{cfg.epochs}, batch {cfg.batch_size}, "
        f"Adam lr {cfg.learning_rate} beta1 {cfg.beta1}, discriminator augmentation {cfg.augment}; "
        f"real-patch diversity {diversity_real:.4f}"
    )
    run_start = time.perf_counter()
    for epoch in range(start_epoch, cfg.epochs + 1):
        epoch_start = time.perf_counter()
        generator.train()
        discriminator.train()
        permutation = epoch_permutation(len(x_train), cfg.seed, epoch).to(device)
        noise_rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch + 500_000)
        augment_rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch + 700_000)
        sums = torch.zeros(4, dtype=torch.float64, device=device)  # d_loss, g_loss, D(x), D(G(z))
        progress = Progress(logger, len(x_train), "patches", cfg.log_every_s, what=f"epoch {epoch}: ")
        for start in range(0, len(x_train), cfg.batch_size):
            real = x_train[permutation[start : start + cfg.batch_size]]
            n = len(real)
            z = torch.randn(n, cfg.latent_dim, 1, 1, generator=noise_rng).to(device)
            ones, zeros = torch.ones(n, device=device), torch.zeros(n, device=device)
            fake = generator(z)
            logits_real = discriminator(diff_augment(real, policy, augment_rng))
            logits_fake = discriminator(diff_augment(fake.detach(), policy, augment_rng))
            d_loss = bce(logits_real, ones) + bce(logits_fake, zeros)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            g_loss = bce(discriminator(diff_augment(fake, policy, augment_rng)), ones)
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            stats = torch.stack(
                [
                    d_loss.detach(),
                    g_loss.detach(),
                    torch.sigmoid(logits_real.detach()).mean(),
                    torch.sigmoid(logits_fake.detach()).mean(),
                ]
            )
            sums += stats.double() * n
            progress.done += n
            if time.perf_counter() - progress.last >= cfg.log_every_s:
                progress.update(0, force=True)
        seconds = time.perf_counter() - epoch_start
        d_loss_m, g_loss_m, d_real, d_fake = (float(v) / len(x_train) for v in sums.cpu())
        diversity = mean_pairwise_distance(generate(generator, diversity_noise, device))
        row = {
            "epoch": epoch, "d_loss": d_loss_m, "g_loss": g_loss_m, "d_real": d_real, "d_fake": d_fake,
            "diversity_generated": diversity, "diversity_real": diversity_real,
            "diversity_ratio": diversity / max(diversity_real, 1e-12),
        }  # fmt: skip
        metrics.append(row)
        if epoch in cfg.figure_epochs:
            grids[epoch] = generate(generator, grid_noise, device)
        save_checkpoint(
            checkpoint_path,
            {
                "run_id": run_id, "epoch": epoch, "metrics": metrics, "grids": grids,
                "generator": {k: v.detach().cpu() for k, v in generator.state_dict().items()},
                "discriminator": {k: v.detach().cpu() for k, v in discriminator.state_dict().items()},
                "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            },
        )  # fmt: skip
        done = epoch - start_epoch + 1
        per_epoch = (time.perf_counter() - run_start) / done
        logger.info(
            f"epoch {epoch}/{cfg.epochs} d_loss {d_loss_m:.4f} g_loss {g_loss_m:.4f} D(x) {d_real:.3f} D(G(z)) {d_fake:.3f} "
            f"diversity {diversity:.4f} ({row['diversity_ratio']:.3f} of real) {len(x_train) / seconds:.0f} patches/s ({seconds:.1f} s), "
            f"ETA {format_seconds(per_epoch * (cfg.epochs - epoch))}"
        )
    missing = [e for e in cfg.figure_epochs if e not in grids]
    if missing:
        raise FileNotFoundError(
            f"{checkpoint_path}: sample grids of epochs {missing} missing; delete {state_dir} and retrain"
        )
    samples = {e: ((grids[e][:, 0].numpy() + 1) / 2).clip(0, 1) for e in sorted(cfg.figure_epochs)}
    return generator.cpu(), discriminator.cpu(), metrics, samples


def write_gan_metrics(path: str | Path, metrics: list[dict]) -> None:
    """Per-epoch metrics as CSV (columns :data:`GAN_METRIC_FIELDS`), atomically."""
    write_metrics(path, metrics, GAN_METRIC_FIELDS)


read_gan_metrics = read_metrics


def save_gan(
    path: str | Path, cfg: GanConfig, generator: nn.Module, discriminator: nn.Module, samples: dict[int, np.ndarray]
) -> None:
    """The trained DCGAN: both networks, config, and the sample grids by epoch
    (loadable with ``torch.load(path, weights_only=True)``)."""
    save_torch_file(
        path,
        {
            "config": json.dumps(asdict(cfg)),
            "generator": generator.state_dict(),
            "discriminator": discriminator.state_dict(),
            "samples": {int(e): torch.from_numpy(s) for e, s in samples.items()},
        },
    )


def load_gan_samples(path: str | Path) -> tuple[GanConfig, dict[int, np.ndarray]]:
    blob = checked_blob(path, load_torch_file(path, "msdl GAN file"), ("config", "samples"), "msdl GAN file")
    try:
        cfg = GanConfig(**json.loads(blob["config"]))
        samples = {int(e): s.numpy() for e, s in blob["samples"].items()}
    except (TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(f"{path}: not an msdl GAN file: bad config or samples ({err})") from None
    return cfg, samples
