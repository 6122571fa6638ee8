"""Grain-boundary images: drawing them from grain labels, area-averaging them, and the
distance-to-boundary representation the kMC autoencoders learn.

SPPARKS's image dumps in the report (``boundary site 1 ... zoom Z size W H``) draw each
site as a ``Z x Z`` block of one colour with a black line where neighbouring sites
differ; the datasets keep the gray version. :func:`boundary_image` draws the same: each
image pixel shows the site under its centre (nearest-site scaling, any zoom), and a
pixel is boundary (0) where the site of the pixel to its right or below is another
grain; grain interiors are 1. Lines are one pixel wide whatever the zoom.

**Distance maps** (:func:`distance_maps`, :func:`boundary_images_of_distance_maps`). A
grain-boundary image is thin lines at random places: at the AEs' sizes (112x112,
128x128) 128 principal components of the training images explain 6-10 % of the test
images' variance, so MSE on the images is minimised by about the mean image, and the
report's small AEs settle there (one image for every input). The distance of each pixel
to the nearest boundary pixel, clipped at :data:`DISTANCE_CLIP_PX`, holds the same grains
as broad ridges instead (73-86 % in 128 components;
``benchmarks/boundary_distance.py``). Back from a map to an image: grains grow from the
map's maxima by a watershed (:func:`grains_of_distance_map`), so a decoded map always
gives closed grains, and are drawn as the dataset drew its own images (at the size the
dataset was rendered at, then area-averaged to the AE's size).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

DISTANCE_CLIP_PX = 8.0  # distance maps saturate here: grain centres carry no boundary information
MARKER_DYNAMICS_PX = 1.0  # a grain centre stands this far above the pass to the next (h-maxima)
#: Marker dynamics (pixels) a trained model's decoding is calibrated over (:func:`calibrate_decoding`).
DYNAMICS_GRID = (0.05, 0.07, 0.1, 0.14, 0.2, 0.28, 0.4, 0.56, 0.8, 1.1, 1.6, 2.2, 3.0)  # steps of sqrt(2)
#: Blurs (pixels) of the decoded maps the decoding is calibrated over (:func:`decoded_grains`).
SMOOTHING_GRID = (0.0, 1.0, 2.0)
_FOUR = ndimage.generate_binary_structure(2, 1)  # 4-connectivity, as the evaluation's grains


def boundary_image(spins: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` uint8 image (1 grain, 0 boundary) of a ``(rows, cols)`` spin (or grain
    label) array already in image orientation."""
    h, w = size
    rows, cols = spins.shape
    ry = np.minimum((np.arange(h) + 0.5) * rows / h, rows - 1).astype(np.int64)
    rx = np.minimum((np.arange(w) + 0.5) * cols / w, cols - 1).astype(np.int64)
    pixels = spins[ry[:, None], rx[None, :]]
    boundary = np.zeros((h, w), dtype=bool)
    boundary[:-1, :] |= pixels[:-1, :] != pixels[1:, :]
    boundary[:, :-1] |= pixels[:, :-1] != pixels[:, 1:]
    return (~boundary).astype(np.uint8)


def downsample(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average ``(N, H, W)`` images to ``(N, h, w)`` float32 in [0, 1] (each output
    pixel the mean of the input pixels it covers; any ratio)."""
    import torch  # the distance-map path of msdl.normalization runs in torch jobs only
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)
    return F.adaptive_avg_pool2d(x, tuple(size)).squeeze(1).numpy()


def distance_maps(images: np.ndarray, threshold: float, clip: float = DISTANCE_CLIP_PX) -> np.ndarray:
    """``(N, H, W)`` float32 distance (pixels) of each pixel of boundary images ``(N, H, W)``
    to the nearest boundary pixel (``value < threshold``), clipped at ``clip``: 0 on the
    boundaries, at least 1 inside grains."""
    images = np.asarray(images)
    out = np.empty(images.shape, dtype=np.float32)
    for i, image in enumerate(images):
        out[i] = np.minimum(ndimage.distance_transform_edt(image >= threshold), clip)
    return out


def grains_of_distance_map(distance: np.ndarray, dynamics: float = MARKER_DYNAMICS_PX) -> np.ndarray:
    """``(H, W)`` int64 grain labels (1, 2, ...) of one distance map ``(H, W)`` (pixels).

    Grains grow by a watershed of the distance from markers, so every pixel belongs to a
    grain and two grains meet along the valley between them, however shallow (a blurry
    decoded map still gives closed grains). Markers: the regional maxima of the distance
    that stand at least ``dynamics`` pixels above the pass to a higher one (h-maxima),
    split where they cross from one 4-connected region above half a pixel to another
    (grains touching at a corner), and every such region without a maximum of its own.
    An exact map (:func:`distance_maps`) so gives back its image's grains, except that a
    grain whose centre line has two maxima further apart than ``dynamics`` is split.
    A map without any marker is one grain."""
    from skimage.morphology import h_maxima  # a dependency; imported where used
    from skimage.segmentation import watershed

    distance = np.asarray(distance, dtype=np.float64)
    regions, n_regions = _regions(distance)
    peaks = h_maxima(distance, dynamics).astype(bool)
    has_peak = np.zeros(n_regions + 1, dtype=bool)
    has_peak[regions[peaks]] = True
    seeds = peaks | ((regions > 0) & ~has_peak[regions])
    peak_labels, _ = ndimage.label(seeds, structure=np.ones((3, 3), dtype=bool))
    key = peak_labels.astype(np.int64) * (n_regions + 1) + regions
    _, markers = np.unique(np.where(seeds, key, -1), return_inverse=True)
    markers = markers.reshape(distance.shape)  # 0 = no seed (key -1 sorts first)
    if markers.max() == 0:
        return np.ones(distance.shape, dtype=np.int64)
    return watershed(-distance, markers, connectivity=_FOUR).astype(np.int64)


def _regions(distance: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels and count of the 4-connected regions of a distance map above half a pixel
    (of an exact map: the grain interiors of its image)."""
    return ndimage.label(distance > 0.5, structure=_FOUR)


def grain_count(maps: np.ndarray) -> float:
    """Mean number of grains per exact distance map ``(N, H, W)`` (:func:`distance_maps`):
    its regions above half a pixel, the grains of the image it was made from."""
    return float(np.mean([_regions(m)[1] for m in maps]))


def decoded_grains(maps: np.ndarray, dynamics: float = MARKER_DYNAMICS_PX, smoothing: float = 0.0) -> list[np.ndarray]:
    """Grain labels (:func:`grains_of_distance_map`) of each distance map ``(N, H, W)``,
    after a Gaussian blur of ``smoothing`` pixels (0: none). A decoded map is rough where
    it should be flat, and the watershed then draws boundaries that wander; a blur of 1-2
    pixels straightens them where grains are wide, and merges grains where they are thin."""
    maps = np.asarray(maps, dtype=np.float64)
    if smoothing:
        maps = ndimage.gaussian_filter(maps, (0, smoothing, smoothing))
    return [grains_of_distance_map(m, dynamics) for m in maps]


def _drawn(grains: list[np.ndarray], size: tuple[int, int], render_size: tuple[int, int] | None) -> np.ndarray:
    """Grain labels drawn by :func:`boundary_image` at ``render_size`` (None: ``size``),
    area-averaged to ``size``."""
    render_size = tuple(render_size) if render_size is not None else size
    drawn = np.stack([boundary_image(g, render_size) for g in grains])
    return drawn.astype(np.float32) if render_size == size else downsample(drawn, size)


def calibrate_decoding(
    decoded: np.ndarray,
    exact: np.ndarray,
    threshold: float,
    render_size: tuple[int, int] | None = None,
    dynamics_grid: tuple[float, ...] = DYNAMICS_GRID,
    smoothing_grid: tuple[float, ...] = SMOOTHING_GRID,
) -> tuple[dict[str, float], dict[tuple[float, float], tuple[float, float]]]:
    """The ``{"smoothing", "dynamics"}`` (pixels; :func:`decoded_grains`) of the grids at
    which the boundary images of decoded maps ``(N, H, W)`` (boundary: ``value <
    threshold``) have about as many grains per image and boundary pixels as the images
    whose exact maps ``(N, H, W)`` (:func:`distance_maps`) they decode: the pair with the
    least ``|log(grains ratio)| + |log(boundary pixels ratio)|``; and both ratios for every
    pair. A decoder blurs: a small grain's centre stands less far above its neighbours'
    in its output than in the exact map, so how deep a valley must be to part two grains,
    and whether a blur helps, depend on the model, not only on the data (kMC/additive's
    1-2 pixel wide grains want no blur and about 0.1 pixel, grain growth's a blur).
    Both ratios, because the grain count alone would allow boundaries that wander."""
    exact = np.asarray(exact)
    size = tuple(exact.shape[1:])
    grains = max(grain_count(exact), 1.0)
    boundary = max(float((exact < 0.5).mean()), 1e-12)  # 0 exactly on the boundary
    ratios = {}
    for smoothing in smoothing_grid:
        for h in dynamics_grid:
            labels = decoded_grains(decoded, h, smoothing)
            count = float(np.mean([g.max() for g in labels]))
            pixels = float((_drawn(labels, size, render_size) < threshold).mean())
            ratios[(smoothing, h)] = (count / grains, max(pixels, 1e-12) / boundary)
    best = min(ratios, key=lambda k: abs(np.log(ratios[k][0])) + abs(np.log(ratios[k][1])))
    return {"smoothing": best[0], "dynamics": best[1]}, ratios


def boundary_images_of_distance_maps(
    maps: np.ndarray,
    render_size: tuple[int, int] | None = None,
    dynamics: float = MARKER_DYNAMICS_PX,
    smoothing: float = 0.0,
) -> np.ndarray:
    """``(N, H, W)`` float32 boundary images in [0, 1] of distance maps ``(N, H, W)``: each
    map's grains (:func:`decoded_grains` with ``dynamics`` and ``smoothing``) drawn by
    :func:`boundary_image` at ``render_size`` (the size the dataset's images were rendered
    at before they were area-averaged to ``(H, W)``; None: at ``(H, W)``) and area-averaged
    to ``(H, W)``."""
    maps = np.asarray(maps)
    size = tuple(maps.shape[1:])
    if len(maps) == 0:
        return np.zeros(maps.shape, dtype=np.float32)
    return _drawn(decoded_grains(maps, dynamics, smoothing), size, render_size)
