"""Config validation: the shipped configs pass; every fault names its key."""

import copy

import pytest
import yaml
from helpers import snakemake

from msdl.config import dataset_shards
from msdl.pipeline import ConfigError, validate_config


def test_full_scale_config_is_valid_and_report_sized(full_config):
    validate_config(full_config)
    smooth = full_config["datasets"]["synthetic_smooth"]
    assert smooth["seeds"]["n_train"] == 40000 and smooth["seeds"]["n_test"] == 10000
    assert smooth["image_size"] == [128, 128]
    assert full_config["models"]["ae_smooth"]["epochs"] == 160
    assert full_config["models"]["ae_binary"]["epochs"] == 320
    assert len(dataset_shards(full_config, "synthetic_binary")) == 100


def test_demo_changes_only_counts_and_epochs(full_config, demo_config):
    validate_config(demo_config)
    flat = lambda d, p="": {  # noqa: E731
        k2: v2
        for k, v in d.items()
        for k2, v2 in (flat(v, f"{p}{k}.").items() if isinstance(v, dict) else {f"{p}{k}": v}.items())
    }
    changed = {k for k, v in flat(demo_config).items() if flat(full_config).get(k) != v}
    allowed = (
        "seeds.", "shard_size", "epochs", "figure_epochs", "latent_fit_images", "resources.", "results",
        "max_train", "max_test", "diversity_samples",  # UHCSDB: patch and sample counts
        "search.",  # architecture search: a smaller grid on fewer images, smaller batches, grain growth off
        "evaluation.images",  # fewer images per scored set
    )  # fmt: skip
    assert changed and all(any(a in k for a in allowed) for k in changed), changed


def _broken(config, path, value=None, delete=False):
    config = copy.deepcopy(config)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return config


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("models.ae_smooth.epochs", "ten", r"models\.ae_smooth\.epochs: 'ten' is not of type 'integer'"),
        ("models.ae_smooth.learning_rate", 0, r"models\.ae_smooth\.learning_rate: 0 is less than or equal"),
        ("datasets.synthetic_smooth.image_size", [128], r"datasets\.synthetic_smooth\.image_size"),
        ("datasets.synthetic_binary.volume_fraction", 1.5, r"datasets\.synthetic_binary\.volume_fraction: 1\.5"),
        ("datasets.synthetic_binary.volume_fraction", 0, r"datasets\.synthetic_binary\.volume_fraction: 0 "),
        ("datasets.synthetic_binary.volume_fraction", 1.0, r"datasets\.synthetic_binary\.volume_fraction: 1\.0"),
        (
            "datasets.synthetic_smooth.covariance",
            [[1.0, 2.0], [2.0, 1.0]],
            r"datasets\.synthetic_smooth\.covariance: .* not positive definite",
        ),
        (
            "datasets.synthetic_smooth.covariance",
            [[1.0, 0.5], [0.0, 1.0]],
            r"datasets\.synthetic_smooth\.covariance: .* not symmetric",
        ),
        ("datasets.synthetic_smooth.covariance", [[4.0, 0.0], [0.0, -1.0]], r"not positive definite"),
        ("device", "gpu", r"device: 'gpu' does not match"),
        ("models.ae_binary.dataset", "nope", r"models\.ae_binary\.dataset: no dataset named 'nope'"),
        ("models.ae_binary.figure_epochs", [1, 999], r"models\.ae_binary\.figure_epochs: \[999\] are beyond epochs"),
        (
            "datasets.synthetic_binary.source",
            "synthetic_binary",
            r"datasets\.synthetic_binary\.source: .* must be a gaussian_random_field",
        ),
        ("models.ae_smooth.shuffle", True, r"models\.ae_smooth: Additional properties are not allowed \('shuffle'"),
    ],
)
def test_each_fault_names_its_key(full_config, path, value, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(_broken(full_config, path, value))


@pytest.mark.parametrize(
    "path, message",
    [
        ("datasets.synthetic_smooth.shard_size", r"datasets\.synthetic_smooth: 'shard_size' is a required property"),
        ("models.ae_smooth.batch_size", r"models\.ae_smooth: 'batch_size' is a required property"),
        ("figures", r"<top level>: 'figures' is a required property"),
    ],
)
def test_missing_key_is_named(full_config, path, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(_broken(full_config, path, delete=True))


def test_workflow_stops_at_startup_on_a_bad_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"datasets": {"synthetic_binary": {"volume_fraction": 1.2}}}))
    proc = snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    assert (
        "datasets.synthetic_binary.volume_fraction: 1.2 is greater than or equal to the maximum of 1"
        in proc.stderr + proc.stdout
    )
