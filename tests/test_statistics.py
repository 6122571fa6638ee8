"""Microstructure statistics and the comparison score: known answers and brute-force checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage
from scipy.stats import ks_2samp, wasserstein_distance
from skimage.filters import threshold_otsu

from msdl.evaluation.comparison import (
    EMPTY_DISTANCE,
    SCORE_FIELDS,
    compare,
    comparison_score,
    integer_ks,
    integer_wasserstein,
)
from msdl.evaluation.statistics import (
    binarize,
    boundary_density,
    chord_lengths,
    describe,
    grain_sizes,
    lineal_path,
    load_statistics,
    radial_average,
    save_statistics,
    two_point_correlation,
    volume_fraction,
)
from msdl.grain_images import boundary_image
from msdl.synthetic import fields as synthetic

ISO3 = np.diag([9.0, 9.0])  # synthetic filter covariance: 3 px correlation width


def grf_set(seeds: range, covariance=ISO3, vf: float = 0.4, shape=(64, 64)) -> np.ndarray:
    """Binary synthetic (report section 2.1) images of the given seeds, float32 0/1."""
    smooth = synthetic.smooth_images("stats-test", seeds, shape, np.asarray(covariance))
    return synthetic.binary_images(smooth, vf).astype(np.float32)


# --------------------------------------------------------------------------- brute force references


def brute_s2(image: np.ndarray, dy: int, dx: int, periodic: bool) -> float:
    """S2 at one displacement by counting pixel pairs directly."""
    h, w = image.shape
    hits = pairs = 0
    for y in range(h):
        for x in range(w):
            y2, x2 = y + dy, x + dx
            if periodic:
                y2, x2 = y2 % h, x2 % w
            elif not (0 <= y2 < h and 0 <= x2 < w):
                continue
            pairs += 1
            hits += bool(image[y, x]) and bool(image[y2, x2])
    return hits / pairs


def brute_chords(lines: np.ndarray, periodic: bool) -> list[int]:
    """Run lengths of True along each row, with itertools.groupby."""
    out = []
    for line in lines:
        line = list(line)
        if periodic and not all(line) and any(line):
            k = line.index(False)
            line = line[k:] + line[:k]
        out += [len(list(g)) for v, g in itertools.groupby(line) if v]
    return sorted(out)


# --------------------------------------------------------------------------- S2


def test_s2_matches_pair_counting_periodic_and_not():
    rng = np.random.default_rng(3)
    image = rng.random((9, 12)) < 0.45
    for periodic in (True, False):
        s2 = two_point_correlation(image, periodic=periodic)
        assert s2.shape == (9, 12) and s2.dtype == np.float64
        for dy in range(-4, 5):
            for dx in range(-6, 6):
                expected = brute_s2(image, dy, dx, periodic)
                assert s2[4 + dy, 6 + dx] == pytest.approx(expected, abs=1e-12), (periodic, dy, dx)


def test_s2_of_bernoulli_noise():
    """i.i.d. pixels with probability p: S2(0) = p, S2(r > 0) = p^2 (periodic and not)."""
    p = 0.3
    images = np.random.default_rng(0).random((300, 64, 64)) < p
    vf = volume_fraction(images).mean()
    for periodic in (True, False):
        s2 = two_point_correlation(images, periodic=periodic)
        assert s2[32, 32] == pytest.approx(vf, abs=1e-12)
        off = s2.copy()
        off[32, 32] = np.nan
        assert np.nanmax(np.abs(off - p * p)) < 0.006
        radii, radial = radial_average(s2)
        assert radii[0] == 0 and radii[-1] == 32
        np.testing.assert_allclose(radial[1:], p * p, atol=0.002)


def test_s2_of_a_laminate_is_the_triangular_wave():
    """Stripes of width a and period b along x: S2(0, dx) = max(0, a - d) / b with d the
    distance of dx to the nearest multiple of b; S2 along y is constant a / b."""
    h, w, a, b = 24, 40, 3, 8
    lam = np.zeros((h, w), dtype=bool)
    lam[:, (np.arange(w) % b) < a] = True
    s2 = two_point_correlation(lam, periodic=True)
    for dx in range(-(w // 2), w - w // 2):
        d = min(dx % b, (-dx) % b)
        assert s2[h // 2, w // 2 + dx] == pytest.approx(max(0, a - d) / b, abs=1e-12)
    np.testing.assert_allclose(s2[:, w // 2], a / b, atol=1e-12)


def test_radial_average_of_a_known_map():
    """A map equal to the integer radius round(|r|) averages back to the radii."""
    h, w = 17, 21
    dy = np.arange(h)[:, None] - h // 2
    dx = np.arange(w)[None, :] - w // 2
    radii, values = radial_average(np.rint(np.hypot(dy, dx)))
    np.testing.assert_array_equal(radii, np.arange(9))
    np.testing.assert_allclose(values, radii)
    radii, values = radial_average(np.ones((h, w)), max_radius=3)
    np.testing.assert_array_equal(radii, [0, 1, 2, 3])
    np.testing.assert_allclose(values, 1.0)


def random_disk_packing(rng, n_images: int, size: int, radius: int, n_disks: int) -> np.ndarray:
    """Non-overlapping periodic disks (lattice points with x^2 + y^2 <= radius^2) placed by
    random sequential addition."""
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    offsets = np.argwhere(yy**2 + xx**2 <= radius**2) - radius
    images = np.zeros((n_images, size, size), dtype=bool)
    for image in images:
        centres = []
        while len(centres) < n_disks:
            c = rng.integers(0, size, 2)
            gaps = [np.abs((c - o + size // 2) % size - size // 2) for o in centres]
            if all(np.hypot(*g) > 2 * radius + 1 for g in gaps):
                centres.append(c)
                image[tuple(((c + offsets) % size).T)] = True
    return images


def test_disk_packing_volume_fraction_and_s2():
    """49 lattice points lie in a disk of radius 4 (Gauss circle count), so VF is exact;
    S2(0) = VF and the radial S2 beyond a few diameters approaches VF^2."""
    size, radius, n_disks = 64, 4, 8
    images = random_disk_packing(np.random.default_rng(5), 200, size, radius, n_disks)
    vf = n_disks * 49 / size**2
    np.testing.assert_allclose(volume_fraction(images), vf)
    _, radial = radial_average(two_point_correlation(images, periodic=True))
    assert radial[0] == pytest.approx(vf)
    assert radial[1] < vf  # S2 falls from VF at the first neighbour
    tail = radial[14:32]
    np.testing.assert_allclose(tail, vf**2, rtol=0.12)


# --------------------------------------------------------------------------- chords and lineal path


def test_chords_match_groupby_on_random_lines():
    rng = np.random.default_rng(7)
    images = rng.random((5, 7, 11)) < 0.6
    images[0, 2, :] = True  # a full row
    images[1, :, 3] = True  # a full column
    for periodic in (True, False):
        got_x = chord_lengths(images, axis=1, periodic=periodic)
        got_y = chord_lengths(images, axis=0, periodic=periodic)
        assert got_x.dtype == np.int64
        assert sorted(got_x) == brute_chords(images.reshape(-1, 11), periodic)
        assert sorted(got_y) == brute_chords(images.transpose(0, 2, 1).reshape(-1, 7), periodic)
    assert 11 in chord_lengths(images, 1, periodic=True)  # the full row is one chord of W


def test_chords_of_bernoulli_noise_are_geometric():
    """Runs of i.i.d. pixels (probability p) are geometric: P(L = k) = p^(k-1) (1 - p), mean
    1 / (1 - p) (exactly so for periodic lines)."""
    p = 0.6
    images = np.random.default_rng(1).random((200, 64, 64)) < p
    for axis in (0, 1):
        chords = chord_lengths(images, axis=axis, periodic=True)
        assert chords.mean() == pytest.approx(1 / (1 - p), rel=0.01)
        freq = np.bincount(chords, minlength=8)[1:8] / len(chords)
        pmf = p ** np.arange(7) * (1 - p)
        np.testing.assert_allclose(freq, pmf, atol=0.004)


def test_laminate_chords():
    """Stripes of width a (period b) along x: every x chord is a (periodic); every column
    through a stripe is one y chord of length H."""
    h, w, a, b = 24, 40, 3, 8
    lam = np.zeros((2, h, w), dtype=bool)
    lam[:, :, (np.arange(w) % b) < a] = True
    np.testing.assert_array_equal(chord_lengths(lam, axis=1, periodic=True), np.full(2 * h * w // b, a))
    np.testing.assert_array_equal(chord_lengths(lam, axis=0, periodic=True), np.full(2 * a * w // b, h))
    shifted = np.roll(lam, -1, axis=2)  # a stripe now wraps around the right edge
    assert set(chord_lengths(shifted, 1, periodic=True)) == {a}
    assert sorted(set(chord_lengths(shifted, 1, periodic=False))) == [1, 2, 3]  # cut at the border


def test_lineal_path_matches_direct_counting():
    rng = np.random.default_rng(11)
    images = rng.random((4, 9, 13)) < 0.7
    images[0, 3, :] = True
    for periodic in (True, False):
        for axis, length in ((1, 13), (0, 9)):
            lp = lineal_path(images, axis=axis, max_length=length + 2, periodic=periodic)
            lines = images if axis == 1 else images.transpose(0, 2, 1)
            for r in range(length + 3):
                inside = lines.copy()
                for k in range(1, r + 1):
                    inside &= np.roll(lines, -k, axis=2)
                starts = length if periodic else max(length - r, 0)
                expected = inside[:, :, :starts].sum() / (lines.shape[0] * lines.shape[1] * starts) if starts else 0.0
                assert lp[r] == pytest.approx(expected, abs=1e-12), (periodic, axis, r)
    p = 0.5
    noise = np.random.default_rng(2).random((100, 64, 64)) < p
    np.testing.assert_allclose(lineal_path(noise, 1, 4, periodic=True), p ** np.arange(1, 6), rtol=0.03)


# --------------------------------------------------------------------------- grains


def square_grid(period: int, size: int, shift: int, value: float) -> np.ndarray:
    """Boundary lines (value) every ``period`` pixels, interiors the other value."""
    image = np.full((size, size), 1.0 - value)
    image[::period, :] = value
    image[:, ::period] = value
    return np.roll(image, (shift, shift), axis=(0, 1))


@pytest.mark.parametrize("boundary_value, line", [("dark", 0.0), ("bright", 1.0)])
def test_grain_sizes_of_a_square_grid(boundary_value, line):
    """4 x 4 grains of 9 x 9 pixels between 1-px lines; shifted by 5 px, grains are cut by
    the edges: periodic joining restores 16 grains of 81, non-periodic gives the pieces."""
    grid = square_grid(10, 40, 0, line)
    np.testing.assert_array_equal(grain_sizes(grid, boundary_value=boundary_value), np.full(16, 81))
    shifted = square_grid(10, 40, 5, line)
    np.testing.assert_array_equal(grain_sizes(shifted, boundary_value=boundary_value), np.full(16, 81))
    pieces = np.multiply.outer([4, 9, 9, 9, 5], [4, 9, 9, 9, 5]).ravel()  # lines at 5, 15, 25, 35
    got = grain_sizes(shifted, periodic=False, boundary_value=boundary_value)
    np.testing.assert_array_equal(np.sort(got), np.sort(pieces))
    np.testing.assert_allclose(boundary_density(shifted, boundary_value=boundary_value), (40 * 40 - 81 * 16) / 1600)


def test_grain_sizes_are_four_connected():
    """Two grains touching only at a corner are two grains."""
    image = np.zeros((6, 6))  # dark = boundary everywhere
    image[1:3, 1:3] = 1.0
    image[3:5, 3:5] = 1.0
    assert sorted(grain_sizes(image, periodic=False)) == [4, 4]


def test_rendered_potts_grains_have_dark_boundaries():
    """msdl.potts.render draws boundaries dark (0) left of / above a spin change: four
    quadrant grains of a 20 x 20 spin array give interiors 9x9, 9x10, 10x9, 10x10."""
    spins = np.zeros((20, 20), dtype=np.int32)
    spins[:10, 10:] = 1
    spins[10:, :10] = 2
    spins[10:, 10:] = 3
    image = boundary_image(spins, (20, 20)).astype(np.float32)
    assert sorted(grain_sizes(image, periodic=False)) == [81, 90, 90, 100]
    stats = describe(image[None], "grains", periodic=False)
    assert sorted(stats.grain_sizes) == [81, 90, 90, 100]
    np.testing.assert_allclose(stats.boundary_density, [39 / 400])


# --------------------------------------------------------------------------- binarize and input checks


def test_binarize_otsu_half_and_constant_images():
    rng = np.random.default_rng(4)
    gray = np.clip(rng.normal(0.3, 0.05, (3, 16, 16)), 0, 1)
    gray[1] += np.clip(rng.normal(0.4, 0.05, (16, 16)), 0, 0.6) * (rng.random((16, 16)) < 0.5)
    out = binarize(gray)
    assert out.dtype == bool and out.shape == gray.shape
    for image, b in zip(gray, out):
        np.testing.assert_array_equal(b, image > threshold_otsu(image))
    np.testing.assert_array_equal(binarize(gray, "half"), gray > 0.5)
    assert not binarize(np.full((8, 8), 0.3)).any()
    assert binarize(np.full((8, 8), 0.7)).all()
    assert binarize(np.full((2, 8, 8), 0.5)).sum() == 0
    binary = (rng.random((2, 16, 16)) < 0.4).astype(np.float32)
    for image, b in zip(binary, binarize(binary)):  # the 0/1 fast path equals Otsu
        np.testing.assert_array_equal(b, image > threshold_otsu(image))


def test_bad_input_errors_name_the_argument():
    good = np.zeros((2, 8, 8))
    nan = good.copy()
    nan[1, 3, 3] = np.nan
    with pytest.raises(ValueError, match=r"images: contains 1 NaN"):
        binarize(nan)
    with pytest.raises(ValueError, match=r"images: expected shape"):
        describe(np.zeros((2, 2, 8, 8)), "phase")
    with pytest.raises(ValueError, match=r"generated: values must lie in \[0, 1\]"):
        comparison_score(good + 2, good, "phase")
    with pytest.raises(ValueError, match=r"reference: contains 1 NaN"):
        comparison_score(good, nan, "phase")
    with pytest.raises(ValueError, match=r"reference: expected shape"):
        comparison_score(good, np.zeros(8), "phase")
    with pytest.raises(ValueError, match=r"kind"):
        comparison_score(good, good, "texture")
    with pytest.raises(ValueError, match=r"method"):
        binarize(good, "mean")
    with pytest.raises(ValueError, match=r"axis"):
        chord_lengths(good, axis=2)
    with pytest.raises(ValueError, match=r"boundary_value"):
        grain_sizes(good, boundary_value="grey")


# --------------------------------------------------------------------------- comparison


def test_integer_distances_equal_scipy():
    rng = np.random.default_rng(8)
    u, v = rng.geometric(0.3, 500), rng.geometric(0.4, 300)
    assert integer_wasserstein(u, v) == pytest.approx(wasserstein_distance(u, v), abs=1e-12)
    assert integer_ks(u, v) == pytest.approx(ks_2samp(u, v).statistic, abs=1e-12)


def test_a_set_against_itself_scores_zero():
    for kind in ("phase", "grains"):
        images = grf_set(range(20)) if kind == "phase" else np.stack([square_grid(8, 48, s, 0.0) for s in range(6)])
        scores = comparison_score(images, images, kind)
        assert tuple(scores) == SCORE_FIELDS[kind]
        assert all(v == 0.0 for v in scores.values()), scores


def test_same_process_is_closer_than_another_process():
    reference = grf_set(range(0, 60))
    same = comparison_score(grf_set(range(100, 160)), reference, "phase", periodic=True)
    longer = comparison_score(grf_set(range(200, 260), covariance=np.diag([25.0, 25.0])), reference, "phase", True)
    denser = comparison_score(grf_set(range(300, 360), vf=0.5), reference, "phase", periodic=True)
    assert all(np.isfinite(list(same.values())))
    assert same["total"] < 0.05
    assert longer["total"] > 5 * same["total"] and denser["total"] > 5 * same["total"]
    assert longer["chord_x"] > 5 * same["chord_x"] and longer["s2"] > 5 * same["s2"]
    assert denser["volume_fraction"] == pytest.approx(0.1, abs=1e-3)


def test_score_grows_with_blur_and_noise():
    reference = grf_set(range(40))
    blur = [
        comparison_score(ndimage.gaussian_filter(reference, (0, s, s), mode="wrap"), reference, "phase", True)["total"]
        for s in (0.8, 1.6, 2.4)
    ]
    rng = np.random.default_rng(0)
    noise = [
        comparison_score(np.clip(reference + rng.normal(0, s, reference.shape), 0, 1), reference, "phase", True)[
            "total"
        ]
        for s in (0.1, 0.2, 0.3)
    ]
    assert 0 < blur[0] < blur[1] < blur[2]
    assert 0 < noise[0] < noise[1] < noise[2]


def test_empty_distributions_give_the_documented_finite_distance():
    reference = grf_set(range(10))
    black = np.zeros_like(reference)
    scores = comparison_score(black, reference, "phase")
    assert all(np.isfinite(v) for v in scores.values())
    assert scores["chord_x"] == scores["chord_y"] == EMPTY_DISTANCE
    assert scores["ks_chord_x"] == 1.0
    assert comparison_score(black, black, "phase")["total"] == 0.0
    grains = np.stack([square_grid(8, 32, 0, 0.0)] * 3)
    all_boundary = comparison_score(np.zeros_like(grains), grains, "grains")
    assert all_boundary["grain_size"] == EMPTY_DISTANCE and np.isfinite(all_boundary["total"])
    no_boundary = comparison_score(np.ones_like(grains), grains, "grains")
    assert no_boundary["boundary_density"] == pytest.approx(1.0) and np.isfinite(no_boundary["total"])


def test_describe_fields_and_compare_kinds():
    images = np.stack([square_grid(8, 32, s, 0.0) for s in range(4)])
    stats = describe(images, "grains", periodic=True)
    assert stats.kind == "grains" and stats.n_images == 4
    assert stats.s2_radial.shape == (17,) and stats.s2_radial.dtype == np.float64
    np.testing.assert_allclose(stats.volume_fractions, 49 * 16 / 1024)
    assert set(stats.chords_x) == {7} and set(stats.chords_y) == {7}
    np.testing.assert_array_equal(stats.grain_sizes, np.full(64, 49))
    phase = describe(images, "phase")
    assert phase.grain_sizes is None and phase.boundary_density is None
    with pytest.raises(ValueError, match="kind"):
        compare(phase, stats)


def test_statistics_round_trip_through_npz(tmp_path):
    images = np.stack([square_grid(8, 32, s, 0.0) for s in range(3)])
    for kind in ("phase", "grains"):
        stats = describe(images, kind)
        save_statistics(tmp_path / f"{kind}.npz", stats)
        back = load_statistics(tmp_path / f"{kind}.npz")
        assert back.kind == kind
        assert compare(back, stats) == compare(stats, stats)
        np.testing.assert_array_equal(back.chords_x, stats.chords_x)
        assert (back.grain_sizes is None) == (kind == "phase")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        load_statistics(tmp_path / "bad.npz")


def test_blocks_of_images_give_the_same_statistics(monkeypatch):
    """describe() works through the set in blocks (FFT chunks, run/label blocks): small
    blocks that split the set give the same statistics as one block."""
    import msdl.evaluation.statistics as statistics

    rng = np.random.default_rng(12)
    images = np.stack([square_grid(8, 32, s, 0.0) for s in range(7)]) * (rng.random((7, 32, 32)) < 0.9)
    whole = {p: describe(images, "grains", periodic=p) for p in (True, False)}
    monkeypatch.setattr(statistics, "_CHUNK", 3)
    monkeypatch.setattr(statistics, "_FFT_CHUNK", 2)
    for periodic, expected in whole.items():
        split = describe(images, "grains", periodic=periodic)
        np.testing.assert_allclose(split.s2_radial, expected.s2_radial, atol=1e-12)
        for field in ("chords_x", "chords_y", "grain_sizes"):
            np.testing.assert_array_equal(getattr(split, field), getattr(expected, field))
