"""Sampling the decoder through the latent space (the report's Figures 5-3 and 6-2).

The report does not say how it drew latent vectors. We fit one multivariate Gaussian to
the encoded training images (flattened latents, full covariance) and sample it: the
simplest density that keeps the correlations between latent units. Figures say so.
A VAE's samples are drawn from its prior N(0, I) instead (:func:`sample_prior`).
"""

from __future__ import annotations

import numpy as np
import torch

from msdl.models import Autoencoder


@torch.no_grad()
def encode(model: Autoencoder, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Latents of normalized images ``(N, H, W)`` as float64 ``(N, D)``."""
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size], dtype=np.float32)).unsqueeze(1)
        out.append(model.encode(x).flatten(1).double().numpy())
    return np.concatenate(out)


def fit_gaussian(latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` of latents ``(N, D)``."""
    mean = latents.mean(axis=0)
    cov = np.cov(latents, rowvar=False) if len(latents) > 1 else np.zeros((latents.shape[1],) * 2)
    return mean, np.atleast_2d(cov)


def sample_gaussian(mean: np.ndarray, cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` draws ``(n, D)`` from N(mean, cov); a rank-deficient ``cov`` is fine.

    Uses the symmetric square root from an eigen-decomposition (negative round-off
    eigenvalues clipped to 0), so it works when fewer samples than dimensions were fit.
    """
    values, vectors = np.linalg.eigh((cov + cov.T) / 2.0)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    noise = np.random.default_rng(seed).standard_normal((n, len(mean)))
    return mean + noise @ root.T


def sample_prior(model: Autoencoder, n: int, seed: int) -> np.ndarray:
    """``n`` draws ``(n, D)`` from a VAE's prior N(0, I) over its flattened latent."""
    dim = int(np.prod(model.latent_shape()))
    return np.random.default_rng(seed).standard_normal((n, dim))


@torch.no_grad()
def decode(model: Autoencoder, latents: np.ndarray) -> np.ndarray:
    """Decode flat latents ``(n, D)`` into normalized images ``(n, H, W)``."""
    model.eval()
    z = torch.from_numpy(latents.astype(np.float32)).reshape(len(latents), *model.latent_shape())
    return model.decode(z)[:, 0].numpy()


@torch.no_grad()
def reconstruct(model: Autoencoder, images: np.ndarray) -> np.ndarray:
    """Reconstructions of normalized images ``(N, H, W)``."""
    model.eval()
    return model(torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1))[:, 0].numpy()
