"""The localization stage's plan from config: its checks, its shards and their files."""

from __future__ import annotations

from msdl.config import ConfigError
from msdl.localization.composites import N_NAMES
from msdl.shards import Shard, shard_plan


def config_errors(config: dict) -> list[str]:
    """Checks of the ``localization`` section (absent section: nothing to check)."""
    errors = []
    for name, ds in config.get("localization", {}).get("datasets", {}).items():
        key = f"localization.datasets.{name}"
        seeds = ds["seeds"]
        stop = seeds["first"] + seeds["n_train"] + seeds["n_test"]
        # both generators name (or read) SVEs by the M_gaussian scheme, one name per seed
        if stop > N_NAMES:
            errors.append(
                f"{key}.seeds: seeds end at {stop - 1} but the M_gaussian naming scheme has {N_NAMES} SVEs (seeds 0..{N_NAMES - 1})"
            )
        if ds["generator"] == "elastic_composites":
            lo, hi = ds["volume_fraction"]
            if not lo <= hi:
                errors.append(f"{key}.volume_fraction: [{lo}, {hi}] must be [low, high] with low <= high")
            if ds["elastic"]["strain_xx"] == 0:
                errors.append(
                    f"{key}.elastic.strain_xx: 0 imposes no load (every strain and stress field would be 0); "
                    "use a small non-zero strain, e.g. 0.001"
                )
    datasets = config.get("localization", {}).get("datasets", {})
    for name, model in config.get("localization", {}).get("models", {}).items():
        key = f"localization.models.{name}"
        if name == "mks":
            errors.append(f"{key}: the name 'mks' is taken by the first-order MKS baseline")
        if model["dataset"] not in datasets:
            errors.append(
                f"{key}.dataset: no localization dataset named {model['dataset']!r} (have {sorted(datasets)})"
            )
        if model["architecture"] == "cpnet" and model.get("patch", 11) < model.get("stride_gap", 7):
            errors.append(
                f"{key}.patch: {model.get('patch', 11)} is smaller than stride_gap {model.get('stride_gap', 7)}"
            )
    return errors


def shards(config: dict, name: str) -> list[Shard]:
    """Every shard of a localization dataset."""
    ds = config["localization"]["datasets"][name]
    seeds = ds["seeds"]
    return shard_plan(seeds["first"], seeds["n_train"], seeds["n_test"], ds["shard_size"])


def shard_arrays(config: dict, name: str, split: str | None = None) -> list[str]:
    """The .npy paths of a localization dataset's shards (of one split, or all)."""
    root = f"{config['results']}/localization/{name}"
    return [f"{root}/{s.split}/{s.name}.npy" for s in shards(config, name) if split is None or s.split == split]


def shard_of(config: dict, name: str, split: str, index: str | int) -> Shard:
    """The Shard of a wildcard triple; a clear error for one not in the plan."""
    for s in shards(config, name):
        if s.split == split and s.index == int(index):
            return s
    raise ConfigError(f"localization dataset {name}: no {split} shard {index} in the configured seed range")
