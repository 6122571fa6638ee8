"""The workflow itself: lint, format, the full-scale DAG on every profile, and a tiny
end-to-end run through real Snakemake whose every output is checked by content."""

import json
import re
import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import BIN, ROOT, snakemake
from msdl.normalization import sample_statistics
from msdl.shards import load_shard
from msdl.synthetic import binarize
from msdl.train import read_metrics


def job_count(output: str) -> int:
    return int(re.search(r"^total\s+(\d+)$", output, re.M).group(1))


def test_lint_is_clean():
    snakemake("--lint")


def test_snakefmt_is_clean():
    import subprocess

    proc = subprocess.run([str(BIN / "snakefmt"), "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("profile", [None, "profiles/slurm", "profiles/lsf"])
def test_full_scale_dry_run_on_each_profile(profile):
    """50,000 seeds per dataset in 100 shards each, four models: 721 jobs, no scheduler needed.

    210 for the synthetic sets and their two AEs; 300 Potts shards, 200 downsampled
    shards, 3 grids and 2 x (statistics, layer table, training, figures) for the kMC sets."""
    args = ["-n"] + (["--profile", profile] if profile else [])
    out = snakemake(*args).stdout
    assert job_count(out) == 721
    assert re.search(r"^potts_shard\s+300$", out, re.M) and re.search(r"^downsample_shard\s+200$", out, re.M)
    assert re.search(r"^gaussian_random_field_shard\s+100$", out, re.M)
    assert re.search(r"^threshold_shard\s+100$", out, re.M)


def test_lsf_profile_puts_training_on_a_gpu_queue():
    out = snakemake("-n", "--profile", "profiles/lsf").stdout
    blocks = out.split("\nrule ")
    train = [b for b in blocks if b.startswith("train_autoencoder:")]
    shard = [b for b in blocks if b.startswith("gaussian_random_field_shard:")]
    assert len(train) == 4 and shard
    for block in train:
        assert "lsf_queue=rhel7G" in block and "lsf_extra=-gpu num=1:mode=exclusive_process" in block
    assert "lsf_queue=rhel7F" in shard[0] and "-gpu" not in shard[0]


TINY = {
    "datasets": {"synthetic_smooth": {"seeds": {"n_train": 64, "n_test": 24}, "shard_size": 32}},
    "models": {
        "ae_smooth": {"epochs": 2, "figure_epochs": [1, 2], "batch_size": 16},
        "ae_binary": {"epochs": 2, "figure_epochs": [2], "batch_size": 16},
    },
    "figures": {"latent_fit_images": 40, "latent_samples": 16, "reconstructions": 4},
}
# The Potts sets shrunk to seconds: small lattices, short runs (physics of the demo and
# of full scale are tested in tests/test_potts_*.py).
TINY["datasets"] |= {
    "kmc_grain_growth": {"seeds": {"n_train": 4, "n_test": 2}, "shard_size": 4, "sites": [32, 32], "time": 20, "image_size": [64, 64]},
    "kmc_additive": {"seeds": {"n_train": 4, "n_test": 2}, "shard_size": 4, "sites": [40, 30], "image_size": [80, 80],
                     "melt_pool": {"spot_width": 10, "melt_tail_length": 10, "melt_depth": 3, "cap_height": 3, "haz": 14,
                                   "tail_haz": 16, "depth_haz": 5, "cap_haz": 5, "exp_factor": 0.1},
                     "scan": {"speed": 20, "hatch": 15, "offset": [-10.0, 0.0]}},
    "kmc_weld": {"seeds": {"n_train": 1, "n_test": 2}, "shard_size": 2, "sites": [40, 40], "time": 5, "image_size": [80, 80],
                 "crop_columns": [10, 70], "pool": {"yp": 0, "alpha": 0.75, "beta": 0.5, "velocity": 12.0, "haz": 10.0, "width": 20.0, "case": "III"}},
}
TINY["models"] |= {
    "ae_kmc_gg": {"epochs": 1, "figure_epochs": [1], "batch_size": 4},
    "ae_kmc_additive": {"epochs": 1, "figure_epochs": [1], "batch_size": 4},
}


@pytest.mark.slow
def test_tiny_end_to_end_run(tmp_path):
    results = tmp_path / "results"
    overlay = tmp_path / "tiny.yaml"
    overlay.write_text(yaml.safe_dump({**TINY, "results": str(results)}))
    configs = ["--configfiles", "profiles/local/demo.yaml", str(overlay)]
    run = snakemake("--profile", "profiles/local", *configs, "--cores", "2")
    assert "Finished job" in run.stderr or "steps (100%) done" in run.stderr

    # shards: checksums verified by load_shard, layout as configured, binary = threshold of smooth
    smooth_dir, binary_dir = results / "datasets/synthetic_smooth", results / "datasets/synthetic_binary"
    assert sorted(p.name for p in (smooth_dir / "train").glob("*.npy")) == ["shard-0000.npy", "shard-0001.npy"]
    for split in ("train", "test"):
        for npy in sorted((smooth_dir / split).glob("*.npy")):
            smooth, manifest = load_shard(npy)
            binary, bmanifest = load_shard(binary_dir / split / npy.name)
            assert bmanifest["source_sha256"] == manifest["sha256"] and bmanifest["seeds"] == manifest["seeds"]
            np.testing.assert_array_equal(binary, np.stack([binarize(img, 0.5) for img in smooth]))
    assert not list(results.rglob(".tmp-*"))

    stats = json.loads((smooth_dir / "normalization.json").read_text())
    expected = sample_statistics(sorted((smooth_dir / "train").glob("*.npy")))
    assert stats["mean"] == pytest.approx(expected["mean"]) and stats["std"] == pytest.approx(expected["std"])
    assert stats["n_samples"] == 64

    assert "Total params: 8,801" in (results / "models/ae_smooth/layers.txt").read_text()
    assert "Total params: 15,833" in (results / "models/ae_binary/layers.txt").read_text()
    for model in ("ae_smooth", "ae_binary"):
        rows = read_metrics(results / f"models/{model}/metrics.csv")
        assert [r["epoch"] for r in rows] == [1, 2] and all(np.isfinite(r["test_mse"]) for r in rows)
        log = (results / f"logs/models/{model}/train.log").read_text()
        assert "ETA" in log and "images/s" in log
        for fig in ("reconstructions", "latent_samples", "loss"):
            with Image.open(results / f"figures/{model}_{fig}.png") as img:
                pixels = np.asarray(img.convert("L"), dtype=np.float32)
            assert min(pixels.shape) > 200 and pixels.std() > 10  # a drawn figure, not a blank
    with Image.open(results / "figures/microstructures_synthetic_binary.png") as img:
        assert np.asarray(img.convert("L")).std() > 30
    # Potts: boundary images at the configured sizes, AE inputs area-averaged, the grids drawn
    gg, gg_manifest = load_shard(results / "datasets/kmc_grain_growth/train/shard-0000.npy")
    assert gg.shape == (4, 64, 64) and gg_manifest["engine"] == "builtin" and set(np.unique(gg)) == {0, 1}
    assert load_shard(results / "datasets/kmc_weld/test/shard-0000.npy")[0].shape == (2, 80, 60)
    assert load_shard(results / "datasets/kmc_grain_growth_112/test/shard-0000.npy")[0].shape == (2, 112, 112)
    assert load_shard(results / "datasets/kmc_additive_128/train/shard-0000.npy")[0].shape == (4, 128, 128)
    assert "Total params: 8,793" in (results / "models/ae_kmc_gg/layers.txt").read_text()
    assert "Total params: 14,847" in (results / "models/ae_kmc_additive/layers.txt").read_text()
    for name in ("kmc_grain_growth", "kmc_additive", "kmc_weld"):
        with Image.open(results / f"figures/microstructure_grid_{name}.png") as img:
            assert np.asarray(img.convert("L")).std() > 10

    # a finished DAG has nothing left to do
    again = snakemake("--profile", "profiles/local", *configs, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr

    # a lost shard, asked for again, is regenerated alone and with the same bytes
    lost = smooth_dir / "test/shard-0000.npy"
    before = lost.read_bytes()
    lost.unlink()
    plan = snakemake("--profile", "profiles/local", *configs, "-n", str(lost)).stdout
    assert job_count(plan) == 1 and re.search(r"^gaussian_random_field_shard\s+1$", plan, re.M)
    snakemake("--profile", "profiles/local", *configs, "--cores", "2", str(lost))
    assert lost.read_bytes() == before
    shutil.rmtree(results)
