"""Normalization statistics, with the report's estimator (section 4.2), and the transform.

The report estimates a dataset's mean and standard deviation as the mean of the
per-sample means and the mean of the per-sample standard deviations ("based on the law
of large numbers"). Note the second is not the pooled standard deviation: it leaves out
the spread of the sample means, so normalized data have a variance a little above 1.

Training maps images to ``(x - mean) / scale``. Two modes choose ``scale``:

- ``standardize``: ``scale = std`` (the report's 3D normalization).
- ``symmetric_range``: ``scale = max |x - mean|`` over the training set, so the data lie
  in [-1, 1], the range of the autoencoders' final Tanh. For a 50 % binary set both
  modes agree (std = 0.5 = range); for the smooth set (uniform grayscale, std ~0.29)
  ``standardize`` would put 42 % of pixels beyond the Tanh's reach, so the decoder could
  never draw the darkest and brightest regions. This is the default in config.yaml.
- ``boundary_distance`` (grain-boundary images, the kMC AEs): the images become their
  distance to the nearest boundary pixel (boundary = below the training pixels' Otsu
  threshold ``otsu_threshold``), clipped at :data:`msdl.grain_images.DISTANCE_CLIP_PX`
  and mapped to [-1, 1]; :func:`denormalize` turns decoded maps back into boundary images
  with closed grains, drawn as the dataset drew its own (at ``source_image_size``, then
  area-averaged). Why: see :mod:`msdl.grain_images`. MSE is then in pixels^2 of distance.
  A trained model's map adds ``dynamics`` and ``smoothing``, the grain markers' depth and
  the blur calibrated to its decoder (:func:`msdl.training.jobs.calibrate_grain_decoding`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msdl.grain_images import DISTANCE_CLIP_PX, MARKER_DYNAMICS_PX, boundary_images_of_distance_maps, distance_maps
from msdl.shards import load_shard

OTSU_IMAGES_PER_SHARD = 16  # images per shard whose pixels pool into the Otsu threshold
OTSU_MAX_PIXELS = 4_000_000


def sample_statistics(array_paths: list[str | Path]) -> dict:
    """Mean of per-sample means and of per-sample stds over all shards given.

    Streams one shard at a time (memory: one shard). Returns
    ``{"mean", "std", "min", "max", "max_abs_deviation", "otsu_threshold", "n_samples",
    "n_shards"}`` and, for area-averaged sets whose manifests record it,
    ``source_image_size``; ``std`` and ``max_abs_deviation`` are floored at a tiny positive
    value so that a constant dataset cannot divide by zero downstream. ``otsu_threshold``:
    Otsu's threshold of the pooled pixels of the first :data:`OTSU_IMAGES_PER_SHARD` images
    of each shard (at most :data:`OTSU_MAX_PIXELS`, evenly strided).
    """
    sum_mean = sum_std = 0.0
    low, high = np.inf, -np.inf
    n = 0
    pooled, source_size = [], None
    for path in array_paths:
        images, manifest = load_shard(path)
        flat = images.reshape(len(images), -1).astype(np.float64)
        sum_mean += float(flat.mean(axis=1).sum())
        sum_std += float(flat.std(axis=1).sum())
        low, high = min(low, float(flat.min())), max(high, float(flat.max()))
        n += len(images)
        pooled.append(flat[:OTSU_IMAGES_PER_SHARD].ravel())
        source_size = manifest.get("source_image_size", source_size)
    if n == 0:
        raise ValueError("no samples: cannot estimate normalization statistics")
    mean = sum_mean / n
    extra = {} if source_size is None else {"source_image_size": list(source_size)}
    return {
        "mean": mean,
        "std": max(sum_std / n, 1e-12),
        "min": low,
        "max": high,
        "max_abs_deviation": max(high - mean, mean - low, 1e-12),
        "otsu_threshold": _otsu(np.concatenate(pooled)),
        **extra,
        "n_samples": n,
        "n_shards": len(array_paths),
        "estimator": "mean of per-sample means and of per-sample standard deviations (report section 4.2)",
    }


def _otsu(pixels: np.ndarray) -> float:
    """Otsu's threshold of a 1D pixel sample (its value for a constant sample)."""
    from skimage.filters import threshold_otsu

    pixels = pixels[:: max(1, -(-pixels.size // OTSU_MAX_PIXELS))]
    if pixels.min() == pixels.max():
        return float(pixels.min())
    return float(threshold_otsu(pixels))


NORMALIZATION_MODES = ("standardize", "symmetric_range", "boundary_distance")


def transform(stats: dict, mode: str) -> dict:
    """The map of a mode: ``{"mode", "mean", "scale"}`` and, for ``boundary_distance``,
    ``threshold``, ``clip`` and ``render_size`` (see module docstring)."""
    if mode == "standardize":
        return {"mode": mode, "mean": float(stats["mean"]), "scale": float(stats["std"])}
    if mode == "symmetric_range":
        return {"mode": mode, "mean": float(stats["mean"]), "scale": float(stats["max_abs_deviation"])}
    if mode == "boundary_distance":
        if "otsu_threshold" not in stats:
            raise ValueError(
                "normalization boundary_distance: the dataset's normalization statistics have no "
                "'otsu_threshold' (written before msdl computed it): rerun rule normalization_statistics"
            )
        half = DISTANCE_CLIP_PX / 2
        return {
            "mode": mode,
            "mean": half,
            "scale": half,
            "threshold": float(stats["otsu_threshold"]),
            "clip": DISTANCE_CLIP_PX,
            "render_size": stats.get("source_image_size"),
        }
    raise ValueError(f"normalization mode {mode!r} is not one of {NORMALIZATION_MODES}")


def normalize(images: np.ndarray, norm: dict) -> np.ndarray:
    """Images ``(N, H, W)`` -> model inputs, float32: ``(x - mean) / scale`` of the images,
    or of their distance maps for ``boundary_distance``; ``norm`` from :func:`transform`."""
    if norm["mode"] == "boundary_distance":
        images = distance_maps(images, norm["threshold"], norm["clip"])
    return (images.astype(np.float32) - np.float32(norm["mean"])) / np.float32(norm["scale"])


def denormalize(images: np.ndarray, norm: dict, samples: bool = False) -> np.ndarray:
    """Model outputs ``(N, H, W)`` -> images: the inverse affine map, then for
    ``boundary_distance`` the boundary images of the decoded distance maps, with the
    decoding calibrated for reconstructions, or for decoder ``samples`` (generated from
    latents, not encoded images) where the model has one."""
    values = images * np.float32(norm["scale"]) + np.float32(norm["mean"])
    if norm["mode"] == "boundary_distance":
        prefix = "sample_" if samples and "sample_dynamics" in norm else ""
        dynamics = norm.get(f"{prefix}dynamics", MARKER_DYNAMICS_PX)
        smoothing = norm.get(f"{prefix}smoothing", 0.0)
        return boundary_images_of_distance_maps(values, norm["render_size"], dynamics, smoothing)
    return values
