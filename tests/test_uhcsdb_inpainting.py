"""Inpainting augmentation: PatchMatch + patch-averaged reconstruction refill holes from
the rest of the image, two-point statistics, and the Figure 2-6 job."""

import json

import numpy as np
import pytest

from msdl.progress import get_logger
from msdl.shards import load_shard
from msdl.uhcsdb.augment import inpainting_job
from msdl.uhcsdb.curation import read_csv
from msdl.uhcsdb.inpainting import closeness, diffusion_fill, inpaint, levels_for, random_mask, two_point_statistics
from msdl.uhcsdb.standins import microstructure


def stripes(shape=(64, 96), period=8):
    x = np.arange(shape[1])
    return np.tile((x % period < period // 2).astype(float) * 0.6 + 0.2, (shape[0], 1))


def test_a_periodic_texture_is_restored_and_known_pixels_kept():
    image = stripes()
    mask = np.zeros(image.shape, bool)
    mask[20:36, 30:50] = True
    filled = inpaint(image, mask, patch=7, seed=0)
    assert np.array_equal(filled[~mask], image[~mask])
    assert np.sqrt(np.mean((filled[mask] - image[mask]) ** 2)) < 0.05  # stripes continue through the hole
    assert np.sqrt(np.mean((diffusion_fill(image, mask)[mask] - image[mask]) ** 2)) > 0.15  # a smooth fill cannot
    assert np.array_equal(filled, inpaint(image, mask, patch=7, seed=0))  # same seed, same result


def test_multiscale_levels_follow_hole_size():
    small, large = np.zeros((200, 200), bool), np.zeros((200, 200), bool)
    small[50:60, 50:60] = True
    large[40:160, 40:160] = True
    assert levels_for(small, 7) == 1 and levels_for(large, 7) == 4
    image = microstructure((200, 200), 0.1, seed=0) / 255.0
    filled = inpaint(image, large, patch=7, seed=1)  # four levels run end to end
    # a hole 60 % of the image wide: texture survives only partly at this depth (see levels_for)
    assert filled.shape == image.shape and np.isfinite(filled).all() and filled[large].std() > 0.02


def test_two_point_statistics():
    rng = np.random.default_rng(0)
    phase = rng.random((128, 128)) < 0.3
    s2 = two_point_statistics(phase, np.ones_like(phase), 5)
    assert s2.shape == (11, 11) and s2[5, 5] == pytest.approx(phase.mean())
    assert np.nanmean(np.delete(s2.ravel(), 60)) == pytest.approx(phase.mean() ** 2, abs=0.01)
    image = microstructure((96, 96), 0.1, seed=1) / 255.0
    mask = random_mask(image.shape, 2, (10, 20), rng)
    assert closeness(image, image, mask, 0.5)["s2_rms_difference"] == 0.0
    assert closeness(image, diffusion_fill(image, mask), mask, 0.5)["s2_rms_difference"] > 0


def test_inpainting_job_writes_shard_closeness_and_figure(tmp_path):
    from PIL import Image

    image = microstructure((100, 150), 190.5 / 1964, seed=2)
    (tmp_path / "rescaled").mkdir()
    Image.fromarray(image).save(tmp_path / "rescaled" / "micrograph2.png")
    rescaled = [
        {
            "path": "micrograph2.tif",
            "status": "rescaled",
            "rescaled_height": "100",
            "rescaled_width": "150",
            "scale_factor": "1",
            "rescaled_file": "micrograph2.png",
        }
    ]
    settings = {
        "micrograph": None,
        "crop": [96, 128],
        "variants": 3,
        "holes": 2,
        "hole_size": [8, 16],
        "patch": 7,
        "seed": 0,
    }
    out = {
        k: tmp_path / "out" / v
        for k, v in {
            "array": "train/shard-0000.npy",
            "manifest": "train/shard-0000.json",
            "csv": "closeness.csv",
            "figure": "fig.png",
        }.items()
    }
    rows = inpainting_job(
        rescaled, tmp_path / "rescaled", settings, "stand-ins", *map(str, out.values()), get_logger("t")
    )
    variants, manifest = load_shard(out["array"])
    assert (
        variants.shape == (3, 96, 128)
        and manifest["micrograph"] == "micrograph2.tif"
        and manifest["frames"] == "stand-ins"
    )
    original = image[:96, :128] / 255.0
    changed = np.abs(variants - original) > 1e-6
    for k, variant_rows in enumerate(read_csv(out["csv"])):
        assert int(variant_rows["variant"]) == k and float(variant_rows["hole_fraction"]) == pytest.approx(
            rows[k]["hole_fraction"]
        )
        assert changed[k].mean() <= float(variant_rows["hole_fraction"]) + 1e-9  # only the holes change
    assert out["figure"].stat().st_size > 10_000
    json.loads(out["manifest"].read_text())
    with pytest.raises(ValueError, match="not among the rescaled"):
        inpainting_job(
            rescaled,
            tmp_path / "rescaled",
            {**settings, "micrograph": "micrograph9.tif"},
            "x",
            *map(str, out.values()),
            get_logger("t"),
        )
