"""Configuration: schema validation plus the checks a schema cannot express.

Every error names the key at fault as a dotted path, e.g.
``datasets.synthetic_binary.volume_fraction: 1.5 is greater than or equal to the maximum of 1``.

The schema is checked by :data:`ConfigValidator`, JSON Schema 2020-12 made strict about
numbers: ``number`` is a finite int or float (``.nan``, ``.inf`` are rejected as
``key: nan is not a finite number``), ``integer`` is an int (``2.0`` is rejected as
``key: 2.0 is not an integer``), and a boolean is neither. Two custom keywords:
``x-directory`` checks a directory path (see :func:`directory_problem`), and
``x-expected`` words the message of a failed ``pattern``.
"""

from __future__ import annotations

import math
import posixpath
import string
from pathlib import Path

import numpy as np
import yaml
from jsonschema import Draft202012Validator, ValidationError, validators

from msdl.shards import Shard, shard_plan

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every fault with its key."""


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    return yaml.load(Path(path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


#: Seeds lie in numpy's legacy uint32 seed range (every seed of a dataset, not only ``first``).
MAX_SEED = 2**32 - 1
#: SPPARKS reads its seed as a C int and its Park-Miller generator needs 0 < seed < 2**31 - 1.
MAX_SPPARKS_SEED = 2**31 - 2
#: Shard files are ``shard-0000`` .. ``shard-9999`` per split (the workflow's ``index`` is 4 digits).
MAX_SHARDS_PER_SPLIT = 10_000


def _is_number(checker, instance) -> bool:
    """A finite int or float; not a boolean (an int too large for a float is finite)."""
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, float) and math.isfinite(instance))


def _is_integer(checker, instance) -> bool:
    """An int, not a float of integral value (``2.0``) and not a boolean."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _type(validator, types, instance, schema):
    """The ``type`` keyword, with plain messages for the number faults it now catches."""
    names = [types] if isinstance(types, str) else list(types)
    if any(validator.is_type(instance, name) for name in names):
        return
    numeric = {"number", "integer"} & set(names)
    if numeric and isinstance(instance, float) and not math.isfinite(instance):
        yield ValidationError(f"{instance!r} is not a finite number")
    elif "integer" in names and "number" not in names and isinstance(instance, float):
        hint = f" (write {int(instance)})" if instance.is_integer() else ""
        yield ValidationError(f"{instance!r} is not an integer{hint}")
    elif numeric and isinstance(instance, bool):
        wanted = "a number" if "number" in names else "an integer"
        yield ValidationError(f"{str(instance).lower()} is a boolean, not {wanted}")
    else:
        yield from Draft202012Validator.VALIDATORS["type"](validator, types, instance, schema)


def _pattern(validator, pattern, instance, schema):
    """The ``pattern`` keyword; a schema's ``x-expected`` (words) replaces the regex in the message."""
    for error in Draft202012Validator.VALIDATORS["pattern"](validator, pattern, instance, schema):
        if "x-expected" in schema:
            error = ValidationError(f"{instance!r} does not match {schema['x-expected']}")
        yield error


_PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._+-/")


def directory_problem(path: str) -> str | None:
    """Why ``path`` is not usable as the workflow's output directory, or None.

    Accepted: a relative or absolute path in normal form (``results``, ``results/demo``,
    ``../runs/a``, ``/scratch/me/msdl``) of ASCII letters, digits and ``. _ - + /``. Rejected:
    empty, the filesystem root, the working directory itself, shell or control
    characters, ``~`` (never expanded), a component starting with ``-``, and paths
    Snakemake would match inconsistently (``./results``, ``results/``, ``a//b``).
    """
    if path == "":
        return "'' is empty; name a directory, e.g. results"
    if path.strip("/") == "":
        return f"{path!r} is the filesystem root; name a directory below it, e.g. /scratch/msdl/results"
    if path.startswith("~"):
        return f"{path!r}: '~' is not expanded here; write the absolute path"
    bad = sorted({c for c in path if c not in _PATH_CHARACTERS})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return f"{path!r} contains {shown}; a directory path here has only letters, digits and . _ - + /"
    normal = posixpath.normpath(path)
    if normal == ".":
        return f"{path!r} is the working directory itself; name a subdirectory, e.g. results"
    if normal != path:
        return f"{path!r} is not in normal form; write {normal!r}"
    if any(part.startswith("-") for part in path.split("/")):
        return f"{path!r} has a component starting with '-', which commands would read as an option"
    return None


def _directory(validator, enabled, instance, schema):
    """The custom keyword ``x-directory: true``: a usable directory path (strings only)."""
    if enabled and isinstance(instance, str):
        problem = directory_problem(instance)
        if problem:
            yield ValidationError(problem)


ConfigValidator = validators.extend(
    Draft202012Validator,
    validators={"type": _type, "pattern": _pattern, "x-directory": _directory},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"number": _is_number, "integer": _is_integer}),
)


def _non_finite(node, path=()):
    """``(path, value)`` of every non-finite float anywhere in ``node``."""
    if isinstance(node, float) and not math.isfinite(node):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _non_finite(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _non_finite(value, (*path, index))


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Schema violations as ``key: message`` lines, in key order.

    A non-finite float is an error wherever it is, even where the schema leaves the type open.
    """
    validator = ConfigValidator(schema)
    errors = [(tuple(e.absolute_path), e.message) for e in validator.iter_errors(config)]
    flagged = {path for path, _ in errors}
    errors += [
        (path, f"{value!r} is not a finite number") for path, value in _non_finite(config) if path not in flagged
    ]
    errors.sort(key=lambda e: [str(p) for p in e[0]])
    return [f"{_key(path)}: {message}" for path, message in errors]


def _seed_errors(key: str, ds: dict) -> list[str]:
    """Seed range and shard count of a dataset that owns seeds (``first``, ``n_train``, ``n_test``)."""
    errors = []
    seeds = ds["seeds"]
    last = seeds["first"] + seeds["n_train"] + seeds["n_test"] - 1
    if ds.get("engine") == "spparks" and last > MAX_SPPARKS_SEED:
        errors.append(
            f"{key}.seeds: SPPARKS needs seeds in 1..{MAX_SPPARKS_SEED} (a positive 32-bit int below 2**31 - 1); "
            f"these run from {seeds['first']} to {last}"
        )
    elif last > MAX_SEED:
        errors.append(
            f"{key}.seeds: the seeds run from {seeds['first']} to {last}, beyond the largest seed {MAX_SEED} (2**32 - 1)"
        )
    for split in ("n_train", "n_test"):
        shards = math.ceil(seeds[split] / ds["shard_size"])
        if shards > MAX_SHARDS_PER_SPLIT:
            errors.append(
                f"{key}.shard_size: {seeds[split]} {split[2:]} seeds in shards of {ds['shard_size']} make {shards} "
                f"shards; a split has at most {MAX_SHARDS_PER_SPLIT} (shard-0000..shard-9999), so use a shard_size "
                f"of at least {math.ceil(seeds[split] / MAX_SHARDS_PER_SPLIT)}"
            )
    return errors


def semantic_errors(config: dict) -> list[str]:
    """Cross-field checks: positive-definite covariances, references, epochs."""
    errors = []
    datasets = config["datasets"]
    for name, ds in datasets.items():
        key = f"datasets.{name}"
        if "seeds" in ds:
            errors += _seed_errors(key, ds)
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
