"""The evaluation stage's own logic: latent sampling schemes, interpolation paths, which
statistics a dataset gets, score files and the summary (the statistics themselves are
tested in tests/test_statistics.py)."""

import numpy as np
import pytest

from msdl.evaluation.jobs import write_summary
from msdl.evaluation.scoring import StatisticsSettings, floor_of, pick, read_scores, statistics_settings, write_scores
from msdl.training.latent import interpolate, sample_nearest_jitter, sample_uniform_box


def test_linear_interpolation_is_the_straight_line():
    z0, z1 = np.array([0.0, 2.0, -1.0]), np.array([4.0, 2.0, 3.0])
    path = interpolate(z0, z1, 5, "linear")
    np.testing.assert_allclose(path[0], z0)
    np.testing.assert_allclose(path[-1], z1)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((z1 - z0) / 4, (4, 1)))


def test_spherical_interpolation_follows_an_arc_around_the_centre():
    rng = np.random.default_rng(1)
    center = rng.normal(size=6)
    z0, z1 = center + rng.normal(size=6), center + 3 * rng.normal(size=6)
    path = interpolate(z0, z1, 9, "spherical", center)
    np.testing.assert_allclose(path[0], z0, atol=1e-12)
    np.testing.assert_allclose(path[-1], z1, atol=1e-12)
    radii = np.linalg.norm(path - center, axis=1)
    np.testing.assert_allclose(radii, np.linspace(radii[0], radii[-1], 9), rtol=1e-10)  # radius linear in t
    # every point lies in the plane of the two offsets, and the angle advances evenly
    basis, _ = np.linalg.qr(np.stack([z0 - center, z1 - center], axis=1))
    offsets = path - center
    np.testing.assert_allclose(offsets @ basis @ basis.T, offsets, atol=1e-10)
    unit = offsets / radii[:, None]
    steps = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(steps, steps.mean(), rtol=1e-8)
    # a straight line cuts inside the arc: its midpoint is nearer the centre
    assert np.linalg.norm(interpolate(z0, z1, 9, "linear")[4] - center) < radii[4]
    with pytest.raises(ValueError, match="interpolation kind 'cubic'"):
        interpolate(z0, z1, 3, "cubic")


def test_sampling_schemes_stay_where_they_should():
    rng = np.random.default_rng(0)
    latents = rng.normal(size=(200, 5)) * np.array([1, 2, 3, 4, 5]) + 10
    box = sample_uniform_box(latents, 1000, seed=3)
    assert np.all(box >= latents.min(0)) and np.all(box <= latents.max(0))
    np.testing.assert_allclose(box.mean(0), (latents.min(0) + latents.max(0)) / 2, rtol=0.05)
    exact = sample_nearest_jitter(latents, 50, seed=4, scale=0.0)
    assert all(any(np.array_equal(z, t) for t in latents) for z in exact)  # scale 0: the training latents
    jitter = sample_nearest_jitter(latents, 4000, seed=4, scale=0.1)
    nearest = np.min(np.linalg.norm((jitter[:, None] - latents[None]) / latents.std(0), axis=2), axis=1)
    assert np.median(nearest) < 0.3  # a jittered latent stays next to a training latent
    np.testing.assert_array_equal(sample_uniform_box(latents, 7, seed=3), box[:7])  # seeded


def test_statistics_follow_the_generator(full_config):
    assert statistics_settings(full_config, "synthetic_smooth") == StatisticsSettings("phase", True, "otsu")
    assert statistics_settings(full_config, "synthetic_binary") == StatisticsSettings("phase", True, "half")
    assert statistics_settings(full_config, "kmc_grain_growth_112") == StatisticsSettings(
        "grains", False, "reference_otsu"
    )
    assert statistics_settings(full_config, "kmc_additive_128").kind == "grains"
    assert statistics_settings(full_config, "uhcsdb_48x64") == StatisticsSettings("phase", False, "otsu")
    full_config["datasets"]["odd"] = {"generator": "mks_import"}
    with pytest.raises(ValueError, match=r"datasets\.odd\.generator.*'mks_import'"):
        statistics_settings(full_config, "odd")


def test_pick_is_seeded_and_takes_all_of_a_small_set():
    images = np.arange(50)[:, None, None] * np.ones((1, 2, 2))
    np.testing.assert_array_equal(pick(images, 10, 0), pick(images, 10, 0))
    assert len({float(i[0, 0]) for i in pick(images, 10, 0)}) == 10
    assert pick(images, 80, 0) is images


def test_scores_round_trip_and_summary_takes_the_last_epoch(tmp_path):
    fields = ("total", "s2", "diversity")
    rows = [
        {"epoch": "", "set": "floor", "n": 10, "total": 0.05, "s2": 0.01, "diversity": 1.0},
        {"epoch": 1, "set": "decoder_samples", "n": 10, "total": 0.9, "s2": 0.3, "diversity": 0.1},
        {"epoch": 5, "set": "decoder_samples", "n": 10, "total": 0.2, "s2": 0.1, "diversity": 0.7},
        {"epoch": 1, "set": "reconstructions", "n": 10, "total": 0.5, "s2": 0.2, "diversity": 0.9},
    ]
    write_scores(tmp_path / "s.csv", rows, fields)
    back = read_scores(tmp_path / "s.csv")
    assert back[0]["epoch"] is None and back[2] == {
        "epoch": 5,
        "set": "decoder_samples",
        "n": 10,
        "total": 0.2,
        "s2": 0.1,
        "diversity": 0.7,
    }
    assert floor_of(back, 10)["total"] == 0.05
    summary = write_summary({"ae_x": ("ds", str(tmp_path / "s.csv"))}, tmp_path / "summary.csv", tmp_path / "bars.png")
    got = {(r["set"], r["epoch"]): r["ratio"] for r in summary}
    assert got == {("decoder_samples", 5): pytest.approx(4.0), ("reconstructions", 1): pytest.approx(10.0)}
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert lines[0] == "dataset,model,set,epoch,n,total,floor_total,ratio,diversity"
    assert lines[1] == "ds,ae_x,decoder_samples,5,10,0.2,0.05,4,0.7"


def test_grain_images_are_judged_with_the_reference_threshold():
    """A blurry decoder output without boundaries must not pass for a grain structure, as
    per-image Otsu would make it (it splits the blur's noise into two fake phases)."""
    from msdl.evaluation.scoring import Judge, reference_threshold

    rng = np.random.default_rng(0)
    grid = np.ones((12, 48, 48))
    grid[:, ::8, :] = 0.25  # square grains, faint (area-averaged) dark boundaries
    grid[:, :, ::8] = 0.25
    assert 0.25 < reference_threshold(grid) < 1.0
    settings = StatisticsSettings("grains", False, "reference_otsu")
    judge = Judge(grid, grid.copy(), settings, seed=0)
    blur = 0.9 + 0.02 * rng.random((12, 48, 48))  # no boundaries, just noise around 0.9
    shifted = np.roll(grid, 3, axis=2)  # the same grains, elsewhere
    assert judge.score(shifted)["total"] < 0.2 < judge.score(blur)["total"]
    assert judge.floor(12)["total"] == 0.0
