"""Distance-to-boundary maps and back (msdl.grain_images, the boundary_distance normalization)."""

import numpy as np
import pytest
from scipy import ndimage

from msdl.grain_images import (
    DISTANCE_CLIP_PX,
    DYNAMICS_GRID,
    boundary_image,
    boundary_images_of_distance_maps,
    calibrate_decoding,
    distance_maps,
    downsample,
    grain_count,
    grains_of_distance_map,
)
from msdl.normalization import denormalize, normalize, sample_statistics, transform
from msdl.shards import Shard, write_shard


def _voronoi(n_grains: int, size: int, seed: int) -> np.ndarray:
    """``(size, size)`` labels of the nearest of ``n_grains`` random points (periodic-free)."""
    points = np.random.default_rng(seed).random((n_grains, 2)) * size
    yy, xx = np.mgrid[:size, :size] + 0.5
    d2 = (yy[..., None] - points[:, 0]) ** 2 + (xx[..., None] - points[:, 1]) ** 2
    return d2.argmin(axis=-1)


def _grain_count(image: np.ndarray, threshold: float) -> int:
    return ndimage.label(image >= threshold, structure=ndimage.generate_binary_structure(2, 1))[1]


def test_distance_map_of_a_line_is_the_distance_to_it_clipped():
    image = np.ones((1, 6, 30), dtype=np.float32)
    image[0, :, 4] = 0.0
    d = distance_maps(image, threshold=0.5)
    assert d.dtype == np.float32 and d.shape == image.shape
    np.testing.assert_array_equal(d[0, 0, :13], [4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert d.max() == DISTANCE_CLIP_PX  # far from the line: clipped


def _within_one_pixel(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of the True pixels of ``a`` that have a True pixel of ``b`` within one pixel."""
    square = np.ones((1,) * (b.ndim - 2) + (3, 3), dtype=bool)  # within each image of a stack
    return float((a & ndimage.binary_dilation(b, square)).sum() / a.sum())


@pytest.mark.parametrize("render", [(64, 64), (128, 128), (146, 146)])
def test_exact_map_gives_back_the_grains_and_the_lines(render):
    """Image -> distance map -> grains -> drawn at the render size and area-averaged, for
    images drawn as the datasets draw them (render size / AE size = 1, 2 and 2.28): every
    boundary pixel but a few (5 %) comes back within one pixel (a watershed gives a line's pixels to either
    grain, the drawing puts the line on the left/top one), the same boundary fraction and
    grain count to within 15 % and 20 %."""
    for seed in range(3):
        labels = _voronoi(25, 40, seed)
        image = downsample(boundary_image(labels, render)[None], (64, 64))[0]
        threshold = 0.8 if render != (64, 64) else 0.5
        back = boundary_images_of_distance_maps(distance_maps(image[None], threshold), render)
        assert back.shape == (1, 64, 64) and back.dtype == np.float32
        lines, lines_back = image < threshold, back[0] < threshold
        assert _within_one_pixel(lines_back, lines) > 0.95 and _within_one_pixel(lines, lines_back) > 0.95
        assert lines_back.mean() == pytest.approx(lines.mean(), rel=0.15)
        assert _grain_count(back[0], threshold) == pytest.approx(_grain_count(image, threshold), rel=0.2)


def test_blurry_map_still_gives_closed_grains_along_the_valley():
    """A decoded map never reaches 0 on the boundary: two bumps with a shallow valley (at
    3 pixels, never below half a pixel) are two grains meeting in the valley."""
    x = np.arange(40)
    row = 6 - 3 * np.exp(-((x - 20) ** 2) / 8.0)  # valley at column 20, 3 pixels deep
    distance = np.tile(row, (30, 1))
    labels = grains_of_distance_map(distance)
    assert labels.max() == 2
    assert (labels[:, :19] == labels[0, 0]).all() and (labels[:, 22:] == labels[0, -1]).all()
    image = boundary_images_of_distance_maps(distance[None])[0]
    assert image.min() == 0 and set(np.nonzero(image[0] == 0)[0]) <= {19, 20, 21}  # one line, in the valley


def test_map_without_a_maximum_is_one_grain():
    assert (grains_of_distance_map(np.full((8, 8), 3.0)) == 1).all()
    assert boundary_images_of_distance_maps(np.zeros((2, 8, 8), dtype=np.float32)).min() == 1.0


def _shard(tmp_path, images, **fields):
    path = tmp_path / "shard-0000.npy"
    write_shard(path, path.with_suffix(".json"), images, Shard("train", 0, 1, 1 + len(images)), **fields)
    return [path]


def test_boundary_distance_normalization_round_trip(tmp_path):
    images = np.stack(
        [downsample(boundary_image(_voronoi(20, 32, s), (128, 128))[None], (56, 56))[0] for s in range(4)]
    )
    stats = sample_statistics(_shard(tmp_path, images, source_image_size=[128, 128]))
    assert 0.6 < stats["otsu_threshold"] < 1.0 and stats["source_image_size"] == [128, 128]
    norm = transform(stats, "boundary_distance")
    assert norm["render_size"] == [128, 128] and norm["threshold"] == stats["otsu_threshold"]
    x = normalize(images, norm)
    assert x.min() == -1.0 and x.max() == 1.0  # 0 px (boundary) .. clip: the Tanh's range
    back = denormalize(x, norm)
    t = stats["otsu_threshold"]
    assert back.shape == images.shape and _within_one_pixel(back < t, images < t) > 0.95
    # samples are decoded with their own calibrated settings where the model has them
    assert np.array_equal(denormalize(x, norm, samples=True), back)  # none: the reconstructions'
    rough = x + np.random.default_rng(0).normal(0, 0.1, x.shape).astype(np.float32)
    calibrated = norm | {"dynamics": 0.05, "smoothing": 0.0, "sample_dynamics": 3.0, "sample_smoothing": 2.0}
    values = rough * norm["scale"] + norm["mean"]
    decoded = {}
    for samples, (h, blur) in ((False, (0.05, 0.0)), (True, (3.0, 2.0))):
        decoded[samples] = denormalize(rough, calibrated, samples=samples)
        assert np.array_equal(decoded[samples], boundary_images_of_distance_maps(values, norm["render_size"], h, blur))
    assert (decoded[False] < t).mean() > (decoded[True] < t).mean()  # shallow markers: more grains, more lines


def test_boundary_distance_needs_the_otsu_threshold():
    with pytest.raises(ValueError, match="rerun rule normalization_statistics"):
        transform({"mean": 0.9, "std": 0.2, "max_abs_deviation": 0.9}, "boundary_distance")


def test_calibrated_decoding_gives_a_blurry_decoder_the_images_grains_and_boundaries():
    """Blurred exact maps (a decoder's output, roughly) of 30-grain images: fewer grains
    and boundary pixels the deeper a valley must be; the chosen blur and depth give about
    the images' grain count and boundary pixels, and a blurrier 'decoder' a shallower depth."""
    images = np.stack([boundary_image(_voronoi(30, 48, s), (96, 96)) for s in range(4)])
    exact = distance_maps(images, 0.5)
    assert grain_count(exact) > 25
    chosen = {}
    for sigma in (1.5, 3.0):
        blurred = ndimage.gaussian_filter(exact, (0, sigma, sigma))
        best, ratios = calibrate_decoding(blurred, exact, 0.5, smoothing_grid=(0.0,))
        grains = [ratios[(0.0, h)][0] for h in DYNAMICS_GRID]
        assert grains == sorted(grains, reverse=True)  # deeper valleys: fewer grains
        g, b = ratios[(best["smoothing"], best["dynamics"])]
        assert g == pytest.approx(1, abs=0.3) and b == pytest.approx(1, abs=0.3)
        chosen[sigma] = best["dynamics"]
    assert chosen[3.0] < chosen[1.5]


def test_calibration_blurs_a_rough_decoder_and_the_images_follow_it():
    """Exact maps plus pixel noise (a rough decoder): without a blur the noise makes
    spurious maxima and wandering lines; the calibration chooses a blur, and decoding with
    the chosen values gives images with about the real boundary pixels."""
    images = np.stack([boundary_image(_voronoi(12, 48, s), (96, 96)) for s in range(4)])
    exact = distance_maps(images, 0.5)
    rough = exact + np.random.default_rng(0).normal(0, 0.6, exact.shape)
    best, ratios = calibrate_decoding(rough, exact, 0.5, dynamics_grid=(0.2, 0.5))
    assert best["smoothing"] > 0
    assert min(ratios[(0.0, h)][1] for h in (0.2, 0.5)) > 1.3  # unblurred: too many boundary pixels
    back = boundary_images_of_distance_maps(rough, None, best["dynamics"], best["smoothing"])
    assert (back < 0.5).mean() == pytest.approx((images < 0.5).mean(), rel=0.3)


@pytest.mark.parametrize("decoded", [True, False])
def test_only_models_whose_outputs_are_drawn_get_a_calibrated_decoding(tmp_path, decoded):
    """train_model calibrates a boundary_distance model's grain decoding for the workflow's
    models (decoded) and skips it for search trials, which are judged by MSE alone."""
    import logging

    import torch

    from msdl.training.autoencoder import load_model
    from msdl.training.jobs import train_model

    torch.set_num_threads(1)
    images = np.stack([boundary_image(_voronoi(16, 56, s), (112, 112)) for s in range(6)]).astype(np.float32)
    norm = transform(sample_statistics(_shard(tmp_path, images)), "boundary_distance")
    x = normalize(images, norm)
    config = {"architecture": "ae_kmc_gg", "epochs": 1, "batch_size": 4, "learning_rate": 1e-3, "seed": 0,
              "normalization": "boundary_distance", "figure_epochs": [1]}  # fmt: skip
    logger = logging.getLogger("test_decoding")
    train_model(config, "cpu", x[:4], x[4:], ["a"], norm, tmp_path / "state", tmp_path / "model.pt",
                tmp_path / "metrics.csv", logger, decoded=decoded)  # fmt: skip
    saved = load_model(tmp_path / "model.pt")[2]
    assert ("dynamics" in saved and "smoothing" in saved) is decoded
    assert ("sample_dynamics" in saved and "sample_smoothing" in saved) is decoded
    assert saved["threshold"] == norm["threshold"]
