"""Why the kMC models learn distance maps, and what the map costs: two measurements on a
grain-boundary dataset's shards (e.g. ``results/study/datasets/kmc_grain_growth_112``).

1. Linear structure: the share of the test images' pixel variance that the first K
   principal components of the training images explain (K = 16, 64, 128: the kMC AEs'
   latents hold 64 and 128 numbers), for the boundary images themselves and for their
   distance maps (``normalization: boundary_distance``, :mod:`msdl.grain_images`). Thin
   lines at random places have almost none; an MSE autoencoder then decodes about the
   mean image. The baseline of each share is the mean image (0 %).
2. Round trip: the test images through the distance map and back to boundary images
   (:func:`msdl.normalization.denormalize`), scored against the real test images as the
   workflow scores a model (:class:`msdl.evaluation.scoring.Judge`), over the floor (real
   training images, same count): the best a model trained on distance maps can score.

    python benchmarks/boundary_distance.py results/study/datasets/kmc_grain_growth_112 [--max-images 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.evaluation.scoring import Judge, StatisticsSettings  # noqa: E402
from msdl.normalization import denormalize, normalize, sample_statistics, transform  # noqa: E402
from msdl.shards import load_split  # noqa: E402


def explained(train: np.ndarray, test: np.ndarray, ks: list[int]) -> list[float]:
    """Share of ``test``'s variance (about the train mean) within the first k principal
    components of ``train`` (both ``(N, D)``), for each k."""
    mean = train.mean(axis=0)
    _, _, vt = np.linalg.svd(train - mean, full_matrices=False)
    centred = test - mean
    total = float((centred**2).sum())
    return [float(((centred @ vt[:k].T) ** 2).sum()) / total for k in ks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a dataset folder with train/ and test/ shards")
    parser.add_argument("--max-images", type=int, default=1000, help="train images for the PCA (memory)")
    args = parser.parse_args()
    paths = sorted(str(p) for p in (args.dataset / "train").glob("*.npy"))
    train, _ = load_split(paths)
    test, _ = load_split(sorted(str(p) for p in (args.dataset / "test").glob("*.npy")))
    norm = transform(sample_statistics(paths), "boundary_distance")
    ks = [16, 64, 128]
    n = min(args.max_images, len(train))
    print(f"{args.dataset}: {len(train)} train / {len(test)} test images {test.shape[1:]}, "
          f"Otsu threshold {norm['threshold']:.3f}, drawn at {norm['render_size']}")  # fmt: skip
    print("test variance explained by the first K principal components of the train set")
    print(f"{'representation':>16} " + " ".join(f"{'K=' + str(k):>8}" for k in ks))
    for name, f in (("boundary image", lambda a: a.astype(np.float64)), ("distance map", lambda a: normalize(a, norm))):
        shares = explained(f(train[:n]).reshape(n, -1), f(test).reshape(len(test), -1), ks)
        print(f"{name:>16} " + " ".join(f"{100 * s:7.1f}%" for s in shares))
    judge = Judge(test, train, StatisticsSettings("grains", False, "reference_otsu"), seed=0)
    floor = judge.floor(len(test))["total"]
    back = judge.score(denormalize(normalize(test, norm), norm))
    print(f"round trip image -> distance map -> image: total {back['total']:.4f} = {back['total'] / floor:.2f}x "
          f"the floor ({floor:.4f}); grain size {back['grain_size']:.3f}, boundary density "
          f"{back['boundary_density']:.3f}, diversity {back['diversity']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
