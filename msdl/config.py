"""Configuration: schema validation plus the checks a schema cannot express.

Every error names the key at fault as a dotted path, e.g.
``datasets.synthetic_binary.volume_fraction: 1.5 is greater than or equal to the maximum of 1``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from jsonschema import Draft202012Validator

from msdl.shards import Shard, shard_plan

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every fault with its key."""


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    return yaml.safe_load(Path(path).read_text())


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Schema violations as ``key: message`` lines, in key order."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_key(e.absolute_path)}: {e.message}" for e in errors]


def semantic_errors(config: dict) -> list[str]:
    """Cross-field checks: positive-definite covariances, references, epochs."""
    errors = []
    datasets = config["datasets"]
    for name, ds in datasets.items():
        key = f"datasets.{name}"
        if ds["generator"] == "gaussian_random_field":
            c = np.asarray(ds["covariance"], dtype=float)
            if not np.allclose(c, c.T):
                errors.append(f"{key}.covariance: {c.tolist()} is not symmetric (c_xy must equal c_yx)")
            elif np.linalg.eigvalsh(c).min() <= 0:
                errors.append(
                    f"{key}.covariance: {c.tolist()} is not positive definite "
                    f"(eigenvalues {np.round(np.linalg.eigvalsh(c), 6).tolist()})"
                )
        elif ds["generator"] == "threshold":
            source = datasets.get(ds["source"])
            if source is None:
                errors.append(f"{key}.source: no dataset named {ds['source']!r} (have {sorted(datasets)})")
            elif source["generator"] != "gaussian_random_field":
                errors.append(
                    f"{key}.source: {ds['source']!r} is a {source['generator']} dataset; it must be a gaussian_random_field"
                )
        elif ds["generator"] == "downsample":
            source = datasets.get(ds["source"])
            if source is None:
                errors.append(f"{key}.source: no dataset named {ds['source']!r} (have {sorted(datasets)})")
            elif source["generator"] not in ("potts_grain_growth", "am_ellipsoid", "potts_weld"):
                errors.append(
                    f"{key}.source: {ds['source']!r} is a {source['generator']} dataset; it must be a Potts dataset"
                )
        if ds.get("engine") == "spparks":
            if ds["seeds"]["first"] < 1:
                errors.append(f"{key}.seeds.first: SPPARKS needs positive seeds, got first = {ds['seeds']['first']}")
            if "spparks" not in config:
                errors.append(
                    f"{key}.engine: 'spparks' needs the top-level `spparks` section (executable, mpi_ranks, ...)"
                )
    uhcsdb_datasets = [n for n, d in datasets.items() if d["generator"] == "uhcsdb_patches"]
    if uhcsdb_datasets and "uhcsdb" not in config:
        errors.append(f"uhcsdb: missing; datasets {uhcsdb_datasets} need the uhcsdb section")
    section = config.get("uhcsdb")
    if section is not None and (section["metadata"] is None) != (section["micrographs"] is None):
        errors.append(
            "uhcsdb.micrographs: metadata and micrographs must both be set (real images) or both be null "
            f"(stand-in frames); got metadata={section['metadata']!r}, micrographs={section['micrographs']!r}"
        )
    inpainting = (section or {}).get("inpainting")
    if inpainting is not None:
        if inpainting["patch"] % 2 == 0:
            errors.append(f"uhcsdb.inpainting.patch: {inpainting['patch']} must be odd")
        low, high = inpainting["hole_size"]
        if low > high:
            errors.append(f"uhcsdb.inpainting.hole_size: [{low}, {high}] is not [min, max]")
    for name, gan in (config.get("gans") or {}).items():
        key = f"gans.{name}"
        ds = datasets.get(gan["dataset"])
        if ds is None or ds["generator"] != "uhcsdb_patches" or ds["patch_size"] != [64, 64]:
            errors.append(f"{key}.dataset: {gan['dataset']!r} is not a uhcsdb_patches dataset of 64x64 patches")
        late = [e for e in gan["figure_epochs"] if e > gan["epochs"]]
        if late:
            errors.append(f"{key}.figure_epochs: {late} are beyond epochs = {gan['epochs']}")
    for name, model in config["models"].items():
        key = f"models.{name}"
        if model["dataset"] not in datasets:
            errors.append(f"{key}.dataset: no dataset named {model['dataset']!r} (have {sorted(datasets)})")
        late = [e for e in model["figure_epochs"] if e > model["epochs"]]
        if late:
            errors.append(f"{key}.figure_epochs: {late} are beyond epochs = {model['epochs']}")
        for loss_key in ("decoder_sigma", "kl_weight"):
            if loss_key in model and not model["architecture"].startswith("vae_"):
                errors.append(f"{key}.{loss_key}: only for VAE architectures (vae_*), not {model['architecture']!r}")
    return errors


def dataset_image_size(config: dict, name: str) -> tuple[int, int] | None:
    """``(H, W)`` of a dataset's images (a derived set's own, else its source's); None if unknown."""
    seen = set()
    while name in config["datasets"] and name not in seen:  # a source cycle is reported elsewhere
        seen.add(name)
        ds = config["datasets"][name]
        size = ds.get("image_size") or ds.get("patch_size")
        if size:
            return tuple(size)
        name = ds.get("source")
    return None


def validate_config(config: dict, schema: dict | None = None, stage_checks: tuple = ()) -> dict:
    """Raise :class:`ConfigError` listing every fault; return ``config`` when valid.

    ``stage_checks`` are functions ``config -> list of error lines`` that the stages add
    (:func:`msdl.pipeline.validate_config` passes every stage's).
    """
    errors = schema_errors(config, schema if schema is not None else load_schema())
    if not errors:
        errors = semantic_errors(config)
        for check in stage_checks:
            errors += check(config)
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    return config


def generator_dataset(config: dict, name: str) -> dict:
    """The dataset that owns the seeds of ``name``: itself, or for a derived dataset
    (one with a ``source``, e.g. ``threshold``) its source, whose shards it mirrors."""
    ds = config["datasets"][name]
    return generator_dataset(config, ds["source"]) if "source" in ds else ds


def dataset_shards(config: dict, name: str) -> list[Shard]:
    """Every shard of a dataset (a threshold dataset has its source's shards)."""
    ds = generator_dataset(config, name)
    seeds = ds["seeds"]
    return shard_plan(seeds["first"], seeds["n_train"], seeds["n_test"], ds["shard_size"])
