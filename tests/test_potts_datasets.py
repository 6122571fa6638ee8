"""Rendering to boundary images, downsampling, and Potts shards written by the rule code."""

import copy

import numpy as np
import pytest
import torch
import yaml
from helpers import DATA, ROOT, spparks_array

from msdl.grain_images import boundary_image, downsample
from msdl.potts.jobs import downsample_shard, generate_potts_shard
from msdl.potts.render import render, rendered_size
from msdl.shards import Shard, load_shard

DATASETS = yaml.safe_load((ROOT / "config.yaml").read_text())["datasets"]


def test_boundary_image_zoom_2_draws_one_pixel_lines():
    spins = np.array([[1, 1, 2], [1, 1, 2], [3, 3, 3]])
    image = boundary_image(spins, (6, 6))
    assert image.dtype == np.uint8 and image.shape == (6, 6)
    # the last pixel column of the spin-1 block and the last pixel row above grain 3 are boundary
    assert image[:4, 3].tolist() == [0, 0, 0, 0] and image[:3, :3].min() == 1
    assert image[3, :].tolist() == [0, 0, 0, 0, 0, 0]
    assert image[4:, :].min() == 1 and image[:3, 4:].min() == 1


def test_report_sizes_from_the_real_spparks_states():
    gg = render(spparks_array("grain_growth_seed12345"), DATASETS["kmc_grain_growth"])
    am = render(spparks_array("potts_additive_offset60_seed12345"), DATASETS["kmc_additive"])
    weld = render(spparks_array("potts_weld_seed12345"), DATASETS["kmc_weld"])
    assert gg.shape == (256, 256) and am.shape == (512, 512) and weld.shape == (400, 600)
    assert rendered_size(DATASETS["kmc_weld"]) == (400, 600)
    assert 0.01 < 1 - gg.mean() < 0.2 and 0.02 < 1 - weld.mean() < 0.5


def test_zoom_1_boundaries_are_one_side_of_the_reference_png():
    """The reference PNG marks both sites of every differing 4-neighbour pair; ours
    marks one (the upper/left), so ours is inside it and covers every pair."""
    from PIL import Image

    ref = spparks_array("grain_growth_seed12345")
    png = np.array(Image.open(DATA / "spparks" / "grain_growth_seed12345_boundaries.png")) == 0
    ours = boundary_image(ref, (128, 128)) == 0
    assert not (ours & ~png).any()
    pairs = (ref[:-1, :] != ref[1:, :]).sum() + (ref[:, :-1] != ref[:, 1:]).sum()
    assert ours.sum() <= pairs and png.sum() <= 2 * pairs


def test_downsample_is_an_area_mean():
    images = np.zeros((1, 256, 256), dtype=np.uint8)
    images[0, :, :128] = 1
    small = downsample(images, (112, 112))
    assert small.shape == (1, 112, 112) and small.dtype == np.float32
    assert small[0, :, :55].min() == 1.0 and small[0, :, 57:].max() == 0.0
    assert small.mean() == pytest.approx(0.5, abs=1e-6)


def test_potts_and_downsample_shards(tmp_path):
    torch.set_num_threads(1)
    ds = copy.deepcopy(DATASETS["kmc_grain_growth"])
    ds |= {"sites": [32, 32], "time": 10.0, "image_size": [64, 64]}
    shard = Shard("test", 0, 5, 8)
    manifest = generate_potts_shard("gg", ds, shard, tmp_path / "s.npy", tmp_path / "s.json", "cpu")
    images, _ = load_shard(tmp_path / "s.npy")
    assert images.shape == (3, 64, 64) and images.dtype == np.uint8 and set(np.unique(images)) == {0, 1}
    assert manifest["engine"] == "builtin" and manifest["mcs_per_time"] > 1 and manifest["parameters"]["q"] == 2048
    assert manifest["kernel"] == "numba"  # the compiled kernel on the CPU
    # a seed's image does not depend on its shard
    generate_potts_shard("gg", ds, Shard("test", 1, 6, 7), tmp_path / "o.npy", tmp_path / "o.json", "cpu")
    np.testing.assert_array_equal(load_shard(tmp_path / "o.npy")[0][0], images[1])
    down = {"generator": "downsample", "source": "gg", "image_size": [16, 16]}
    downsample_shard("gg16", down, tmp_path / "s.npy", tmp_path / "d.npy", tmp_path / "d.json")
    small, m = load_shard(tmp_path / "d.npy")
    assert small.shape == (3, 16, 16) and m["source_sha256"] == manifest["sha256"]
    assert m["source_image_size"] == [64, 64]  # where boundary_distance draws decoded grains
    np.testing.assert_allclose(small[0, 0, 0], images[0, :4, :4].mean(), rtol=1e-6)


def test_config_errors_name_the_potts_keys(full_config):
    from msdl.pipeline import ConfigError, validate_config

    full_config["datasets"]["kmc_grain_growth"]["engine"] = "spparks"
    full_config["datasets"]["kmc_grain_growth"]["seeds"]["first"] = 0
    full_config["datasets"]["kmc_additive_128"]["source"] = "synthetic_smooth"
    with pytest.raises(ConfigError) as err:
        validate_config(full_config)
    assert "datasets.kmc_grain_growth.seeds.first: SPPARKS needs positive seeds" in str(err.value)
    assert "datasets.kmc_additive_128.source: 'synthetic_smooth' is a gaussian_random_field dataset" in str(err.value)
    full_config["datasets"]["kmc_weld"]["pool"]["case"] = "IV"
    with pytest.raises(ConfigError, match=r"datasets.kmc_weld.pool.case: 'IV' is not one of"):
        validate_config(full_config)


def test_full_scale_counts(full_config):
    for name in ("kmc_grain_growth", "kmc_additive", "kmc_weld"):
        seeds = full_config["datasets"][name]["seeds"]
        assert (seeds["n_train"], seeds["n_test"]) == (40000, 10000)
    assert full_config["models"]["ae_kmc_gg"]["dataset"] == "kmc_grain_growth_112"
