"""The figures of one trained autoencoder: reconstructions, decoder samples, loss.

Decoder samples of an AE decode latents drawn from a Gaussian fit to encoded training
images (msdl/latent.py); those of a VAE (``model.variational``) decode draws from its
prior N(0, I), as a VAE is meant to be sampled. The figure title says which.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msdl import figures
from msdl.latent import decode, reconstruct, sample_decoder_latents
from msdl.normalization import denormalize, normalize
from msdl.shards import load_split
from msdl.train import load_model, read_metrics


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
        samples[epoch] = np.clip(denormalize(decode(model, latents), norm), 0.0, 1.0)

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
