# Shared by every stage: config validation, constants, wildcard constraints, and every
# input function and helper `def` of the workflow (snakemake --lint wants functions apart
# from rules, so the stage files hold rules and their target lists only). Stage targets
# are named in each stage's file (SYNTHETIC_TARGETS, ... SEARCH_TARGETS); `rule all` in
# the Snakefile takes them in pipeline order.
import json
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

import yaml
import msdl.localization.plan as localization_plan
from msdl.config import ConfigError, dataset_shards, generator_dataset
from msdl.pipeline import validate_config
from msdl.search.grid import trial_names, trial_regex
from msdl.shards import shard_plan
from msdl.uhcsdb import frames_label

try:
    validate_config(
        config,
        yaml.safe_load(
            Path(workflow.source_path("../schemas/config.schema.yaml")).read_text()
        ),
    )
except ConfigError as err:
    raise WorkflowError(
        f"config.yaml (with any --configfile/--config overrides): {err}"
    )


# ---- constants ----------------------------------------------------------------------
RESULTS = config["results"]
DATASETS = config["datasets"]
MODELS = config["models"]  # autoencoders and VAEs (workflow/rules/training.smk)
GANS = config.get("gans") or {}  # GANs of UHCSDB patches (workflow/rules/training.smk)
UHCSDB = config.get("uhcsdb", {})  # curation settings (workflow/rules/uhcsdb.smk)
U = f"{RESULTS}/uhcsdb"
# Architecture search: trial names expanded from config `search.<name>.grid` at parse
# time (workflow/rules/search.smk, msdl/search/grid.py).
SEARCHES = config.get("search") or {}
SEARCH_TRIALS = {name: trial_names(s) for name, s in SEARCHES.items()}


def _names_regex(names):
    """A wildcard constraint matching exactly these names (or nothing)."""
    return "|".join(sorted(names)) or "(?!x)x"


GAUSSIAN_DATASETS = [
    n for n, d in DATASETS.items() if d["generator"] == "gaussian_random_field"
]
THRESHOLD_DATASETS = [n for n, d in DATASETS.items() if d["generator"] == "threshold"]
POTTS_DATASETS = [
    n
    for n, d in DATASETS.items()
    if d["generator"] in ("potts_grain_growth", "am_ellipsoid", "potts_weld")
]
DOWNSAMPLE_DATASETS = [n for n, d in DATASETS.items() if d["generator"] == "downsample"]
UHCSDB_DATASETS = [n for n, d in DATASETS.items() if d["generator"] == "uhcsdb_patches"]


wildcard_constraints:
    dataset=_names_regex(DATASETS),
    model=_names_regex(MODELS),
    split="train|test",
    index=r"\d{4}",


# ---- every stage ----------------------------------------------------------------------
def resources_of(stage):
    """Rule resources from config `resources.<stage>` (profiles map them to schedulers)."""
    return config["resources"][stage]


def shard_arrays(dataset, split=None):
    """The .npy files of a dataset's shards (of one split, or all)."""
    if dataset in UHCSDB_DATASETS:
        return uhcsdb_shard_arrays(dataset, split)  # data-dependent: a checkpoint
    return [
        f"{RESULTS}/datasets/{dataset}/{s.split}/{s.name}.npy"
        for s in dataset_shards(config, dataset)
        if split is None or s.split == split
    ]


def shard_of(dataset, split, index):
    """The Shard object of a wildcard triple; a clear error for one not in the plan."""
    for s in dataset_shards(config, dataset):
        if s.split == split and s.index == int(index):
            return s
    raise WorkflowError(
        f"dataset {dataset}: no {split} shard {index} in the configured seed range"
    )


# ---- uhcsdb (workflow/rules/uhcsdb.smk) -------------------------------------------------
def uhcsdb_metadata():
    return UHCSDB.get("metadata") or f"{U}/standins/metadata.csv"


def uhcsdb_frames():
    return UHCSDB.get("micrographs") or f"{U}/standins/frames"


def uhcsdb_shard_arrays(dataset, split=None):
    """Shards of a patch dataset: their count is known once its checkpoint has run."""
    summary = checkpoints.uhcsdb_patches.get(dataset=dataset).output.summary
    n = json.loads(Path(summary).read_text())["n"]
    plan = shard_plan(0, n["train"], n["test"], DATASETS[dataset]["shard_size"])
    return [
        f"{RESULTS}/datasets/{dataset}/{s.split}/{s.name}.npy"
        for s in plan
        if split is None or s.split == split
    ]


# ---- training (workflow/rules/training.smk) -------------------------------------------
def model_inputs(wildcards):
    dataset = MODELS[wildcards.model]["dataset"]
    return {
        "train": shard_arrays(dataset, "train"),
        "test": shard_arrays(dataset, "test"),
        "normalization": f"{RESULTS}/datasets/{dataset}/normalization.json",
    }


def figure_inputs(wildcards):
    """A trained model, its metrics, test shards, and enough train shards to fit the latent Gaussian."""
    dataset = MODELS[wildcards.model]["dataset"]
    shard_size = generator_dataset(config, dataset)["shard_size"]
    n_fit = -(-config["figures"]["latent_fit_images"] // shard_size)
    return {
        "model": f"{RESULTS}/models/{wildcards.model}/model.pt",
        "metrics": f"{RESULTS}/models/{wildcards.model}/metrics.csv",
        "train": shard_arrays(dataset, "train")[:n_fit],
        "test": shard_arrays(dataset, "test")[:1],
    }


def figure_title(model):
    """A model's name for figure titles; models of UHCSDB patches say what the frames were."""
    if MODELS[model]["dataset"] in UHCSDB_DATASETS:
        return f"{model} [{frames_label(UHCSDB)}]"
    return model


# ---- evaluation (workflow/rules/evaluation.smk) ---------------------------------------
def evaluation_inputs(dataset, model_file):
    """A model file plus the shards its judge reads: enough train images for the floor and
    the latent fit, enough test images for the reference set."""
    images = config["evaluation"]["images"]
    n_train = max(images, config["figures"]["latent_fit_images"])
    size = generator_dataset(config, dataset)["shard_size"]
    return {
        "model": model_file,
        "train": shard_arrays(dataset, "train")[: -(-n_train // size)],
        "test": shard_arrays(dataset, "test")[: -(-images // size)],
    }


# ---- search (workflow/rules/search.smk) -----------------------------------------------
def search_trial_inputs(wildcards):
    """Train shards (the first ones holding `max_train` images), test shards, statistics."""
    search = SEARCHES[wildcards.search]
    dataset = search["dataset"]
    train = shard_arrays(dataset, "train")
    if search.get("max_train"):
        shard_size = generator_dataset(config, dataset)["shard_size"]
        train = train[: -(-search["max_train"] // shard_size)]
    return {
        "train": train,
        "test": shard_arrays(dataset, "test"),
        "normalization": f"{RESULTS}/datasets/{dataset}/normalization.json",
    }


def search_records(wildcards):
    return expand(
        f"{RESULTS}/search/{wildcards.search}/{{trial}}/trial.json",
        trial=SEARCH_TRIALS[wildcards.search],
    )
