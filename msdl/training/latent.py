"""Sampling the decoder through the latent space (the report's Figures 5-3 and 6-2).

The report does not say how it drew latent vectors. We fit one multivariate Gaussian to
the encoded training images (flattened latents, full covariance) and sample it: the
simplest density that keeps the correlations between latent units. Figures say so.
A VAE's samples are drawn from its prior N(0, I) instead (:func:`sample_prior`).
"""

from __future__ import annotations

import numpy as np
import torch

from msdl.models.autoencoders import Autoencoder


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


def sample_decoder_latents(model: Autoencoder, fit_images: np.ndarray, n: int, seed: int) -> np.ndarray:
    """The latents the figures and scores decode: ``n`` draws ``(n, D)`` from a VAE's prior,
    or, for an AE, from a Gaussian fit to the encodings of ``fit_images`` (normalized ``(N, H, W)``)."""
    if getattr(model, "variational", False):
        return sample_prior(model, n, seed)
    mean, cov = fit_gaussian(encode(model, fit_images))
    return sample_gaussian(mean, cov, n, seed)


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


# Latent sampling schemes compared by msdl.evaluation.jobs (the report samples one way; which
# way makes the most realistic microstructures is an open question it raises).


def sample_uniform_box(latents: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` draws ``(n, D)`` uniform in the per-dimension [min, max] box of ``latents`` ``(N, D)``."""
    low, high = latents.min(axis=0), latents.max(axis=0)
    return low + np.random.default_rng(seed).random((n, latents.shape[1])) * (high - low)


def sample_nearest_jitter(latents: np.ndarray, n: int, seed: int, scale: float) -> np.ndarray:
    """``n`` encoded training latents picked at random, each moved by Gaussian noise of
    ``scale`` times the per-dimension standard deviation of ``latents`` ``(N, D)``."""
    rng = np.random.default_rng(seed)
    anchors = latents[rng.integers(0, len(latents), n)]
    return anchors + rng.standard_normal(anchors.shape) * scale * latents.std(axis=0)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, kind: str, center: np.ndarray | None = None) -> np.ndarray:
    """``steps`` latents ``(steps, D)`` from ``z0`` to ``z1`` (both ends included).

    ``linear``: straight line. ``spherical``: slerp of the offsets from ``center`` (the
    latent mean; zero for a VAE), i.e. a great-circle arc whose radius changes linearly
    from |z0 - c| to |z1 - c|, which keeps interpolants at the typical distance from the
    centre where a straight line cuts through the less populated interior.
    """
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if kind == "linear":
        return (1 - t) * z0 + t * z1
    if kind != "spherical":
        raise ValueError(f"interpolation kind {kind!r}: use 'linear' or 'spherical'")
    c = np.zeros_like(z0) if center is None else center
    a, b = z0 - c, z1 - c
    ra, rb = np.linalg.norm(a), np.linalg.norm(b)
    if ra == 0 or rb == 0:
        return (1 - t) * z0 + t * z1
    ua, ub = a / ra, b / rb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-8:
        direction = (1 - t) * ua + t * ub
    else:
        direction = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    return c + direction * ((1 - t) * ra + t * rb)
