"""Preprocessing of report sections 4.1-4.2: microstructure filter and normalization statistics.

- Microstructure filter (4.1): the order-2 B-spline prefilter of the binary phase field,
  ``scipy.ndimage.spline_filter(phase, order=2, mode="grid-wrap")`` (periodic), turning the
  discrete 0/1 microstructure into a continuous one.
- Statistics (4.2): for each quantity, the mean over SVEs of the per-SVE mean and of the
  per-SVE standard deviation (the report's script, "by the law of large numbers"), over
  the train split. Quantities: ``phase``, ``filtered_phase``, ``strain_xx``, ``stress_xx``.
- Rescaled fields: ``(x - mean) / std`` with those statistics.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

QUANTITIES = ("phase", "filtered_phase", "strain_xx", "stress_xx")


def spline_filter(phase: np.ndarray) -> np.ndarray:
    """Periodic order-2 spline filter of one SVE ``(N, N, N)`` -> float32 ``(N, N, N)``."""
    return ndimage.spline_filter(np.asarray(phase, dtype=np.float64), order=2, mode="grid-wrap").astype(np.float32)


def sve_quantities(sve: np.ndarray, channel_names: list[str]) -> dict[str, np.ndarray]:
    """The quantities of one shard entry ``(C, N, N, N)`` by name (filtered phase computed)."""
    idx = {c: i for i, c in enumerate(channel_names)}
    return {
        "phase": sve[idx["phase"]],
        "filtered_phase": spline_filter(sve[idx["phase"]]),
        "strain_xx": sve[idx["strain_xx"]],
        "stress_xx": sve[idx["stress_xx"]],
    }


class StatisticsAccumulator:
    """Streams SVEs; :meth:`result` gives ``{quantity: {"mean", "std", "n_sve"}}``."""

    def __init__(self) -> None:
        self.means = {q: [] for q in QUANTITIES}
        self.stds = {q: [] for q in QUANTITIES}

    def add(self, sve: np.ndarray, channel_names: list[str]) -> None:
        for q, field in sve_quantities(sve, channel_names).items():
            f = field.astype(np.float64)
            self.means[q].append(f.mean())
            self.stds[q].append(f.std())

    def result(self) -> dict[str, dict[str, float]]:
        n = len(self.means["phase"])
        if n == 0:
            raise ValueError("no SVEs given to the normalization statistics")
        return {
            q: {"mean": float(np.mean(self.means[q])), "std": float(np.mean(self.stds[q])), "n_sve": n}
            for q in QUANTITIES
        }


def standardize(x: np.ndarray, stats: dict[str, float]) -> np.ndarray:
    """``(x - mean) / std`` (the report's rescaled responses), float32."""
    return ((np.asarray(x, dtype=np.float64) - stats["mean"]) / stats["std"]).astype(np.float32)
