"""Grain statistics of spin arrays: grains are 8-connected sets of equal spin.

Periodic boundaries join grains across opposite edges (as SPPARKS ``diag_style cluster``
on a periodic box, which ``grain_growth_kinetics.csv`` was computed with).
"""

from __future__ import annotations

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
