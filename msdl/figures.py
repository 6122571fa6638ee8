"""The report's figure types, drawn with matplotlib (Agg, no display needed).

All images are shown in gray with a fixed value range (``vmin``/``vmax``, default
[0, 1], the range of both synthetic datasets), so epochs and models compare by eye.
Every writer saves atomically.
"""

from __future__ import annotations

import math
import string
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from msdl.io import atomic_path  # noqa: E402


def mosaic(images: np.ndarray, columns: int, gap: int = 2, fill: float = 1.0) -> np.ndarray:
    """Tile ``(N, H, W)`` images into one 2D array, ``columns`` per row, with gaps."""
    n, h, w = images.shape
    rows = math.ceil(n / columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), fill, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = img
    return out


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 130) -> None:
    """Write ``fig`` to ``path`` atomically (PNG, ``dpi``) and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi)
    plt.close(fig)


def _show(ax: plt.Axes, image: np.ndarray, title: str, vmin: float, vmax: float) -> None:
    ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def microstructure_rows(rows: dict[str, np.ndarray], path: str | Path, title: str, vmin=0.0, vmax=1.0) -> None:
    """Figure 2-2: one row per named image set ``(n, H, W)`` (e.g. smooth over binary)."""
    n = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n, figsize=(1.6 * n, 1.7 * len(rows)), squeeze=False, layout="constrained")
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        axes[r, 0].set_title(label, fontsize=9, loc="left")
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def _panel_grid(n_panels: int) -> tuple[int, int]:
    columns = min(3, n_panels)
    return math.ceil(n_panels / columns), columns


def reconstructions_by_epoch(
    originals: np.ndarray, recons: dict[int, np.ndarray], path: str | Path, title: str, vmin=0.0, vmax=1.0
) -> None:
    """Figures 5-2/6-1: per epoch, the test images (top row) over their reconstructions."""
    epochs = sorted(recons)
    fig, axes = plt.subplots(len(epochs), 1, figsize=(8, 2.3 * len(epochs)), squeeze=False, layout="constrained")
    for i, (ax, epoch) in enumerate(zip(axes[:, 0], epochs)):
        pair = mosaic(np.concatenate([originals, recons[epoch]]), columns=len(originals))
        _show(
            ax,
            pair,
            f"({string.ascii_lowercase[i % 26]}) Epoch {epoch}: test images (top), reconstructions (bottom)",
            vmin,
            vmax,
        )
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def samples_by_epoch(samples: dict[int, np.ndarray], path: str | Path, title: str, vmin=0.0, vmax=1.0) -> None:
    """Figures 5-3/6-2: per epoch, a mosaic of decoder samples (8 x 8 for 64)."""
    epochs = sorted(samples)
    rows, columns = _panel_grid(len(epochs))
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 4.2 * rows), squeeze=False, layout="constrained")
    for ax in axes.ravel():
        ax.axis("off")
    for i, epoch in enumerate(epochs):
        images = samples[epoch]
        side = math.ceil(math.sqrt(len(images)))
        _show(
            axes.ravel()[i],
            mosaic(images, columns=side),
            f"({string.ascii_lowercase[i % 26]}) Epoch {epoch}",
            vmin,
            vmax,
        )
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def loss_curves(metrics: dict[str, list[dict]], path: str | Path, title: str = "Training curves") -> None:
    """Train and test MSE against epoch, one colour per model, log scale."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (label, rows) in enumerate(sorted(metrics.items())):
        epochs = [r["epoch"] for r in rows]
        color = f"C{i}"
        ax.plot(epochs, [r["train_mse"] for r in rows], color=color, label=f"{label} train")
        ax.plot(epochs, [r["test_mse"] for r in rows], color=color, linestyle="--", label=f"{label} test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (normalized units)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    save_figure(fig, path)


def microstructure_grid(images: np.ndarray, path: str | Path, title: str, columns: int = 3) -> None:
    """Figures 2-3/2-4/2-5: ``(n, H, W)`` images in [0, 1] as a grid (3x3 for 9)."""
    rows = math.ceil(len(images) / columns)
    h, w = images.shape[1:]
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.0 * columns, 3.0 * rows * h / w + 0.4), squeeze=False, layout="constrained"
    )
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="antialiased")  # 1-px lines
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def score_curves(rows: list[dict], fields: tuple[str, ...], path: str | Path, title: str) -> None:
    """Comparison score against epoch, one panel per score field (``total`` first), one
    line per generated set, the floor at that set's size dashed (log scale)."""
    shown = [f for f in ("total", "s2", "chord_x", "volume_fraction", "grain_size") if f in fields]
    sets = sorted({r["set"] for r in rows if r["set"] != "floor"})
    fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.4), squeeze=False, layout="constrained")
    for ax, field in zip(axes[0], shown):
        for i, name in enumerate(sets):
            series = sorted((r["epoch"], r[field], r["n"]) for r in rows if r["set"] == name)
            ax.plot(
                [s[0] for s in series], [max(s[1], 1e-6) for s in series], "o-", color=f"C{i}", label=name, markersize=3
            )
        for j, floor in enumerate(r for r in rows if r["set"] == "floor"):
            ax.axhline(max(floor[field], 1e-6), color="0.4", linestyle=("--", ":", "-.")[j % 3], linewidth=1,
                       label=f"floor: real train, n={floor['n']}")  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(field, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].set_ylabel("distance to the real test set")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def score_bars(rows: list[dict], path: str | Path, title: str) -> None:
    """Final comparison score over its floor, one bar per (model, set); 1 = indistinguishable."""
    labels = [f"{r['model']}: {r['set']}" for r in rows]
    ratios = [r["total"] / max(r["floor_total"], 1e-12) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) + 1.2), layout="constrained")
    models = sorted({r["model"] for r in rows})
    ax.barh(range(len(rows)), ratios, color=[f"C{models.index(r['model']) % 10}" for r in rows])
    ax.axvline(1.0, color="k", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("total score / floor (real train vs real test at the same set size)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    save_figure(fig, path)
