"""One DCGAN training job of the workflow, and its figures (Figure 10-1, curves)."""

from __future__ import annotations

from pathlib import Path

import torch

from msdl import figures
from msdl.gan_train import GanConfig, gan_fingerprint, load_gan_samples, read_gan_metrics, save_gan, train_gan, write_gan_metrics
from msdl.progress import get_logger
from msdl.shards import load_split, read_manifest


def gan_config(entry: dict, device: str) -> GanConfig:
    """A :class:`GanConfig` from a ``gans.<name>`` config entry."""
    keys = ("epochs", "batch_size", "learning_rate", "beta1", "latent_dim", "seed", "samples", "diversity_samples")
    return GanConfig(**{k: entry[k] for k in keys}, device=device, figure_epochs=sorted(entry["figure_epochs"]))


def run_gan_training(entry: dict, device: str, train_shards: list[str], state_dir: str, model_path: str, metrics_path: str, log_path: str | None = None, threads: int | None = None) -> list[dict]:
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
    logger.info(f"wrote {model_path}; final diversity ratio {last['diversity_ratio']:.3f}, D(x) {last['d_real']:.3f}, D(G(z)) {last['d_fake']:.3f}")
    return metrics


def gan_figures(name: str, model_path: str, metrics_path: str, label: str, out_samples: str, out_curves: str) -> None:
    """Figure 10-1 (64 samples per chosen epoch) and the loss / mode-collapse curves."""
    _, samples = load_gan_samples(model_path)
    n = len(next(iter(samples.values())))
    figures.samples_by_epoch(samples, out_samples, f"{name}: {n} samples from fixed noise at each epoch ({label})")
    gan_curves(read_gan_metrics(metrics_path), out_curves, f"{name}: losses and sample diversity ({label})")


def gan_curves(metrics: list[dict], path: str, title: str) -> None:
    """Discriminator/generator losses (left) and the mode-collapse measure (right): mean
    pairwise distance of generated samples over that of real patches, per epoch."""
    import matplotlib.pyplot as plt

    from msdl.io import atomic_path

    epochs = [r["epoch"] for r in metrics]
    fig, (ax_loss, ax_div) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    ax_loss.plot(epochs, [r["d_loss"] for r in metrics], "o-", label="discriminator")
    ax_loss.plot(epochs, [r["g_loss"] for r in metrics], "s-", label="generator")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("BCE loss")
    ax_loss.legend(fontsize=8)
    ax_loss.grid(alpha=0.3)
    ax_div.plot(epochs, [r["diversity_ratio"] for r in metrics], "o-", color="C2")
    ax_div.axhline(1.0, color="gray", linestyle="--", linewidth=1, label="real patches")
    ax_div.set_ylim(0, max(1.2, max(r["diversity_ratio"] for r in metrics) * 1.1))
    ax_div.set_xlabel("epoch")
    ax_div.set_ylabel("diversity (generated / real)")
    ax_div.set_title("mode collapse -> 0", fontsize=9)
    ax_div.legend(fontsize=8)
    ax_div.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130)
    plt.close(fig)
