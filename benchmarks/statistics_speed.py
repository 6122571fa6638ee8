"""Benchmark: msdl.evaluation.statistics.describe on a whole image set against a per-image loop.

Workloads (default 1,000 images of 128 x 128):
- phase, periodic: grayscale synthetic microstructures (report section 2.1 smooth images,
  Otsu-binarized per image), S2 by circular FFT;
- phase, non-periodic: the same set, zero-padded FFTs;
- grains, non-periodic: Voronoi grain boundary images rendered by msdl.potts.render.

Baseline, measured in the same run: the same statistics computed image by image (a loop
calling the library's functions on each ``(H, W)`` image: its own FFT, its own chord
extraction, its own labelling) and pooled at the end, i.e. what a naive per-image script
does. The script checks that both give the same statistics and prints seconds and the
ratio baseline / describe.

    python benchmarks/statistics_speed.py [--n 1000] [--size 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from msdl.evaluation import statistics as st  # noqa: E402
from msdl.grain_images import boundary_image  # noqa: E402
from msdl.synthetic.fields import smooth_images  # noqa: E402


def grain_images(n: int, size: int, n_grains: int = 40) -> np.ndarray:
    """Voronoi grains (nearest of ``n_grains`` random seeds) rendered as boundary images."""
    rng = np.random.default_rng(0)
    yx = np.stack(np.mgrid[0:size, 0:size], -1).reshape(-1, 2)
    out = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        _, spins = cKDTree(rng.random((n_grains, 2)) * size).query(yx)
        out[i] = boundary_image(spins.reshape(size, size), (size, size))
    return out


def per_image(images: np.ndarray, kind: str, periodic: bool) -> st.SetStatistics:
    """The baseline: every statistic image by image, pooled afterwards."""
    s2_sum = 0.0
    vfs, cx, cy, grains, density = [], [], [], [], []
    for image in images:
        phase = st.binarize(image, "otsu")
        s2_sum = s2_sum + st.two_point_correlation(phase, periodic=periodic)
        vfs.append(st.volume_fraction(phase)[0])
        cx.append(st.chord_lengths(phase, 1, periodic))
        cy.append(st.chord_lengths(phase, 0, periodic))
        if kind == "grains":
            grains.append(st.grain_sizes(phase.astype(np.float32), periodic=periodic))
            density.append(st.boundary_density(phase.astype(np.float32))[0])
    _, s2 = st.radial_average(s2_sum / len(images))
    stats = st.SetStatistics(kind, s2, np.array(vfs), np.concatenate(cx), np.concatenate(cy))
    if kind == "grains":
        stats.grain_sizes, stats.boundary_density = np.concatenate(grains), np.array(density)
    return stats


def same(a: st.SetStatistics, b: st.SetStatistics) -> bool:
    ok = np.allclose(a.s2_radial, b.s2_radial, atol=1e-12) and np.allclose(a.volume_fractions, b.volume_fractions)
    ok &= np.array_equal(np.sort(a.chords_x), np.sort(b.chords_x)) and np.array_equal(
        np.sort(a.chords_y), np.sort(b.chords_y)
    )
    if a.kind == "grains":
        ok &= np.array_equal(np.sort(a.grain_sizes), np.sort(b.grain_sizes))
        ok &= np.allclose(a.boundary_density, b.boundary_density)
    return bool(ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    t = time.perf_counter()
    smooth = smooth_images("bench", range(args.n), (args.size, args.size), np.diag([16.0, 16.0]))
    grains = grain_images(args.n, args.size)
    print(f"{args.n} images of {args.size}x{args.size} made in {time.perf_counter() - t:.1f} s")
    print("wall seconds (CPU seconds of this process in brackets: the machine may be shared)")
    print(f"{'workload':24s} {'describe s':>16s} {'per-image s':>16s} {'ratio':>6s}  equal")
    for label, images, kind, periodic in (
        ("phase, periodic", smooth, "phase", True),
        ("phase, non-periodic", smooth, "phase", False),
        ("grains, non-periodic", grains, "grains", False),
    ):
        t, c = time.perf_counter(), time.process_time()
        fast = st.describe(images, kind, periodic=periodic)
        t_fast, c_fast = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        slow = per_image(images, kind, periodic)
        t_slow, c_slow = time.perf_counter() - t, time.process_time() - c
        print(
            f"{label:24s} {t_fast:7.2f} ({c_fast:6.2f}) {t_slow:7.2f} ({c_slow:6.2f}) {t_slow / t_fast:6.1f}"
            f"  {same(fast, slow)}"
        )


if __name__ == "__main__":
    main()
