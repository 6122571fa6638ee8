# Config validation, paths and input functions shared by every stage.
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

import yaml
from msdl.config import ConfigError, dataset_shards, generator_dataset
from msdl.pipeline import validate_config

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


RESULTS = config["results"]
DATASETS = config["datasets"]
MODELS = config["models"]


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


def shard_arrays(dataset, split=None):
    """The .npy files of a dataset's shards (of one split, or all)."""
    if dataset in UHCSDB_DATASETS:
        return uhcsdb_shard_arrays(
            dataset, split
        )  # data-dependent: workflow/rules/uhcsdb.smk
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


def resources_of(stage):
    """Rule resources from config `resources.<stage>` (profiles map them to schedulers)."""
    return config["resources"][stage]


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


def potts_outputs():
    """Every shard of each Potts dataset (the weld's too, which no model reads) and
    Figures 2-3/2-4/2-5, a 3x3 grid per dataset (workflow/rules/potts.smk)."""
    out = []
    for name in POTTS_DATASETS:
        out += shard_arrays(name)
        out.append(f"{RESULTS}/figures/microstructure_grid_{name}.png")
    return out


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


def evaluation_outputs():
    out = [f"{RESULTS}/evaluation/summary.csv", f"{RESULTS}/figures/score_summary.png"]
    for name in MODELS:
        out.append(f"{RESULTS}/figures/{name}_scores.png")
        out.append(f"{RESULTS}/figures/{name}_interpolation.png")
    for name in GANS:
        out.append(f"{RESULTS}/figures/{name}_scores.png")
    return out


def all_outputs():
    out = []
    for name in THRESHOLD_DATASETS:
        out.append(f"{RESULTS}/figures/microstructures_{name}.png")
    for name in MODELS:
        out += [
            f"{RESULTS}/models/{name}/layers.txt",
            f"{RESULTS}/figures/{name}_reconstructions.png",
            f"{RESULTS}/figures/{name}_latent_samples.png",
            f"{RESULTS}/figures/{name}_loss.png",
        ]
    out += LOCALIZATION_TARGETS  # workflow/rules/localization.smk
    out += potts_outputs()
    out += uhcsdb_outputs()
    out += search_outputs()  # workflow/rules/search.smk
    out += evaluation_outputs()  # workflow/rules/evaluation.smk
    return out
