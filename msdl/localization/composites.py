"""Two-phase 3D composite microstructures of the MKS localization data (report section 2.6, 4).

Each SVE is a periodic ``n x n x n`` voxel cube (n = 51 in the report): a uniform random
field, filtered by a periodic Gaussian of per-axis widths ``(i, j, k)`` voxels (standard
deviations, each from {1, 3, 5, 7}), thresholded so that exactly
``round(vf * n^3)`` voxels are phase 1 (hard), with the volume fraction ``vf`` drawn
uniformly in [0.25, 0.75]. Phase 0 is the soft phase.

Names follow the original files: ``M_gaussian_{i}_{j}_{k}_vf_25_75[_set2].Idx{n}``.

Seed -> name
------------
Seeds enumerate the names: the width triple cycles fastest (64 triples in the order of the
report's link scripts: i, then j, then k, each over 1, 3, 5, 7), then the ordinal
``q = seed // 64`` picks the set and index: ``q < 50`` is set 1 (no suffix) ``Idx q``,
``50 <= q < 150`` is ``_set2`` ``Idx q - 50``. That is 9,600 names, the full set of the
report's link scripts; the report used 8,550 of them (80/20 split: 6,840 / 1,710). Here the
split is by seed range (train seeds first), see :mod:`msdl.shards`.

Determinism: the volume fraction and the noise of a seed come from the PCG64 stream of
``(stream, seed)`` (:func:`msdl.rng.stream_rng`), independent of the shard it is in.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from msdl.rng import stream_rng

WIDTHS = (1, 3, 5, 7)
TRIPLES = tuple(itertools.product(WIDTHS, repeat=3))
SET1_SIZE, SET2_SIZE = 50, 100
N_NAMES = len(TRIPLES) * (SET1_SIZE + SET2_SIZE)
NAME_RE = re.compile(r"^M_gaussian_([1357])_([1357])_([1357])_vf_25_75(_set2)?\.Idx(\d+)$")


def name_of(seed: int) -> str:
    """The MKS-style name of a seed, e.g. ``M_gaussian_1_3_5_vf_25_75_set2.Idx7``."""
    if not 0 <= seed < N_NAMES:
        raise ValueError(f"seed {seed}: composite seeds name one of {N_NAMES} SVEs, so must lie in [0, {N_NAMES})")
    i, j, k = TRIPLES[seed % len(TRIPLES)]
    q = seed // len(TRIPLES)
    suffix, idx = ("", q) if q < SET1_SIZE else ("_set2", q - SET1_SIZE)
    return f"M_gaussian_{i}_{j}_{k}_vf_25_75{suffix}.Idx{idx}"


def seed_of(name: str) -> int:
    """Inverse of :func:`name_of`; a clear error for a name outside the scheme."""
    match = NAME_RE.match(name)
    if not match:
        raise ValueError(f"{name!r} is not an M_gaussian_{{i}}_{{j}}_{{k}}_vf_25_75[_set2].Idx{{n}} name")
    i, j, k, set2, idx = match.groups()
    idx = int(idx)
    limit = SET2_SIZE if set2 else SET1_SIZE
    if idx >= limit:
        raise ValueError(f"{name!r}: index {idx} is beyond the {limit} SVEs of its set")
    q = idx + (SET1_SIZE if set2 else 0)
    return q * len(TRIPLES) + TRIPLES.index((int(i), int(j), int(k)))


def widths_of(seed: int) -> tuple[int, int, int]:
    """Gaussian filter widths ``(i, j, k)`` (voxels, along axes 0, 1, 2) of a seed."""
    return TRIPLES[seed % len(TRIPLES)]


def periodic_gaussian_3d(field: np.ndarray, widths: tuple[float, float, float]) -> np.ndarray:
    """Convolve a periodic 3D field with a Gaussian of standard deviations ``widths``
    (voxels, per axis), exactly in Fourier space (transfer ``exp(-2 pi^2 sum s_d^2 k_d^2)``)."""
    shape = field.shape
    k = np.meshgrid(np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), np.fft.rfftfreq(shape[2]), indexing="ij")
    transfer = np.exp(-2.0 * np.pi**2 * sum((w * kd) ** 2 for w, kd in zip(widths, k)))
    return np.fft.irfftn(np.fft.rfftn(field) * transfer, s=shape, axes=(0, 1, 2))


def threshold_exact(field: np.ndarray, volume_fraction: float) -> np.ndarray:
    """Phase 1 on the ``round(vf * size)`` largest values (ties by index): uint8 0/1."""
    if not 0.0 < volume_fraction < 1.0:
        raise ValueError(f"volume_fraction {volume_fraction} must lie in (0, 1)")
    flat = field.ravel()
    order = np.argsort(-flat, kind="stable")
    out = np.zeros(flat.size, dtype=np.uint8)
    out[order[: int(round(volume_fraction * flat.size))]] = 1
    return out.reshape(field.shape)


def composite(
    stream: str, seed: int, size: int = 51, vf_range: tuple[float, float] = (0.25, 0.75)
) -> tuple[np.ndarray, float]:
    """The microstructure of one seed: ``(phases uint8 (size, size, size), volume fraction)``.

    The target volume fraction is drawn first, then the noise, from the seed's own stream;
    the returned fraction is the exact one realised (``round(vf size^3) / size^3``).
    """
    rng = stream_rng(stream, seed)
    vf = float(rng.uniform(*vf_range))
    noise = rng.random((size, size, size))
    phases = threshold_exact(periodic_gaussian_3d(noise, widths_of(seed)), vf)
    return phases, float(phases.mean())
