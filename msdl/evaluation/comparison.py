"""Comparison score of a generated image set against a reference set, by their statistics.

:func:`compare` turns two :class:`msdl.evaluation.statistics.SetStatistics` into distances, each
scale free (0 = same statistics; about 1 = off by the reference's own scale):

- ``s2``: RMS difference of the mean radial S2 curves over radius ``0..R`` (``R`` the
  shorter curve's last radius) divided by ``VF (1 - VF)`` of the reference (the S2 range
  between ``r = 0`` and ``r -> inf`` of the reference's mean volume fraction ``VF``).
- ``volume_fraction``: 1D Wasserstein (earth mover's) distance between the per-image
  volume fractions (in volume fraction units, not scale free; see ``total``).
- ``chord_x``, ``chord_y``: Wasserstein distance between the pooled chord-length
  distributions divided by the reference mean chord length.
- ``ks_chord_x``, ``ks_chord_y``: two-sample Kolmogorov-Smirnov statistic (max CDF gap, in
  [0, 1]) of the same distributions.
- grains only: ``grain_size``: Wasserstein of the pooled grain areas / reference mean
  area; ``boundary_density``: Wasserstein of the per-image boundary densities /
  reference mean density.
- ``total``: mean of the scale-free distances ``s2``, ``volume_fraction / min(VF, 1 - VF)``
  (the volume-fraction distance relative to the reference's minority phase fraction:
  never 0 for a two-phase reference, unlike the std of the VFs, which is 0 for sets made
  at an exact VF), ``chord_x``, ``chord_y`` and, for grains, ``grain_size`` and
  ``boundary_density``. The KS statistics are reported, not summed.

Degenerate cases never give NaN: when one distribution is empty (e.g. an all-black
generated set has no chords of the phase) or the reference scale is 0 while the distance
is not, the distance is :data:`EMPTY_DISTANCE` (KS: 1.0); two empty distributions are at
distance 0. Every scale-free distance is capped at :data:`EMPTY_DISTANCE`.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance

from msdl.evaluation.statistics import KINDS, SetStatistics, describe

EMPTY_DISTANCE = 100.0  # distance of an empty/degenerate distribution: 100 reference scales

SCORE_FIELDS = {
    "phase": ("s2", "volume_fraction", "chord_x", "chord_y", "ks_chord_x", "ks_chord_y", "total"),
    "grains": (
        "s2",
        "volume_fraction",
        "chord_x",
        "chord_y",
        "ks_chord_x",
        "ks_chord_y",
        "grain_size",
        "boundary_density",
        "total",
    ),
}


def _scaled(distance: float, scale: float) -> float:
    """``distance / scale`` capped at EMPTY_DISTANCE; 0/0 -> 0, d/0 -> EMPTY_DISTANCE."""
    if scale <= 0:
        return 0.0 if distance == 0 else EMPTY_DISTANCE
    return float(min(distance / scale, EMPTY_DISTANCE))


def _integer_cdfs(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical CDFs of two non-empty non-negative integer samples on ``0..max``."""
    size = int(max(u.max(), v.max())) + 1
    cu = np.cumsum(np.bincount(u, minlength=size)) / len(u)
    cv = np.cumsum(np.bincount(v, minlength=size)) / len(v)
    return cu, cv


def integer_wasserstein(u: np.ndarray, v: np.ndarray) -> float:
    """1D Wasserstein distance of two non-empty integer samples: ``sum_k |F_u(k) - F_v(k)|``
    (exact for unit-spaced support; equal to ``scipy.stats.wasserstein_distance``)."""
    cu, cv = _integer_cdfs(u, v)
    return float(np.abs(cu - cv).sum())


def integer_ks(u: np.ndarray, v: np.ndarray) -> float:
    """Two-sample KS statistic of two non-empty integer samples: ``max_k |F_u(k) - F_v(k)|``
    (equal to ``scipy.stats.ks_2samp(u, v).statistic``)."""
    cu, cv = _integer_cdfs(u, v)
    return float(np.abs(cu - cv).max())


def _distribution_distances(generated: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(Wasserstein / reference mean, KS) of two pooled integer samples, degenerate cases
    handled as the module says."""
    if len(generated) == 0 and len(reference) == 0:
        return 0.0, 0.0
    if len(generated) == 0 or len(reference) == 0:
        return EMPTY_DISTANCE, 1.0
    return _scaled(integer_wasserstein(generated, reference), float(reference.mean())), integer_ks(generated, reference)


def compare(generated: SetStatistics, reference: SetStatistics) -> dict[str, float]:
    """Distances of ``generated`` from ``reference`` (same kind), keys in the order of
    ``SCORE_FIELDS[kind]``; all finite floats."""
    if generated.kind != reference.kind:
        raise ValueError(f"generated: kind {generated.kind!r} differs from the reference's {reference.kind!r}")
    kind = reference.kind
    if kind not in KINDS:
        raise ValueError(f"reference: unknown kind {kind!r}")
    vf = float(np.mean(reference.volume_fractions))
    radius = min(len(generated.s2_radial), len(reference.s2_radial))
    gap = generated.s2_radial[:radius] - reference.s2_radial[:radius]
    scores: dict[str, float] = {}
    scores["s2"] = _scaled(float(np.sqrt(np.mean(gap**2))), vf * (1.0 - vf))
    scores["volume_fraction"] = float(wasserstein_distance(generated.volume_fractions, reference.volume_fractions))
    scores["chord_x"], scores["ks_chord_x"] = _distribution_distances(generated.chords_x, reference.chords_x)
    scores["chord_y"], scores["ks_chord_y"] = _distribution_distances(generated.chords_y, reference.chords_y)
    summed = [
        scores["s2"],
        _scaled(scores["volume_fraction"], min(vf, 1.0 - vf)),
        scores["chord_x"],
        scores["chord_y"],
    ]
    if kind == "grains":
        scores["grain_size"], _ = _distribution_distances(generated.grain_sizes, reference.grain_sizes)
        density = float(wasserstein_distance(generated.boundary_density, reference.boundary_density))
        scores["boundary_density"] = _scaled(density, float(np.mean(reference.boundary_density)))
        summed += [scores["grain_size"], scores["boundary_density"]]
    scores["total"] = float(np.mean(summed))
    return {field: scores[field] for field in SCORE_FIELDS[kind]}


def comparison_score(
    generated,
    reference,
    kind: str,
    periodic: bool = False,
    binarize_method: str = "otsu",
    boundary_value: str = "dark",
) -> dict[str, float]:
    """``compare(describe(generated), describe(reference))`` for two image sets ``(n, H, W)``
    in [0, 1] (image sizes may differ); errors name ``generated`` or ``reference``."""
    options = dict(kind=kind, periodic=periodic, binarize_method=binarize_method, boundary_value=boundary_value)
    return compare(describe(generated, name="generated", **options), describe(reference, name="reference", **options))
