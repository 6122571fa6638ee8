"""Latent Gaussian sampling and the figure helpers."""

import numpy as np
from PIL import Image

from msdl.figures import loss_curves, mosaic, reconstructions_by_epoch, samples_by_epoch
from msdl.training.latent import fit_gaussian, sample_gaussian


def test_gaussian_fit_and_sample_reproduce_mean_and_covariance():
    rng = np.random.default_rng(0)
    true_cov = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 0.5]])
    data = rng.multivariate_normal([1.0, -2.0, 0.5], true_cov, size=20000)
    mean, cov = fit_gaussian(data)
    draws = sample_gaussian(mean, cov, 20000, seed=1)
    np.testing.assert_allclose(draws.mean(axis=0), [1.0, -2.0, 0.5], atol=0.05)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), true_cov, atol=0.08)
    np.testing.assert_array_equal(draws[:5], sample_gaussian(mean, cov, 5, seed=1))  # seeded


def test_rank_deficient_fit_still_samples_in_the_data_subspace():
    rng = np.random.default_rng(2)
    basis = rng.standard_normal((2, 50))
    data = rng.standard_normal((10, 2)) @ basis  # 10 samples in 50 dims, rank 2
    mean, cov = fit_gaussian(data)
    draws = sample_gaussian(mean, cov, 100, seed=0)
    residual = (draws - mean) - (draws - mean) @ np.linalg.pinv(basis) @ basis
    assert np.abs(residual).max() < 1e-5 * np.abs(draws - mean).max()


def test_mosaic_places_each_image():
    images = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    out = mosaic(images, columns=2, gap=1, fill=-1)
    assert out.shape == (3 * 2 + 2, 2 * 3 + 1)
    np.testing.assert_array_equal(out[3:5, 4:7], images[3])
    assert (out[:, 3] == -1).all() and (out[6:, 4:] == -1).all()


def _drawn(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("L"), dtype=np.float32)


def test_figures_are_drawn(tmp_path):
    rng = np.random.default_rng(0)
    originals = rng.random((8, 32, 32)).astype(np.float32)
    reconstructions_by_epoch(originals, {1: originals * 0.5, 5: originals}, tmp_path / "r.png", "r")
    samples_by_epoch({e: rng.random((64, 32, 32)) for e in (1, 2, 3, 4)}, tmp_path / "s.png", "s")
    rows = [{"epoch": e, "train_mse": 1.0 / e, "test_mse": 1.1 / e} for e in range(1, 6)]
    loss_curves({"m": rows}, tmp_path / "l.png")
    for name in ("r.png", "s.png", "l.png"):
        pixels = _drawn(tmp_path / name)
        assert pixels.std() > 10
    assert _drawn(tmp_path / "s.png").shape[0] > 600  # 2 rows of panels for 4 epochs
    assert not list(tmp_path.glob(".tmp-*"))
