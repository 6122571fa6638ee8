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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msdl.shards import load_shard


def sample_statistics(array_paths: list[str | Path]) -> dict:
    """Mean of per-sample means and of per-sample stds over all shards given.

    Streams one shard at a time (memory: one shard). Returns
    ``{"mean", "std", "min", "max", "max_abs_deviation", "n_samples", "n_shards"}``;
    ``std`` and ``max_abs_deviation`` are floored at a tiny positive
    value so that a constant dataset cannot divide by zero downstream.
    """
    sum_mean = sum_std = 0.0
    low, high = np.inf, -np.inf
    n = 0
    for path in array_paths:
        images, _ = load_shard(path)
        flat = images.reshape(len(images), -1).astype(np.float64)
        sum_mean += float(flat.mean(axis=1).sum())
        sum_std += float(flat.std(axis=1).sum())
        low, high = min(low, float(flat.min())), max(high, float(flat.max()))
        n += len(images)
    if n == 0:
        raise ValueError("no samples: cannot estimate normalization statistics")
    mean = sum_mean / n
    return {
        "mean": mean,
        "std": max(sum_std / n, 1e-12),
        "min": low,
        "max": high,
        "max_abs_deviation": max(high - mean, mean - low, 1e-12),
        "n_samples": n,
        "n_shards": len(array_paths),
        "estimator": "mean of per-sample means and of per-sample standard deviations (report section 4.2)",
    }


NORMALIZATION_MODES = ("standardize", "symmetric_range")


def transform(stats: dict, mode: str) -> dict:
    """The affine map of a mode: ``{"mode", "mean", "scale"}`` (see module docstring)."""
    if mode == "standardize":
        scale = stats["std"]
    elif mode == "symmetric_range":
        scale = stats["max_abs_deviation"]
    else:
        raise ValueError(f"normalization mode {mode!r} is not one of {NORMALIZATION_MODES}")
    return {"mode": mode, "mean": float(stats["mean"]), "scale": float(scale)}


def normalize(images: np.ndarray, norm: dict) -> np.ndarray:
    """``(x - mean) / scale`` as float32, ``norm`` from :func:`transform`."""
    return (images.astype(np.float32) - np.float32(norm["mean"])) / np.float32(norm["scale"])


def denormalize(images: np.ndarray, norm: dict) -> np.ndarray:
    """Inverse of :func:`normalize`."""
    return images * np.float32(norm["scale"]) + np.float32(norm["mean"])
