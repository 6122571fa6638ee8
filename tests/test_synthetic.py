"""Section 2.1 generator: periodicity, exact volume fraction, determinism, anisotropy."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from msdl.shards import load_shard, shard_plan
from msdl.synthetic.fields import (
    binarize,
    correlation_covariance,
    filtered_field,
    periodic_gaussian_filter,
    smooth_image,
)
from msdl.synthetic.jobs import generate_gaussian_shard

SHAPE = (128, 128)
ISO = np.array([[16.0, 0.0], [0.0, 16.0]])


def test_filter_commutes_with_periodic_shifts():
    """A periodic filter is a circular convolution: shifting the noise shifts the image."""
    noise = np.random.default_rng(1).random(SHAPE)
    cov = np.array([[20.0, 6.0], [6.0, 5.0]])
    shift = (37, -51)
    a = periodic_gaussian_filter(np.roll(noise, shift, axis=(0, 1)), cov)
    b = np.roll(periodic_gaussian_filter(noise, cov), shift, axis=(0, 1))
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_image_has_no_seam_across_its_edges():
    """Neighbour differences across the wrap-around edge match those inside the image."""
    ratios = []
    for seed in range(20):
        z = filtered_field("seam", seed, SHAPE, ISO)
        interior = np.mean(np.diff(z, axis=1) ** 2)
        seam = np.mean((z[:, 0] - z[:, -1]) ** 2)
        ratios.append(seam / interior)
    assert 0.8 < np.mean(ratios) < 1.25


def test_smooth_image_range_and_unit_statistics():
    z = np.stack([filtered_field("stats", s, SHAPE, ISO) for s in range(30)])
    assert abs(z.mean()) < 0.1 and 0.8 < z.std() < 1.2
    img = smooth_image("stats", 0, SHAPE, ISO)
    assert img.dtype == np.float32 and img.shape == SHAPE
    assert 0.0 < img.min() and img.max() < 1.0


@pytest.mark.parametrize("vf", [0.05, 0.25, 0.3, 0.5, 0.731, 0.95])
def test_binary_volume_fraction_is_exact(vf):
    img = smooth_image("vf", 3, SHAPE, ISO)
    binary = binarize(img, vf)
    assert binary.dtype == np.uint8 and set(np.unique(binary)) <= {0, 1}
    assert int(binary.sum()) == round(vf * img.size)
    # phase 1 is the brightest pixels: a threshold of the smooth image
    assert img[binary == 1].min() >= img[binary == 0].max()


def test_binary_count_is_exact_even_with_ties():
    img = np.zeros((10, 10), dtype=np.float32)  # all tied
    assert int(binarize(img, 0.37).sum()) == 37


@pytest.mark.parametrize("vf", [0.0, 1.0, -0.1, 1.5])
def test_binary_rejects_volume_fraction_outside_open_interval(vf):
    with pytest.raises(ValueError, match="volume_fraction"):
        binarize(np.zeros((4, 4)), vf)


def _shard_images(tmp_path, shard_size):
    dataset = {"image_size": [32, 32], "covariance": [[9.0, 0.0], [0.0, 4.0]]}
    out = {}
    for shard in shard_plan(0, 7, 4, shard_size):
        npy = tmp_path / f"s{shard_size}" / shard.split / f"{shard.name}.npy"
        generate_gaussian_shard("layout", dataset, shard, npy, npy.with_suffix(".json"))
        images, manifest = load_shard(npy)
        for seed, img in zip(range(manifest["seeds"]["first"], manifest["seeds"]["stop"]), images):
            out[seed] = img.tobytes()
    return out


def test_same_bytes_in_any_shard_layout(tmp_path):
    by3 = _shard_images(tmp_path, 3)
    by5 = _shard_images(tmp_path, 5)
    by1 = _shard_images(tmp_path, 1)
    assert sorted(by3) == list(range(11))
    assert by3 == by5 == by1


def test_same_bytes_in_another_process():
    code = (
        "import hashlib, numpy as np; from msdl.synthetic.fields import smooth_image;"
        "print(hashlib.sha256(smooth_image('proc', 12345, (64, 48), np.array([[9., 2.], [2., 4.]])).tobytes()).hexdigest())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    here = hashlib.sha256(
        smooth_image("proc", 12345, (64, 48), np.array([[9.0, 2.0], [2.0, 4.0]])).tobytes()
    ).hexdigest()
    assert other == here


def test_seeds_and_streams_are_independent():
    a = smooth_image("one", 0, SHAPE, ISO)
    assert not np.array_equal(a, smooth_image("one", 1, SHAPE, ISO))
    assert not np.array_equal(a, smooth_image("two", 0, SHAPE, ISO))
    assert abs(np.corrcoef(a.ravel(), smooth_image("two", 0, SHAPE, ISO).ravel())[0, 1]) < 0.2


def _measured_covariance(cov, n=24):
    return np.mean([correlation_covariance(filtered_field("aniso", s, SHAPE, cov)) for s in range(n)], axis=0)


def test_anisotropy_shows_in_measured_correlation_lengths():
    """Filter widths 4 px along x, 2 px along y: correlation second moments ~ 2C."""
    cov = np.array([[16.0, 0.0], [0.0, 4.0]])
    m = _measured_covariance(cov)
    assert m[0, 0] / m[1, 1] == pytest.approx(4.0, rel=0.25)
    assert m[0, 0] == pytest.approx(32.0, rel=0.25) and m[1, 1] == pytest.approx(8.0, rel=0.25)
    iso = _measured_covariance(ISO)
    assert iso[0, 0] / iso[1, 1] == pytest.approx(1.0, rel=0.15)


def test_rotated_covariance_rotates_the_measured_axes():
    angle = np.deg2rad(30.0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    cov = rot @ np.diag([25.0, 4.0]) @ rot.T
    values, vectors = np.linalg.eigh(_measured_covariance(cov))
    major = vectors[:, np.argmax(values)]
    measured = np.rad2deg(np.arctan2(major[1], major[0])) % 180.0
    assert measured == pytest.approx(30.0, abs=5.0)
    assert values.max() / values.min() == pytest.approx(25.0 / 4.0, rel=0.3)
