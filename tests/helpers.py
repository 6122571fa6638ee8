"""Helpers the tests import (``from helpers import ...``): paths, the tiny workflow overlay,
a snakemake runner. Pytest fixtures live in conftest.py."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Small reference files the tests read (each group with a README.md: source, licence, users)
DATA = Path(__file__).resolve().parent / "data"
BIN = Path(sys.executable).parent


def spparks_array(name: str) -> np.ndarray:
    """A real SPPARKS final state (int32, ``[y, x]``) from tests/data/spparks/arrays.npz."""
    with np.load(DATA / "spparks" / "arrays.npz", allow_pickle=False) as arrays:
        return arrays[name]


def deep_update(base: dict, overlay: dict) -> dict:
    """Recursive dict merge, as Snakemake merges config files."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# A tiny overlay on the demo: the full DAG in about a minute on 2 cores.
TINY = {
    "datasets": {"synthetic_smooth": {"seeds": {"n_train": 64, "n_test": 24}, "shard_size": 32}},
    "models": {
        "ae_smooth": {"epochs": 2, "figure_epochs": [1, 2], "batch_size": 16},
        "ae_binary": {"epochs": 2, "figure_epochs": [2], "batch_size": 16},
    },
    "figures": {"latent_fit_images": 40, "latent_samples": 16, "reconstructions": 4},
    "evaluation": {"images": 24, "interpolation_pairs": 2, "interpolation_steps": 4},
    "localization": {
        "datasets": {"composites": {"size": 10, "seeds": {"n_train": 8, "n_test": 4}, "shard_size": 6}},
        "metrics": {"r2_sample_sves": 2, "figure_sves": 2, "parity_points": 500, "seed": 0},
        "models": {
            "cpnet": {"epochs": 1, "patches_per_sve": 8, "batch_size": 16},
            "fno": {"epochs": 1, "width": 4, "modes": 2, "layers": 1, "batch_size": 4},
        },
    },
}

# The Potts sets shrunk to seconds: small lattices, short runs (physics of the demo and
# of full scale are tested in tests/test_potts_*.py).
TINY["datasets"] |= {
    "kmc_grain_growth": {
        "seeds": {"n_train": 4, "n_test": 2},
        "shard_size": 4,
        "sites": [32, 32],
        "time": 20,
        "image_size": [64, 64],
    },
    "kmc_additive": {
        "seeds": {"n_train": 4, "n_test": 2},
        "shard_size": 4,
        "sites": [40, 30],
        "image_size": [80, 80],
        "melt_pool": {
            "spot_width": 10,
            "melt_tail_length": 10,
            "melt_depth": 3,
            "cap_height": 3,
            "haz": 14,
            "tail_haz": 16,
            "depth_haz": 5,
            "cap_haz": 5,
            "exp_factor": 0.1,
        },
        "scan": {"speed": 20, "hatch": 15, "offset": [-10.0, 0.0]},
    },
    "kmc_weld": {
        "seeds": {"n_train": 1, "n_test": 2},
        "shard_size": 2,
        "sites": [40, 40],
        "time": 5,
        "image_size": [80, 80],
        "crop_columns": [10, 70],
        "pool": {"yp": 0, "alpha": 0.75, "beta": 0.5, "velocity": 12.0, "haz": 10.0, "width": 20.0, "case": "III"},
    },
}
TINY["models"] |= {
    "ae_kmc_gg": {"epochs": 1, "figure_epochs": [1], "batch_size": 4},
    "ae_kmc_additive": {"epochs": 1, "figure_epochs": [1], "batch_size": 4},
    "ae_uhcsdb": {"epochs": 2, "figure_epochs": [1, 2], "batch_size": 32},
}
# Each VAE as tiny as its AE
TINY["models"] |= {"v" + name: dict(TINY["models"][name]) for name in list(TINY["models"]) if name.startswith("ae_")}
# UHCSDB on its stand-in frames, patch counts capped
TINY["datasets"] |= {
    "uhcsdb_48x64": {"max_train": 96, "max_test": 32, "shard_size": 64},
    "uhcsdb_64x64": {"max_train": 64, "max_test": 32, "shard_size": 64},
}
# Architecture search: 2 trials (MaxPool vs AvgPool) of 2 epochs on one 32-image shard
TINY["search"] = {
    "binary": {
        "max_train": 32,
        "epochs": 2,
        "batch_size": 16,
        "grid": {
            "first_channels": [4],
            "pool": ["max", "avg"],
            "batch_norm": ["none"],
            "activation": ["relu"],
            "loss": ["mse"],
        },
    },
    "kmc_gg": {"enabled": False},
}
TINY["gans"] = {
    "dcgan_uhcsdb": {"epochs": 2, "figure_epochs": [2], "batch_size": 32, "samples": 16, "diversity_samples": 16}
}
# Figure 2-6 from 2 inpainted variants, not 12 (each variant is a full PatchMatch fill)
TINY["uhcsdb"] = {"inpainting": {"variants": 2}}

# Every job on one thread: on a 2-core machine two jobs then run side by side instead of
# each training, figure or evaluation job holding both cores (the demo gives them 2).
ONE_THREAD = {"resources": {stage: {"threads": 1} for stage in ("train", "figures", "evaluate")}}


def tiny_config(tmp_path: Path, results: Path, **overrides) -> list[str]:
    """``--configfiles`` arguments for the demo plus the tiny overlay writing to ``results``."""
    overlay = tmp_path / f"tiny-{results.name}.yaml"
    overlay.write_text(yaml.safe_dump(deep_update({**TINY, "results": str(results)}, overrides)))
    return ["--configfiles", "profiles/local/demo.yaml", str(overlay)]


def snakemake(*args: str, cwd: Path = ROOT, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    """Run the snakemake of this environment in the project root; output captured."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(BIN / "snakemake"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc
