"""Shards: the plan at full scale, checksums, atomic writes, clear errors."""

import json

import numpy as np
import pytest

from msdl.io import FILE_MODE, atomic_path, write_text
from msdl.shards import Shard, ShardError, load_shard, load_split, shard_plan, write_shard


def test_full_scale_plan_is_100_contiguous_shards_split_by_seed():
    plan = shard_plan(0, 40000, 10000, 500)
    assert len(plan) == 100
    train = [s for s in plan if s.split == "train"]
    test = [s for s in plan if s.split == "test"]
    assert len(train) == 80 and len(test) == 20
    seeds = [seed for s in plan for seed in s.seeds]
    assert seeds == list(range(50000))  # every seed once, in order
    assert max(s.stop_seed for s in train) == min(s.first_seed for s in test) == 40000


def test_short_last_shard_and_offset_first_seed():
    plan = shard_plan(100, 7, 5, 3)
    assert [(s.split, s.index, s.first_seed, s.stop_seed) for s in plan] == [
        ("train", 0, 100, 103),
        ("train", 1, 103, 106),
        ("train", 2, 106, 107),
        ("test", 0, 107, 110),
        ("test", 1, 110, 112),
    ]


@pytest.mark.parametrize("stop", [7, 5])
def test_a_shard_without_seeds_is_refused(stop):
    with pytest.raises(ValueError, match="test shard 3: seeds 7..%d hold no seed" % stop):
        Shard("test", 3, 7, stop)


def _write(tmp_path, n=4, first=10, split="train", index=0):
    array = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3) + first
    npy = tmp_path / split / f"shard-{index:04d}.npy"
    write_shard(npy, npy.with_suffix(".json"), array, Shard(split, index, first, first + n), dataset="t")
    return npy, array


def test_roundtrip_and_manifest(tmp_path):
    npy, array = _write(tmp_path)
    loaded, manifest = load_shard(npy)
    np.testing.assert_array_equal(loaded, array)
    assert manifest["seeds"] == {"first": 10, "stop": 14}
    assert manifest["shape"] == [4, 2, 3] and manifest["dtype"] == "float32" and manifest["dataset"] == "t"
    assert not list(tmp_path.rglob(".tmp-*"))


def test_bad_checksum_names_the_shard(tmp_path):
    npy, _ = _write(tmp_path)
    raw = bytearray(npy.read_bytes())
    raw[-1] ^= 0xFF
    npy.write_bytes(bytes(raw))
    with pytest.raises(ShardError, match=r"shard-0000\.npy: bad shard, SHA-256"):
        load_shard(npy)


def test_missing_manifest_or_array_is_an_error(tmp_path):
    npy, _ = _write(tmp_path)
    npy.unlink()
    with pytest.raises(ShardError, match="shard array is missing"):
        load_shard(npy)
    npy2, _ = _write(tmp_path, index=1)
    npy2.with_suffix(".json").unlink()
    with pytest.raises(ShardError, match="manifest is missing"):
        load_shard(npy2)


def test_manifest_shape_mismatch_is_an_error(tmp_path):
    npy, _ = _write(tmp_path)
    manifest = json.loads(npy.with_suffix(".json").read_text())
    manifest["shape"] = [5, 2, 3]
    npy.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ShardError, match="differ from the manifest"):
        load_shard(npy)


def test_wrong_image_count_is_refused(tmp_path):
    with pytest.raises(ValueError, match="3 images for 4 seeds"):
        write_shard(tmp_path / "a.npy", tmp_path / "a.json", np.zeros((3, 2, 2)), Shard("train", 0, 0, 4))
    assert not list(tmp_path.iterdir())


def test_crash_while_writing_leaves_nothing(tmp_path):
    target = tmp_path / "x.npy"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("killed")
    assert not target.exists() and not list(tmp_path.iterdir())


def test_load_split_orders_by_seed(tmp_path):
    a, arr_a = _write(tmp_path, n=2, first=4, index=1)
    b, arr_b = _write(tmp_path, n=4, first=0, index=0)
    images, seeds = load_split([a, b])
    assert seeds.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(images, np.concatenate([arr_b, arr_a]))


def test_pickled_arrays_are_refused(tmp_path):
    npy = tmp_path / "p.npy"
    np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    from msdl.io import sha256_file

    npy.with_suffix(".json").write_text(json.dumps({"sha256": sha256_file(npy), "shape": [1], "dtype": "object"}))
    with pytest.raises(ValueError, match="allow_pickle"):
        load_shard(npy)


def test_atomic_outputs_get_the_permissions_of_a_plain_open(tmp_path):
    """Not the temporary file's 0600: results on a shared file system stay group-readable."""
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    write_text(tmp_path / "atomic.txt", "x")
    with atomic_path(tmp_path / "a.npy") as tmp:
        np.save(tmp, np.zeros(3))
    for name in ("atomic.txt", "a.npy"):
        assert (tmp_path / name).stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == FILE_MODE
