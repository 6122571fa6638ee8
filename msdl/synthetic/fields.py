"""Synthetic 2D microstructures (report section 2.1, after Fernandez-Zelaia et al.).

A uniform random field is filtered by a periodic Gaussian with a user-defined 2x2
covariance (anisotropic and rotated allowed) into a "smooth" grayscale image; the
"binary" image keeps the brightest pixels so that the volume fraction of phase 1 is
exactly the target.

Conventions
-----------
- Images are ``(H, W)`` arrays, row index ``y`` (down), column index ``x`` (right).
- ``covariance`` is ``[[c_xx, c_xy], [c_xy, c_yy]]`` in pixel^2: the covariance of the
  Gaussian filter kernel ``g(r) ~ exp(-r^T C^{-1} r / 2)``. A diagonal ``[[16, 0], [0, 4]]``
  gives a 4 px width along x and 2 px along y. Its autocorrelation has covariance ``2 C``.
- The filter is applied in Fourier space with the kernel's exact transform
  ``exp(-2 pi^2 k^T C k)`` (k in cycles/pixel), i.e. a convolution with the periodic
  summation of the Gaussian: the image is periodic in both directions.
- The grayscale value is ``Phi(z)``, the standard normal CDF of the filtered field ``z``
  standardized by its exact theoretical standard deviation: a monotone map, so
  thresholds and ranks are those of the filtered field, with values in (0, 1) and a
  uniform marginal. No per-image rescaling, so images are comparable with each other.

Determinism
-----------
Each image depends only on ``(stream, seed)``: the noise comes from NumPy's PCG64 seeded
by ``SeedSequence(seed, spawn_key=(crc32(stream),))`` (platform independent), and every
image is transformed on its own (never batched with others), so a seed gives the same
bytes whatever shard it lands in. FFTs are pocketfft's (NumPy's own), so bytes are equal
across machines that run the same NumPy build on the same CPU architecture.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.special import ndtr

from msdl.rng import stream_rng


def gaussian_transfer(shape: tuple[int, int], covariance: np.ndarray, real: bool = True) -> np.ndarray:
    """Fourier transfer function of the periodic Gaussian filter.

    Returns ``exp(-2 pi^2 k^T C k)`` on the ``rfft2`` grid (``real=True``, shape
    ``(H, W//2+1)``) or the full ``fft2`` grid (shape ``(H, W)``), float64.
    """
    h, w = shape
    c = np.asarray(covariance, dtype=np.float64)
    ky = np.fft.fftfreq(h)[:, None]
    kx = (np.fft.rfftfreq(w) if real else np.fft.fftfreq(w))[None, :]
    q = c[0, 0] * kx**2 + 2.0 * c[0, 1] * kx * ky + c[1, 1] * ky**2
    return np.exp(-2.0 * np.pi**2 * q)


def periodic_gaussian_filter(image: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Convolve ``(H, W)`` with the periodic Gaussian of ``covariance`` (float64 out)."""
    shape = image.shape
    return np.fft.irfft2(np.fft.rfft2(image) * gaussian_transfer(shape, covariance), s=shape)


def filtered_field(stream: str, seed: int, shape: tuple[int, int], covariance: np.ndarray) -> np.ndarray:
    """Standardized Gaussian-filtered uniform noise ``z`` of one seed, float64 ``(H, W)``.

    ``z`` has zero mean and unit variance in expectation (the exact variance of filtered
    white noise, ``(1/12) mean |T|^2`` over the full spectrum, is divided out).
    """
    noise = stream_rng(stream, seed).random(shape) - 0.5
    std = np.sqrt(np.mean(gaussian_transfer(shape, covariance, real=False) ** 2) / 12.0)
    return periodic_gaussian_filter(noise, covariance) / std


def smooth_image(stream: str, seed: int, shape: tuple[int, int], covariance: np.ndarray) -> np.ndarray:
    """The "smooth" grayscale microstructure of one seed: ``Phi(z)``, float32 in (0, 1)."""
    return ndtr(filtered_field(stream, seed, shape, covariance)).astype(np.float32)


def binarize(smooth: np.ndarray, volume_fraction: float) -> np.ndarray:
    """Binary microstructure with phase 1 on exactly ``round(vf * H * W)`` pixels.

    Phase 1 is the brightest pixels of ``smooth`` (the threshold at the image's own
    quantile); ties are broken by pixel index, so the count is always exact.
    Returns uint8 ``(H, W)`` of 0/1.
    """
    if not 0.0 < volume_fraction < 1.0:
        raise ValueError(f"volume_fraction {volume_fraction} must lie in (0, 1)")
    flat = smooth.ravel()
    n_phase = int(round(volume_fraction * flat.size))
    order = np.argsort(-flat.astype(np.float64), kind="stable")
    out = np.zeros(flat.size, dtype=np.uint8)
    out[order[:n_phase]] = 1
    return out.reshape(smooth.shape)


def smooth_images(stream: str, seeds: range, shape: tuple[int, int], covariance: np.ndarray) -> np.ndarray:
    """Smooth images of consecutive seeds, float32 ``(len(seeds), H, W)``."""
    out = np.empty((len(seeds), *shape), dtype=np.float32)
    for i, seed in enumerate(seeds):
        out[i] = smooth_image(stream, seed, shape, covariance)
    return out


def binary_images(smooth: np.ndarray, volume_fraction: float) -> np.ndarray:
    """Binarize a stack ``(N, H, W)`` of smooth images, uint8."""
    out = np.empty(smooth.shape, dtype=np.uint8)
    for i, img in enumerate(smooth):
        out[i] = binarize(img, volume_fraction)
    return out


def correlation_covariance(image: np.ndarray, level: float = 0.2) -> np.ndarray:
    """Covariance (pixel^2, ``[[xx, xy], [xy, yy]]``) of a Gaussian fit to an image's
    periodic autocorrelation: the measured correlation lengths and their orientation.

    ``log(acf / acf(0)) = -r^T M r / 2`` is fit by least squares over the central lags
    where the normalized autocorrelation exceeds ``level``; returns ``M^{-1}``. For
    Gaussian-filtered white noise with filter covariance ``C`` the estimate is ``2 C``.
    """
    a = image.astype(np.float64) - image.mean()
    acf = np.fft.fftshift(np.fft.ifft2(np.abs(np.fft.fft2(a)) ** 2).real)
    h, w = a.shape
    acf = acf / acf[h // 2, w // 2]
    central, _ = ndimage.label(acf > level)
    mask = (central == central[h // 2, w // 2]) & (acf > level)
    y, x = np.nonzero(mask)
    y, x = y - h // 2, x - w // 2
    design = np.stack([x**2, 2 * x * y, y**2], axis=1).astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, -2.0 * np.log(acf[mask]), rcond=None)
    return np.linalg.inv(np.array([[coef[0], coef[1]], [coef[1], coef[2]]]))
