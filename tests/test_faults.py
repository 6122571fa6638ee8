"""Snakemake itself killed mid-DAG (a lost login session, a node crash) and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np
import pytest
from helpers import BIN, ROOT, snakemake, tiny_config

from msdl.config import dataset_shards
from msdl.shards import load_shard
from msdl.synthetic.jobs import generate_gaussian_shard

pytestmark = pytest.mark.slow

# ten shards of 12 seeds, run one job at a time so that the kill lands mid-DAG
# (256x256 images: no 128x128 network, e.g. the binary architecture search, can read them; off)
MANY_SHARDS = {
    "datasets": {
        "synthetic_smooth": {"image_size": [256, 256], "seeds": {"n_train": 96, "n_test": 24}, "shard_size": 12}
    },
    "search": {"binary": {"enabled": False}},
}


def _finished_shards(results):
    """Shards whose manifest exists (written last, atomically): ``{path: mtime_ns}``."""
    return {p: p.stat().st_mtime_ns for p in (results / "datasets").rglob("shard-*.json")}


def test_killed_snakemake_restarts_without_redoing_finished_shards(tmp_path):
    results = tmp_path / "results"
    configs = tiny_config(tmp_path, results, **MANY_SHARDS)
    target = results / "datasets/synthetic_binary/normalization.json"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(
        [str(BIN / "snakemake"), str(target), "--profile", "profiles/local", *configs, "--cores", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while len(_finished_shards(results)) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the job it was running, at once
    proc.wait()
    before = _finished_shards(results)
    assert 4 <= len(before) < 16, f"the kill did not land mid-DAG ({len(before)} of 16 shards done)"

    # the documented restart: release the dead run's lock, then the same command again
    snakemake(str(target), "--profile", "profiles/local", *configs, "--unlock")
    restart = snakemake(str(target), "--profile", "profiles/local", *configs, "--cores", "2")
    assert "steps (100%) done" in restart.stderr
    after = _finished_shards(results)
    assert len(after) == 16  # 8 train shards of smooth and of binary feed the statistics
    # With one job at a time, only the job in flight at the kill may run again: Snakemake
    # had not recorded it as complete even if its files were already renamed into place.
    newest = max(before, key=before.get)
    redone = [str(p) for p, mtime in before.items() if after[p] != mtime and p != newest]
    assert not redone, f"finished shards were redone: {redone}"

    # every shard is whole and is exactly what an uninterrupted generation gives
    import yaml

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    smooth = {**config["datasets"]["synthetic_smooth"], **MANY_SHARDS["datasets"]["synthetic_smooth"]}
    for shard in dataset_shards(
        {"datasets": {"synthetic_smooth": {**smooth, "seeds": {"first": 0, "n_train": 96, "n_test": 24}}}},
        "synthetic_smooth",
    ):
        if shard.split != "train":
            continue
        got, _ = load_shard(results / "datasets/synthetic_smooth" / shard.split / f"{shard.name}.npy")
        ref = tmp_path / "ref" / f"{shard.split}-{shard.name}.npy"
        generate_gaussian_shard("synthetic_smooth", smooth, shard, ref, ref.with_suffix(".json"))
        np.testing.assert_array_equal(got, np.load(ref))
        binary, _ = load_shard(results / "datasets/synthetic_binary" / shard.split / f"{shard.name}.npy")
        assert int(binary[0].sum()) == 256 * 256 // 2
    assert not list((results / "datasets").rglob(".tmp-*"))
