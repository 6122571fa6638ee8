"""The figures of one trained autoencoder (reconstructions, decoder samples, loss) and of
one trained GAN (Figure 10-1 samples by epoch, loss and mode-collapse curves).

Decoder samples of an AE decode latents drawn from a Gaussian fit to encoded training
images (msdl/training/latent.py); those of a VAE (``model.variational``) decode draws from its
prior N(0, I), as a VAE is meant to be sampled. The figure title says which.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from msdl import figures
from msdl.normalization import denormalize, normalize
from msdl.shards import load_split
from msdl.training.autoencoder import load_model
from msdl.training.common import read_metrics
from msdl.training.gan import load_gan_samples, read_gan_metrics
from msdl.training.latent import decode, reconstruct, sample_decoder_latents


def autoencoder_figures(
    model_name: str,
    model_path: str | Path,
    metrics_path: str | Path,
    train_shards: list[str],
    test_shards: list[str],
    settings: dict,
    out_reconstructions: str | Path,
    out_samples: str | Path,
    out_loss: str | Path,
) -> dict:
    """Draw Figures 5-2/6-1, 5-3/6-2 and the loss curve for ``model_name``.

    ``settings`` is the config's ``figures`` section. Returns the per-epoch MSE of the
    shown reconstructions (normalized units), for the log.
    """
    final, cfg, norm = load_model(model_path)
    variational = final.variational  # a VAE: decoder samples from its prior
    test, test_seeds = load_split(test_shards)
    shown = test[: settings["reconstructions"]]
    fit_images, _ = load_split(train_shards)
    fit_images = normalize(fit_images[: settings["latent_fit_images"]], norm)
    shown_norm = normalize(shown, norm)

    recons, samples, errors = {}, {}, {}
    for epoch in cfg.snapshot_epochs:
        model, _, _ = load_model(model_path, epoch)
        recon = reconstruct(model, shown_norm)
        errors[epoch] = float(np.mean((recon - shown_norm) ** 2))
        recons[epoch] = np.clip(denormalize(recon, norm), 0.0, 1.0)
        latents = sample_decoder_latents(model, fit_images, settings["latent_samples"], seed=settings["seed"])
        samples[epoch] = np.clip(denormalize(decode(model, latents), norm, samples=True), 0.0, 1.0)

    seeds = f"test seeds {test_seeds[0]}..{test_seeds[len(shown) - 1]}"
    figures.reconstructions_by_epoch(
        shown.astype(np.float32), recons, out_reconstructions, f"{model_name}: {len(shown)} reconstructions ({seeds})"
    )
    if variational:
        drawn = "latents drawn from the VAE's prior N(0, I)"
    else:
        drawn = f"latents drawn from a Gaussian fit to {len(fit_images)} encoded training images"
    title = f"{model_name}: {settings['latent_samples']} decoder samples, {drawn}"
    figures.samples_by_epoch(samples, out_samples, title)
    figures.loss_curves({model_name: read_metrics(metrics_path)}, out_loss, f"{model_name}: MSE per epoch")
    return errors


def gan_figures(name: str, model_path: str, metrics_path: str, label: str, out_samples: str, out_curves: str) -> None:
    """Figure 10-1 (64 samples per chosen epoch) and the loss / mode-collapse curves."""
    _, samples = load_gan_samples(model_path)
    n = len(next(iter(samples.values())))
    figures.samples_by_epoch(samples, out_samples, f"{name}: {n} samples from fixed noise at each epoch ({label})")
    gan_curves(read_gan_metrics(metrics_path), out_curves, f"{name}: losses and sample diversity ({label})")


def gan_curves(metrics: list[dict], path: str, title: str) -> None:
    """Discriminator/generator losses (left) and the mode-collapse measure (right): mean
    pairwise distance of generated samples over that of real patches, per epoch."""
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
    figures.save_figure(fig, path)
