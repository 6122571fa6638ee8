"""Accuracy of predicted strain fields (report section 4.5; Yang et al. 2019).

- ``r2_sampled``: the report's R^2, the squared Pearson correlation over all voxels of
  ``n_sample`` test SVEs drawn at random (Monte Carlo, seeded).
- ``r2_exact``: the same squared Pearson correlation over every voxel of the test set
  (streamed sums in float64); ``r2_determination`` = 1 - SS_res / SS_tot over every voxel.
- ``mase``: Yang et al. (2019) mean absolute strain error, per SVE
  ``mean|eps_true - eps_pred| / mean(eps_true) * 100`` (percent), averaged over SVEs.
"""

from __future__ import annotations

import numpy as np


def pearson_r2(x: np.ndarray, y: np.ndarray) -> float:
    """Squared Pearson correlation of two equally shaped arrays (flattened)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    xc, yc = x - x.mean(), y - y.mean()
    den = np.sqrt((xc * xc).sum() * (yc * yc).sum())
    if den == 0:
        raise ValueError("R^2 undefined: a field is constant")
    return float(((xc * yc).sum() / den) ** 2)


def mase_sve(true: np.ndarray, pred: np.ndarray) -> float:
    """MASE of one SVE in percent."""
    true = np.asarray(true, dtype=np.float64)
    return float(np.abs(true - np.asarray(pred, dtype=np.float64)).mean() / true.mean() * 100.0)


class ScoreAccumulator:
    """Streams (true, predicted) SVE pairs of a test set; :meth:`result` gives every metric.

    ``sample`` is the set of SVE positions (0-based, in the order given) whose voxels make
    up the report's Monte Carlo R^2.
    """

    def __init__(self, sample: set[int]):
        self.sample = set(sample)
        self.n = 0
        self.sums = np.zeros(5)  # x, y, xx, yy, xy over all voxels (x = pred, y = true)
        self.ss_res = 0.0
        self.count = 0
        self.mase = []
        self.sampled_true, self.sampled_pred = [], []

    def add(self, true: np.ndarray, pred: np.ndarray) -> None:
        if true.shape != pred.shape:
            raise ValueError(f"SVE {self.n}: true shape {true.shape} != predicted {pred.shape}")
        t = np.asarray(true, dtype=np.float64).ravel()
        p = np.asarray(pred, dtype=np.float64).ravel()
        self.sums += [p.sum(), t.sum(), (p * p).sum(), (t * t).sum(), (p * t).sum()]
        self.ss_res += ((t - p) ** 2).sum()
        self.count += t.size
        self.mase.append(mase_sve(true, pred))
        if self.n in self.sample:
            self.sampled_true.append(t.astype(np.float32))
            self.sampled_pred.append(p.astype(np.float32))
        self.n += 1

    def result(self) -> dict[str, float]:
        if self.n == 0:
            raise ValueError("no SVEs scored")
        sx, sy, sxx, syy, sxy = self.sums
        n = self.count
        cov, vx, vy = sxy - sx * sy / n, sxx - sx * sx / n, syy - sy * sy / n
        out = {
            "r2_exact": float(cov * cov / (vx * vy)),
            "r2_determination": float(1.0 - self.ss_res / vy),
            "mase_percent": float(np.mean(self.mase)),
            "mase_percent_std": float(np.std(self.mase)),
            "n_sve": self.n,
        }
        if self.sampled_true:
            out["r2_sampled"] = pearson_r2(np.concatenate(self.sampled_pred), np.concatenate(self.sampled_true))
            out["r2_sampled_n_sve"] = len(self.sampled_true)
        return out


def sample_positions(n_sve: int, n_sample: int, seed: int) -> set[int]:
    """The Monte Carlo sample of SVE positions for the report's R^2 (without replacement)."""
    rng = np.random.default_rng(seed)
    return set(rng.choice(n_sve, size=min(n_sample, n_sve), replace=False).tolist())
