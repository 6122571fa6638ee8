"""Patches from rescaled micrographs: the report's equation (2), checks, split by sample.

Equation (2): ``crops = floor(H * W / (h * w) * r)`` for an ``H x W`` image and ``h x w``
patches, with redundancy ``r`` (1.5 in the report). Crop corners are uniform over every
valid position ``[0, H - h] x [0, W - w]`` (the report's ``randint(0, H - h)`` never
reached the last row/column). Each image draws from its own generator seeded by
``(seed, micrograph_id)``, so an image's patches do not depend on the other images.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from skimage.exposure import is_low_contrast


def crop_count(height: int, width: int, patch_hw: tuple[int, int], redundancy: float) -> int:
    """Equation (2): ``floor(height * width / (h * w) * redundancy)``."""
    h, w = patch_hw
    return int(math.floor(height * width / (h * w) * redundancy + 1e-9))


def random_crops(
    image: np.ndarray, patch_hw: tuple[int, int], count: int, seed: int, micrograph_id: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random crops ``(count, h, w)`` of ``image`` and their corners ``(count, 2)``.

    Corners outside the image cannot occur: ``image`` must be at least ``h x w``.
    """
    h, w = patch_hw
    H, W = image.shape
    if H < h or W < w:
        raise ValueError(f"image {H}x{W} is smaller than a {h}x{w} patch")
    rng = np.random.default_rng([seed, micrograph_id])
    corners = np.stack([rng.integers(0, H - h + 1, count), rng.integers(0, W - w + 1, count)], axis=1)
    crops = np.stack([image[y : y + h, x : x + w] for y, x in corners]) if count else np.zeros((0, h, w), image.dtype)
    return crops, corners


@dataclass
class PatchCheck:
    """Accept a patch unless it has the wrong size or low contrast (skimage's
    ``is_low_contrast``: the 1st-99th percentile range under ``low_contrast_fraction`` of
    the dtype's range)."""

    patch_hw: tuple[int, int]
    low_contrast_fraction: float = 0.05
    rejected: Counter = field(default_factory=Counter)

    def reason(self, patch: np.ndarray) -> str | None:
        if patch.shape != tuple(self.patch_hw):
            return "wrong size"
        if is_low_contrast(patch, fraction_threshold=self.low_contrast_fraction):
            return "low contrast"
        return None

    def filter(self, patches: np.ndarray) -> tuple[np.ndarray, Counter]:
        """The accepted patches and the count of each rejection reason."""
        reasons = [self.reason(p) for p in patches]
        counts = Counter(r for r in reasons if r)
        self.rejected.update(counts)
        keep = np.array([r is None for r in reasons], dtype=bool)
        return patches[keep] if len(patches) else patches, counts


def split_by_sample(weight_per_sample: dict[int, float], test_fraction: float, seed: int) -> dict[int, str]:
    """Assign whole samples to ``train`` or ``test``: samples in a seeded random order go
    to test until test holds at least ``test_fraction`` of the total weight (at least one
    sample each side when there are two or more). The weight of a sample is e.g. its
    micrographs' expected patch yield. Returns ``{sample: split}``."""
    samples = sorted(weight_per_sample)
    order = [samples[i] for i in np.random.default_rng(seed).permutation(len(samples))]
    total = sum(weight_per_sample.values())
    split, in_test = {}, 0
    for i, sample in enumerate(order):
        if len(order) > 1 and i < len(order) - 1 and in_test < test_fraction * total:
            split[sample] = "test"
            in_test += weight_per_sample[sample]
        else:
            split[sample] = "train"
    return split
