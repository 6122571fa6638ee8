"""Spin arrays -> grain-boundary images at the report's sizes, and AE downsampling.

SPPARKS's image dumps in the report (``boundary site 1 ... zoom Z size W H``) draw each
site as a ``Z x Z`` block of one colour with a black line where neighbouring sites
differ; the datasets keep the gray version. :func:`boundary_image` draws the same: each
image pixel shows the site under its centre (nearest-site scaling, any zoom), and a
pixel is boundary (0) where the site of the pixel to its right or below is another
grain; grain interiors are 1. Lines are one pixel wide whatever the zoom.

Orientation (the SPPARKS top view, ``view 0 0``): image rows run from the top of the
box (largest y) down, columns along x. The weld is drawn with its axis (y) horizontal,
as the report's 1000 x 400 weld images, so its rows run along x.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def boundary_image(spins: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` uint8 image (1 grain, 0 boundary) of a ``(rows, cols)`` spin array
    already in image orientation."""
    h, w = size
    rows, cols = spins.shape
    ry = np.minimum((np.arange(h) + 0.5) * rows / h, rows - 1).astype(np.int64)
    rx = np.minimum((np.arange(w) + 0.5) * cols / w, cols - 1).astype(np.int64)
    pixels = spins[ry[:, None], rx[None, :]]
    boundary = np.zeros((h, w), dtype=bool)
    boundary[:-1, :] |= pixels[:-1, :] != pixels[1:, :]
    boundary[:, :-1] |= pixels[:, :-1] != pixels[:, 1:]
    return (~boundary).astype(np.uint8)


def orient(spins: np.ndarray, generator: str) -> np.ndarray:
    """A ``(ny, nx)`` ``[y, x]`` spin array in image orientation for its generator."""
    if generator == "potts_weld":
        return spins.T  # rows = x, columns = y (the weld axis) to the right
    return spins[::-1]  # top row = largest y


def render(spins: np.ndarray, dataset: dict) -> np.ndarray:
    """The dataset's image of one ``(ny, nx)`` spin array: ``image_size`` then, for the
    weld, the columns ``crop_columns`` (the report's cropMs.py ``img[:, 200:800]``)."""
    image = boundary_image(orient(spins, dataset["generator"]), tuple(dataset["image_size"]))
    if "crop_columns" in dataset:
        first, stop = dataset["crop_columns"]
        image = image[:, first:stop]
    return image


def rendered_size(dataset: dict) -> tuple[int, int]:
    """``(H, W)`` of the dataset's stored images (after any crop)."""
    h, w = dataset["image_size"]
    if "crop_columns" in dataset:
        w = dataset["crop_columns"][1] - dataset["crop_columns"][0]
    return h, w


def downsample(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average ``(N, H, W)`` images to ``(N, h, w)`` float32 in [0, 1] (each output
    pixel the mean of the input pixels it covers; any ratio)."""
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)
    return F.adaptive_avg_pool2d(x, tuple(size)).squeeze(1).numpy()
