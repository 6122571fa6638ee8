"""Judge generated microstructures by their statistics against the real test set.

Every generated set (AE reconstructions and decoder samples at each snapshot epoch, GAN
samples at each figure epoch, latent sampling schemes) gets the comparison score of
:mod:`msdl.evaluation.comparison` against the same real test images, and so does a set of REAL
training images of the same size: the *floor*, the distance two samples of the true
distribution have at that set size. A model cannot be told apart from the data by these
statistics when its score is near the floor. Scores depend on the set size (Wasserstein
and KS distances of small samples are noisy), which is why the floor is always computed
at the size of the set it is shown with.

Every row also has the set's ``diversity``: the mean pairwise distance of its first
:data:`DIVERSITY_IMAGES` images (clipped to [0, 1]) divided by the same for the real test
images, the measure of the GAN's mode collapse (:func:`msdl.training.gan.mean_pairwise_distance`)
applied to every set. 1 = as varied as the data; near 0 = one image for every latent
(a collapsed decoder). It is reported, not part of ``total``.

Which statistics a dataset gets follows its generator (:func:`statistics_settings`):
two-phase sets (Gaussian random fields binarized per image with Otsu's threshold, the
thresholded sets as they are, UHCSDB micrographs with Otsu) get S2, chord lengths and
volume fraction; grain-boundary images (Potts sets) get those of the boundary phase plus
grain sizes and boundary density.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from skimage.filters import threshold_otsu

from msdl.evaluation.comparison import SCORE_FIELDS, compare
from msdl.evaluation.statistics import SetStatistics, describe
from msdl.io import atomic_path
from msdl.training.gan import mean_pairwise_distance

DIVERSITY_IMAGES = 256  # images per set in its diversity (the GAN's diversity_samples default)

# generator -> (kind, periodic, binarization); "downsample" follows its source.
_BY_GENERATOR = {
    "gaussian_random_field": ("phase", True, "otsu"),
    "threshold": ("phase", True, "half"),
    "uhcsdb_patches": ("phase", False, "otsu"),
    "potts_grain_growth": ("grains", False, "reference_otsu"),
    "am_ellipsoid": ("grains", False, "reference_otsu"),
    "potts_weld": ("grains", False, "reference_otsu"),
}


@dataclass(frozen=True)
class StatisticsSettings:
    """How a dataset's images are described: ``kind`` "phase" or "grains", periodic
    boundaries or not, and the binarization of grayscale images: "otsu" (per image),
    "half" (> 0.5) or "reference_otsu" (one Otsu threshold of the reference set's pixels)."""

    kind: str
    periodic: bool
    binarize: str


def statistics_settings(config: dict, dataset: str) -> StatisticsSettings:
    """The statistics of ``datasets.<dataset>`` by its generator (derived sets follow their source)."""
    entry = config["datasets"][dataset]
    generator = entry["generator"]
    if generator == "downsample":
        return statistics_settings(config, entry["source"])
    if generator not in _BY_GENERATOR:
        raise ValueError(f"datasets.{dataset}.generator: no microstructure statistics defined for {generator!r}")
    return StatisticsSettings(*_BY_GENERATOR[generator])


def describe_set(images: np.ndarray, settings: StatisticsSettings, threshold: float | None = None) -> SetStatistics:
    """Statistics of images ``(n, H, W)`` in [0, 1] (values outside are clipped: decoders
    overshoot). ``threshold``: the reference threshold of "reference_otsu" settings."""
    images = np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0)
    method = settings.binarize
    if method == "reference_otsu":
        if threshold is None:
            raise ValueError("reference_otsu binarization needs the reference threshold")
        images, method = (images > threshold).astype(np.float64), "half"
    return describe(images, settings.kind, periodic=settings.periodic, binarize_method=method)


def reference_threshold(images: np.ndarray, seed: int = 0, max_pixels: int = 4_000_000) -> float:
    """Otsu's threshold of the pooled pixels of ``images`` (a seeded subsample of at most
    ``max_pixels``); 0.5 for a constant set."""
    pixels = np.asarray(images, dtype=np.float64).ravel()
    if pixels.size > max_pixels:
        pixels = pixels[np.random.default_rng(seed).choice(pixels.size, max_pixels, replace=False)]
    if pixels.min() == pixels.max():
        return 0.5
    return float(threshold_otsu(pixels))


def pick(images: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` images drawn without replacement by ``seed`` (all of them, in order, if fewer)."""
    if len(images) <= n:
        return images
    return images[np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))]


class Judge:
    """Scores sets against one reference (the real test images), with floors by set size.

    ``train`` are real training images the floors are drawn from (seeded, so the same
    bytes every run).
    """

    def __init__(self, reference: np.ndarray, train: np.ndarray, settings: StatisticsSettings, seed: int):
        self.settings = settings
        self.threshold = reference_threshold(reference, seed) if settings.binarize == "reference_otsu" else None
        self.reference = describe_set(reference, settings, self.threshold)
        self.train = train
        self.seed = seed
        self._floors: dict[int, dict[str, float]] = {}
        self._reference_diversity = set_diversity(reference)

    def score(self, generated: np.ndarray) -> dict[str, float]:
        """The comparison score fields of ``generated`` ``(n, H, W)``, then its ``diversity``."""
        scores = compare(describe_set(generated, self.settings, self.threshold), self.reference)
        scores["diversity"] = set_diversity(generated) / max(self._reference_diversity, 1e-12)
        return scores

    def floor(self, n: int) -> dict[str, float]:
        """Score of ``n`` real training images (the floor at set size ``n``)."""
        if n not in self._floors:
            self._floors[n] = self.score(pick(self.train, n, self.seed))
        return self._floors[n]

    @property
    def fields(self) -> tuple[str, ...]:
        return (*SCORE_FIELDS[self.settings.kind], "diversity")


def set_diversity(images: np.ndarray) -> float:
    """Mean pairwise RMS pixel distance of the first :data:`DIVERSITY_IMAGES` of ``images``
    ``(n, H, W)``, clipped to [0, 1] (0 for fewer than 2 images)."""
    head = np.clip(np.asarray(images[:DIVERSITY_IMAGES], dtype=np.float64), 0.0, 1.0)
    return mean_pairwise_distance(torch.from_numpy(head)) if len(head) > 1 else 0.0


def score_rows(judge: Judge, sets: dict[tuple[int | str, str], np.ndarray]) -> list[dict]:
    """One row per generated set ``{(epoch, set name): images}`` (clipped to [0, 1] by
    :func:`describe_set`), after the floors at every set size used (epoch blank, set ``floor``)."""
    rows = []
    for n in sorted({len(images) for images in sets.values()}):
        rows.append({"epoch": "", "set": "floor", "n": n, **judge.floor(n)})
    for (epoch, name), images in sets.items():
        rows.append({"epoch": epoch, "set": name, "n": len(images), **judge.score(images)})
    return rows


def write_scores(path: str | Path, rows: list[dict], fields: tuple[str, ...]) -> None:
    """Score rows as CSV (columns epoch, set, n, then ``fields``, 6 significant digits), atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["epoch", "set", "n", *fields])
        for row in rows:
            writer.writerow([row["epoch"], row["set"], row["n"], *(f"{row[f]:.6g}" for f in fields)])


def read_scores(path: str | Path) -> list[dict]:
    """Rows of :func:`write_scores` (epoch int or None, n int, scores float)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["epoch"] = int(row["epoch"]) if row["epoch"] else None
        row["n"] = int(row["n"])
        for key in row:
            if key not in ("epoch", "set", "n"):
                row[key] = float(row[key])
    return rows


def floor_of(rows: list[dict], n: int) -> dict:
    """The floor row at set size ``n``."""
    for row in rows:
        if row["set"] == "floor" and row["n"] == n:
            return row
    raise KeyError(f"no floor at set size {n}")
