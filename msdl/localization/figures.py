"""Pictures of localization results: parity plot and the report's Figures 4-4..4-12
(microstructure | predicted | true strain, mid slices, shared colour scale)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from msdl.figures import save_figure


def parity_plot(true: np.ndarray, pred: np.ndarray, title: str, path: str | Path) -> None:
    """Predicted vs true eps_xx for sampled test voxels (2D histogram, log counts)."""
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    lo, hi = np.percentile(np.concatenate([true, pred]), [0.1, 99.9])
    ax.hist2d(true, pred, bins=120, range=[[lo, hi], [lo, hi]], cmap="viridis", norm=LogNorm())
    ax.plot([lo, hi], [lo, hi], "w--", lw=1)
    ax.set_xlabel(r"true $\varepsilon_{xx}$")
    ax.set_ylabel(r"predicted $\varepsilon_{xx}$")
    ax.set_title(title.replace(": ", ":\n", 1), fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def mid_slices(names, phase, true, pred, title: str, path: str | Path) -> None:
    """One row per SVE: mid-plane (axis 2) of microstructure, predicted and true eps_xx."""
    n = len(names)
    fig, axes = plt.subplots(n, 3, figsize=(9, 3 * n), squeeze=False)
    for r in range(n):
        k = phase[r].shape[2] // 2
        t, p = true[r][:, :, k], pred[r][:, :, k]
        vmin, vmax = min(t.min(), p.min()), max(t.max(), p.max())
        axes[r, 0].imshow(phase[r][:, :, k], cmap="gray", origin="lower")
        axes[r, 0].set_title(str(names[r]), fontsize=7)
        im = axes[r, 1].imshow(p, cmap="jet", vmin=vmin, vmax=vmax, origin="lower")
        axes[r, 1].set_title("predicted", fontsize=8)
        axes[r, 2].imshow(t, cmap="jet", vmin=vmin, vmax=vmax, origin="lower")
        axes[r, 2].set_title("true (FE)", fontsize=8)
        fig.colorbar(im, ax=axes[r, 1:].tolist(), shrink=0.8, label=r"$\varepsilon_{xx}$")
        for a in axes[r]:
            a.set_xticks([])
            a.set_yticks([])
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path, dpi=110)
