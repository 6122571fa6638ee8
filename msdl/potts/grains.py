"""Grain statistics of spin arrays: grains are 8-connected sets of equal spin.

Periodic boundaries join grains across opposite edges (as SPPARKS ``diag_style cluster``
on a periodic box, which ``grain_growth_kinetics.csv`` was computed with).

:func:`grain_shapes` measures each grain's area, aspect ratio and tilt from its second
moments, in a crop (:data:`AM_CROP` for am/ellipsoid), for the calibration of the builtin
am/ellipsoid against SPPARKS (benchmarks/potts_engine.py ``--calibrate-am``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def grain_labels(spins: np.ndarray, periodic: bool = True) -> tuple[int, np.ndarray]:
    """``(number of grains, labels (H, W))`` of one ``(H, W)`` spin array."""
    h, w = spins.shape
    index = np.arange(h * w).reshape(h, w)
    rows, cols = [], []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):  # each 8-neighbour pair once
        other = np.roll(np.roll(index, -dy, 0), -dx, 1)
        same = spins == np.roll(np.roll(spins, -dy, 0), -dx, 1)
        if not periodic:
            ok = np.ones_like(same)
            if dy:
                ok[-dy:, :] = False
            if dx > 0:
                ok[:, -dx:] = False
            elif dx < 0:
                ok[:, :-dx] = False
            same &= ok
        rows.append(index[same])
        cols.append(other[same])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(h * w, h * w))
    n, labels = connected_components(graph, directed=False)
    return int(n), labels.reshape(h, w)


def grain_count(spins: np.ndarray, periodic: bool = True) -> int:
    """Number of 8-connected grains of one ``(H, W)`` spin array."""
    return grain_labels(spins, periodic)[0]


@dataclass(frozen=True)
class Crop:
    """Rows ``y0:y1`` and columns ``x0:x1`` (lattice sites, ``[y, x]`` indexing)."""

    y0: int
    y1: int
    x0: int
    x1: int


#: The crop of the am/ellipsoid deck (100 x 100, passes along x at y = 0, 25, ..., 100,
#: pool half width 15) where the microstructure is the scan's steady pattern: every row of
#: y = 10..84 was last melted by an inner pass (y = 25, 50, 75), whose band is then cut
#: from above by the next pass, as in a build. Below y = 10 only the first pass (y = 0)
#: ever melted (half bands); above y = 85 the last pass (y = 100) leaves its band uncut.
#: Columns 10..89 keep the grains away from the box's side edges, where the pool enters
#: and leaves.
AM_CROP = Crop(10, 85, 10, 90)


@dataclass(frozen=True)
class GrainShapes:
    """Per-grain shapes ``(n,)`` of the grains of one crop, and their summary statistics.

    ``area`` in sites; ``aspect`` = major / minor axis (>= 1) of the ellipse with the
    grain's second moments; ``orientation`` in degrees in [0, 90]: the angle between
    that major axis and the y axis; ``tilt`` in degrees in [0, 90): the lean of the
    grain's columns from the y axis, ``atan(|cov(x, y)| / var(y))`` (the slope ``dx/dy``
    of the least-squares line ``x(y)`` through its sites); ``cy, cx`` the centroid (sites).

    The y axis is the columnar direction of a raster scan along x (am/ellipsoid: passes
    along x, stepped in y): grains grow across the scan bands from the pool's trailing
    edge, leaning toward the scan direction, alternately on serpentine passes, which
    makes the chevrons. A parallelogram grain whose rows shift by ``tan(a)`` per row has
    tilt ``a`` whatever its width, whereas the major axis of a grain about as wide as it
    is tall points anywhere: SPPARKS's final state (aspect ~1.9) has a mean orientation
    of ~43 degrees from y with upright columns, so the summary uses the tilt.
    """

    area: np.ndarray
    aspect: np.ndarray
    orientation: np.ndarray
    tilt: np.ndarray
    cy: np.ndarray
    cx: np.ndarray

    @property
    def count(self) -> int:
        """Number of grains."""
        return len(self.area)

    @property
    def mean_area(self) -> float:
        """Mean grain area (sites)."""
        return float(self.area.mean()) if self.count else float("nan")

    @property
    def mean_aspect(self) -> float:
        """Area-weighted mean aspect ratio (large grains dominate the picture; a few-site
        grain's aspect is noise)."""
        return float(np.average(self.aspect, weights=self.area)) if self.count else float("nan")

    @property
    def mean_tilt(self) -> float:
        """Area-weighted mean tilt (column lean) from the y axis (degrees)."""
        return float(np.average(self.tilt, weights=self.area)) if self.count else float("nan")

    def summary(self) -> dict[str, float]:
        """``{"grains", "mean_area", "aspect", "tilt_deg"}`` (see the properties)."""
        return {
            "grains": float(self.count),
            "mean_area": self.mean_area,
            "aspect": self.mean_aspect,
            "tilt_deg": self.mean_tilt,
        }


def grain_shapes(spins: np.ndarray, crop: Crop | None = None, periodic: bool = False, min_area: int = 5) -> GrainShapes:
    """Shapes of the grains (8-connected, non-periodic by default as am/ellipsoid's box)
    of one ``(H, W)`` spin array whose centroid lies in ``crop`` (default: all).

    Grains are labelled on the whole array and measured whole, so a grain across the
    crop's edge is neither cut nor dropped: it counts where its centroid is. Excluded, to
    keep the statistics steady: grains of fewer than ``min_area`` sites (specks whose
    shape is a few pixels' noise) and grains touching the array's edge (cut by the box;
    with ``periodic`` none is). The second moments are those of the sites' unit squares
    (each site adds 1/12 to both variances), so a ``w x h`` rectangle of sites has
    aspect exactly ``max(w, h) / min(w, h)``.
    """
    h, w = spins.shape
    n, labels = grain_labels(spins, periodic)
    flat = labels.ravel()
    yy, xx = np.indices((h, w), dtype=np.float64)
    area = np.bincount(flat, minlength=n).astype(np.float64)
    sy, sx = np.bincount(flat, yy.ravel(), n), np.bincount(flat, xx.ravel(), n)
    cy, cx = sy / area, sx / area
    vyy = np.bincount(flat, yy.ravel() ** 2, n) / area - cy**2 + 1 / 12
    vxx = np.bincount(flat, xx.ravel() ** 2, n) / area - cx**2 + 1 / 12
    vxy = np.bincount(flat, (xx * yy).ravel(), n) / area - cx * cy
    # eigenvalues of [[vxx, vxy], [vxy, vyy]] and the major axis's angle from y
    half_sum, half_diff = (vxx + vyy) / 2, np.hypot((vyy - vxx) / 2, vxy)
    major, minor = half_sum + half_diff, np.maximum(half_sum - half_diff, 1e-12)
    aspect = np.sqrt(major / minor)
    orientation = np.degrees(np.abs(0.5 * np.arctan2(2 * vxy, vyy - vxx)))
    tilt = np.degrees(np.arctan(np.abs(vxy) / vyy))
    keep = area >= min_area
    if not periodic:
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        keep[edge] = False
    if crop is not None:
        keep &= (cy >= crop.y0) & (cy < crop.y1) & (cx >= crop.x0) & (cx < crop.x1)
    return GrainShapes(area[keep], aspect[keep], orientation[keep], tilt[keep], cy[keep], cx[keep])
