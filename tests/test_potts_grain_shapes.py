"""Grain shape statistics (msdl.potts.grains.grain_shapes) on hand-made arrays with
known answers, and the builtin am/ellipsoid engine against SPPARKS's final state."""

import numpy as np
import pytest
import torch
import yaml
from helpers import ROOT, spparks_array

from msdl.potts.grains import AM_CROP, Crop, grain_shapes
from msdl.potts.melt_pool import AmEllipsoid, simulate
from msdl.potts.numba_kernels import set_threads

DATASETS = yaml.safe_load((ROOT / "config.yaml").read_text())["datasets"]


@pytest.fixture
def one_thread():
    # one torch and one numba thread: a busy machine's cores are not ours to oversubscribe
    torch.set_num_threads(1)
    set_threads(1)
    yield
    set_threads(1)


def test_rectangle_grain_has_its_aspect_ratio_and_no_tilt():
    spins = np.zeros((40, 40), dtype=np.int32)
    spins[5:29, 10:16] = 1  # 24 rows x 6 columns: upright, aspect 4
    spins[30:34, 2:38] = 2  # 4 rows x 36 columns: lying, aspect 9
    shapes = grain_shapes(spins)  # grain 0 touches the box: excluded
    assert shapes.count == 2
    upright, lying = np.argsort(shapes.cy)
    assert shapes.area[upright] == 144 and shapes.area[lying] == 144
    assert shapes.aspect[upright] == pytest.approx(4.0)
    assert shapes.aspect[lying] == pytest.approx(9.0)
    assert shapes.orientation[upright] == pytest.approx(0.0) and shapes.orientation[lying] == pytest.approx(90.0)
    assert shapes.tilt[upright] == pytest.approx(0.0) and shapes.tilt[lying] == pytest.approx(0.0)
    assert (shapes.cy[upright], shapes.cx[upright]) == pytest.approx((16.5, 12.5))
    summary = shapes.summary()
    assert summary["grains"] == 2 and summary["mean_area"] == 144 and summary["aspect"] == pytest.approx(6.5)


@pytest.mark.parametrize("slope", [0.5, -1.0])
def test_tilted_band_has_the_tilt_of_its_rows(slope):
    # rows y = 10..49 each hold 6 sites from x0 + slope * (y - 10): a sheared column
    spins = np.zeros((60, 80), dtype=np.int32)
    x0 = 20 if slope > 0 else 60
    for y in range(10, 50):
        x = x0 + int(round(slope * (y - 10)))
        spins[y, x : x + 6] = 1
    shapes = grain_shapes(spins)
    assert shapes.count == 1
    # the lean is the slope of x(y); rounding the row offsets to whole sites costs < 1 deg
    assert shapes.tilt[0] == pytest.approx(np.degrees(np.arctan(abs(slope))), abs=1.0)
    assert shapes.aspect[0] > 3
    upright = np.zeros_like(spins)
    upright[10:50, 37:43] = 1
    assert grain_shapes(upright).tilt[0] == pytest.approx(0.0)


def test_crop_keeps_grains_by_centroid_and_small_grains_are_dropped():
    spins = np.zeros((30, 30), dtype=np.int32)
    spins[2:12, 2:6] = 1  # centroid (6.5, 3.5)
    spins[15:25, 12:20] = 2  # centroid (19.5, 15.5)
    spins[20, 25] = 3  # one site
    assert grain_shapes(spins, min_area=1).count == 3
    assert grain_shapes(spins).count == 2  # default min_area 5
    kept = grain_shapes(spins, Crop(10, 30, 10, 30))
    assert kept.count == 1 and kept.area[0] == 80


def test_spparks_reference_shapes():
    # the numbers the calibration table compares against (benchmarks/potts_engine.py)
    summary = grain_shapes(spparks_array("potts_additive_offset60_seed12345"), AM_CROP).summary()
    assert summary["grains"] == 53
    assert summary["aspect"] == pytest.approx(1.89, abs=0.01)
    assert summary["tilt_deg"] == pytest.approx(21.0, abs=0.1)
    assert summary["mean_area"] == pytest.approx(83.6, abs=0.1)


def test_builtin_am_ellipsoid_grain_shapes_within_15_percent_of_spparks(one_thread):
    # four seeds (~1 s on one core; the benchmark's 16-seed table is the full measure):
    # aspect, tilt, count and mean area within 15 % of SPPARKS's seed 12345 in the crop
    model = AmEllipsoid.from_config(DATASETS["kmc_additive"])
    spins = simulate(model, "am_ellipsoid", [1, 2, 3, 4], kT=0.0)
    reference = grain_shapes(spparks_array("potts_additive_offset60_seed12345"), AM_CROP).summary()
    shapes = [grain_shapes(s, AM_CROP).summary() for s in spins]
    for key, ref in reference.items():
        mean = np.mean([s[key] for s in shapes])
        assert abs(mean - ref) < 0.15 * ref, f"{key}: builtin {mean:.2f}, SPPARKS {ref:.2f}"


def test_am_fields_are_spparks_shell_distances_on_the_haz_rectangle():
    am = AmEllipsoid.from_config(DATASETS["kmc_additive"])
    t = 11.0  # first pass, pool at x = -60 + 110 = 50 (moving +x), y = 0
    px, py, direction = am.pool(t)
    win, melted, mobility = am.fields(t, "cpu")
    y, x = np.mgrid[win.y0 : win.y1, win.x0 : win.x1]
    u, v = (x - px) * direction, y - py
    # SPPARKS: the smallest shell i whose grown half-ellipse holds the site, by brute force
    length = np.where(u >= 0, am.cap_height, am.melt_tail_length)
    d = np.full(u.shape, -1)
    for i in range(am.shells - 1, -1, -1):
        inside = (v / (am.spot_width / 2 + i)) ** 2 + (u / (length + i)) ** 2 <= 1
        d = np.where(inside, i, d)
    haz = (((u > -am.tail_haz) & (u < 0)) | (np.abs(u) <= am.cap_haz)) & (np.abs(v) <= am.haz / 2)
    assert (d[haz] >= 0).all()
    np.testing.assert_array_equal(melted[0].numpy(), haz & (d == 0))
    expected = np.where(haz & (d > 0), np.exp(-am.exp_factor * d), 0.0).astype(np.float32)
    np.testing.assert_allclose(mobility[0].numpy(), expected, rtol=1e-6)
    # the rectangle's corners are mobile (an ellipse HAZ would leave them cold)
    corner = haz & (u < -40) & (np.abs(v) > 15)
    assert corner.any() and (mobility[0].numpy()[corner] > 0.1).all()


def test_am_seed_is_the_same_alone_in_a_batch_and_on_rerun(one_thread):
    import dataclasses

    am = dataclasses.replace(AmEllipsoid.from_config(DATASETS["kmc_additive"]), nx=40, ny=30, offset_x=-20.0)
    batch = simulate(am, "am_ellipsoid", [5, 6, 7], kT=0.0)
    alone = simulate(am, "am_ellipsoid", [6], kT=0.0)
    np.testing.assert_array_equal(alone[0], batch[1])
    np.testing.assert_array_equal(simulate(am, "am_ellipsoid", [6], kT=0.0), alone)
    assert not np.array_equal(batch[0], batch[2])
