"""Spin arrays -> grain-boundary images at the report's sizes.

Each image is :func:`msdl.grain_images.boundary_image` of the spins (SPPARKS's
``boundary site 1`` image dump, gray); the AE inputs are those images area-averaged
(:func:`msdl.grain_images.downsample`).

Orientation (the SPPARKS top view, ``view 0 0``): image rows run from the top of the
box (largest y) down, columns along x. The weld is drawn with its axis (y) horizontal,
as the report's 1000 x 400 weld images, so its rows run along x.
"""

from __future__ import annotations

import numpy as np

from msdl.grain_images import boundary_image


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
