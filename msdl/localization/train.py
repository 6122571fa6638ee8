"""Training of the localization networks (CPNet on patches, the periodic FNO on whole SVEs).

Inputs are the section 4.1 spline-filtered microstructure, outputs eps_xx; both
standardized with the train split's section 4.2 statistics (``statistics.json``), so the
networks see zero-mean, unit-scale fields; predictions are mapped back to strain.

- CPNet: each epoch draws ``patches_per_sve`` random block origins per training SVE
  (periodic, any voxel; a function of ``(seed, epoch)``), the ``p^3`` input patch around
  each block and its ``g^3`` strain block as target; Adam + MSE.
- FNO: whole SVEs in mini-batches, Adam + MSE.

A checkpoint (model, optimizer, epoch, losses) is written atomically after every epoch
and a rerun resumes from it. Progress lines carry rate and ETA.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from msdl.device import resolve_device
from msdl.localization.evaluate import iter_sves
from msdl.localization.stats import spline_filter
from msdl.models.localization import CPNet, PeriodicFNO, cpnet_sweep, parameter_count, sweep_patches
from msdl.progress import Progress
from msdl.training.common import load_checkpoint, save_checkpoint

ARCHITECTURES = ("cpnet", "periodic_fno")


@dataclass
class LocalizationModelConfig:
    """One ``localization.models`` entry."""

    architecture: str
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    stride_gap: int = 7
    patch: int = 11
    patches_per_sve: int = 64
    width: int = 16
    modes: int = 8
    layers: int = 4

    @classmethod
    def from_config(cls, entry: dict) -> "LocalizationModelConfig":
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in entry.items() if k in keys})


def build_model(cfg: LocalizationModelConfig) -> nn.Module:
    if cfg.architecture == "cpnet":
        return CPNet(cfg.stride_gap, cfg.patch)
    if cfg.architecture == "periodic_fno":
        return PeriodicFNO(1, cfg.width, cfg.modes, cfg.layers)
    raise ValueError(f"architecture {cfg.architecture!r}: must be one of {ARCHITECTURES}")


@dataclass
class Normalizer:
    """Section 4.2 standardization of input (filtered phase) and output (strain)."""

    x_mean: float
    x_std: float
    y_mean: float
    y_std: float

    @classmethod
    def from_statistics(cls, stats: dict) -> "Normalizer":
        return cls(
            stats["filtered_phase"]["mean"],
            stats["filtered_phase"]["std"],
            stats["strain_xx"]["mean"],
            stats["strain_xx"]["std"],
        )

    def inputs(self, phase: np.ndarray) -> np.ndarray:
        return ((spline_filter(phase) - self.x_mean) / self.x_std).astype(np.float32)

    def targets(self, strain: np.ndarray) -> np.ndarray:
        return ((strain - self.y_mean) / self.y_std).astype(np.float32)

    def strain(self, z: torch.Tensor) -> np.ndarray:
        return (z.detach().cpu().double().numpy() * self.y_std + self.y_mean).astype(np.float32)


def load_fields(paths: list[str | Path], norm: Normalizer) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalized ``(inputs, targets)``, each ``(n, N, N, N)`` float32, of checked shards."""
    xs, ys = [], []
    for _, sve, ch in iter_sves(paths):
        xs.append(norm.inputs(sve[ch.index("phase")]))
        ys.append(norm.targets(sve[ch.index("strain_xx")]))
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def random_patches(x: torch.Tensor, y: torch.Tensor, cfg: LocalizationModelConfig, generator: torch.Generator):
    """``patches_per_sve`` random (patch, block) pairs per SVE, periodic: ``(M, 1, p^3), (M, g^3)``."""
    g, p = cfg.stride_gap, cfg.patch
    n = x.shape[1:]
    lo = (p - g) // 2
    xs, ys = [], []
    for i in range(len(x)):
        origins = torch.stack(
            [torch.randint(0, n[d], (cfg.patches_per_sve,), generator=generator) for d in range(3)], 1
        )
        ar_p, ar_g = torch.arange(p), torch.arange(g)
        ip = [(origins[:, d, None] - lo + ar_p) % n[d] for d in range(3)]
        ig = [(origins[:, d, None] + ar_g) % n[d] for d in range(3)]
        xs.append(x[i][ip[0][:, :, None, None], ip[1][:, None, :, None], ip[2][:, None, None, :]])
        ys.append(y[i][ig[0][:, :, None, None], ig[1][:, None, :, None], ig[2][:, None, None, :]])
    return torch.cat(xs)[:, None], torch.cat(ys)


def train_localization(
    cfg: LocalizationModelConfig,
    x: torch.Tensor,
    y: torch.Tensor,
    state_path: str | Path,
    logger: logging.Logger,
    device: str = "auto",
    max_seconds: float | None = None,
) -> tuple[nn.Module, list[dict]]:
    """Train (or resume) on normalized fields ``x, y`` ``(n, N, N, N)``; returns (model, epoch log).

    ``max_seconds`` stops after the epoch that crosses it (for fixed-budget runs).
    """
    dev = resolve_device(device)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    state_path = Path(state_path)
    history, start = [], 1
    ckpt = load_checkpoint(state_path)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        history, start = ckpt["history"], ckpt["epoch"] + 1
        logger.info(f"resumed from {state_path} after epoch {ckpt['epoch']}")
    logger.info(f"{cfg.architecture}: {parameter_count(model):,} parameters, {len(x)} training SVEs, device {dev}")
    progress = Progress(logger, cfg.epochs - start + 1, "epochs", every_s=0.0, what=f"{cfg.architecture} ")
    t0 = time.perf_counter()
    for epoch in range(start, cfg.epochs + 1):
        gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch)
        if cfg.architecture == "cpnet":
            inputs, targets = random_patches(x, y, cfg, gen)
        else:
            inputs, targets = x[:, None], y
        order = torch.randperm(len(inputs), generator=gen)
        model.train()
        total = torch.zeros((), dtype=torch.float64, device=dev)
        for s in range(0, len(order), cfg.batch_size):
            idx = order[s : s + cfg.batch_size]
            if cfg.architecture == "cpnet" and len(idx) < 2:
                continue  # BatchNorm needs two samples
            xb, yb = inputs[idx].to(dev, non_blocking=True), targets[idx].to(dev, non_blocking=True)
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach().double() * len(idx)
        history.append({"epoch": epoch, "train_mse": float(total) / len(order)})
        save_checkpoint(
            state_path, {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "history": history}
        )
        progress.update()
        logger.info(
            f"epoch {epoch}: train MSE (normalized) {history[-1]['train_mse']:.4f}, {time.perf_counter() - t0:.1f} s"
        )
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            logger.info(f"time budget {max_seconds:.0f} s reached after epoch {epoch}")
            break
    return model, history


def predictor(model: nn.Module, cfg: LocalizationModelConfig, norm: Normalizer, device: str = "auto"):
    """``phase (N, N, N) -> strain (N, N, N)`` with the trained model (eval mode, no grad)."""
    dev = resolve_device(device)
    model = model.to(dev).eval()

    @torch.no_grad()
    def predict(phase: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(norm.inputs(phase)).to(dev)
        if cfg.architecture == "cpnet":
            z = cpnet_sweep(model, x)
        else:
            z = model(x[None, None])[0]
        return norm.strain(z)

    return predict


__all__ = [
    "LocalizationModelConfig",
    "Normalizer",
    "build_model",
    "load_fields",
    "predictor",
    "sweep_patches",
    "train_localization",
]
