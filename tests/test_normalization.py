"""The report's estimator (mean of per-sample means/stds) and the two transforms."""

import numpy as np
import pytest

from msdl.normalization import denormalize, normalize, sample_statistics, transform
from msdl.shards import Shard, write_shard


def _shards(tmp_path, arrays):
    paths, first = [], 0
    for i, a in enumerate(arrays):
        p = tmp_path / f"shard-{i:04d}.npy"
        write_shard(p, p.with_suffix(".json"), a, Shard("train", i, first, first + len(a)))
        paths.append(p)
        first += len(a)
    return paths


def test_estimator_is_mean_of_sample_means_and_stds_not_pooled(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.random((5, 8, 8)).astype(np.float32)
    b = (rng.random((3, 8, 8)) * 3 + 2).astype(np.float32)
    stats = sample_statistics(_shards(tmp_path, [a, b]))
    both = np.concatenate([a, b]).astype(np.float64).reshape(8, -1)
    assert stats["mean"] == pytest.approx(both.mean(axis=1).mean())
    assert stats["std"] == pytest.approx(both.std(axis=1).mean())
    assert stats["std"] < both.std()  # the pooled std also counts the spread of sample means
    assert stats["n_samples"] == 8 and stats["n_shards"] == 2
    assert stats["min"] == pytest.approx(both.min()) and stats["max"] == pytest.approx(both.max())


def test_binary_half_and_half_gives_mean_and_std_one_half(tmp_path):
    img = np.zeros((2, 4, 4), dtype=np.uint8)
    img[:, :2] = 1
    stats = sample_statistics(_shards(tmp_path, [img]))
    assert stats["mean"] == 0.5 and stats["std"] == 0.5 and stats["max_abs_deviation"] == 0.5


def test_symmetric_range_maps_training_data_into_tanh_range(tmp_path):
    data = np.random.default_rng(1).random((4, 16, 16)).astype(np.float32)
    stats = sample_statistics(_shards(tmp_path, [data]))
    norm = transform(stats, "symmetric_range")
    x = normalize(data, norm)
    assert np.abs(x).max() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(denormalize(x, norm), data, atol=1e-6)
    std = normalize(data, transform(stats, "standardize"))
    assert np.abs(std).max() > 1.5  # standardized uniform data overshoot a Tanh


def test_unknown_mode_is_named():
    with pytest.raises(ValueError, match="normalization mode 'zscore'"):
        transform({"mean": 0, "std": 1, "max_abs_deviation": 1}, "zscore")
