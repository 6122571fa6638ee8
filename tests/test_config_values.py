"""Config values that pass a plain JSON-schema type check but must not reach a job.

Each case is a small YAML overlay of config.yaml, as a user passes it with
``--configfiles config.yaml overlay.yaml``; the check must name the dotted key and say why.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from msdl.config import ConfigError, load_schema, schema_errors
from msdl.device import resolve_device
from msdl.pipeline import validate_config

ROOT = Path(__file__).resolve().parent.parent
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def _merge(base: dict, overlay: dict) -> dict:
    """Recursive dict merge, as Snakemake merges config files."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


SCHEMA = load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
FULL = yaml.safe_load((ROOT / "config.yaml").read_text())


def _full() -> dict:
    return copy.deepcopy(FULL)


def _with(overlay: str) -> dict:
    """config.yaml with a YAML overlay (written as the user would write it)."""
    return _merge(_full(), yaml.safe_load(overlay))


def _error_lines(overlay: str) -> list[str]:
    """The error lines of the config check for config.yaml + ``overlay``; fails if it passes."""
    try:
        validate_config(_with(overlay), SCHEMA)
    except ConfigError as err:
        return [line.strip() for line in str(err).splitlines()[1:]]
    pytest.fail(f"accepted: {overlay}")


def _check(overlay: str, expected: str) -> None:
    lines = _error_lines(overlay)
    assert expected in lines, f"{overlay!r}: expected {expected!r} among {lines}"


# --- the shipped configs stay valid ------------------------------------------------------


def test_full_scale_config_validates():
    validate_config(_full(), SCHEMA)


def test_demo_config_validates():
    validate_config(_merge(_full(), yaml.safe_load((ROOT / "profiles/local/demo.yaml").read_text())), SCHEMA)


@pytest.mark.parametrize(
    "overlay",
    [
        "results: results/demo",
        "results: /scratch/me/msdl",
        "results: ../runs/msdl-2024_01.v2",
        "device: cpu",
        "device: cuda",
        "device: 'cuda:0'",
        "device: 'cuda:99'",  # spelled right; whether it exists is checked when a job starts
        "models: {ae_smooth: {learning_rate: 1.0e-4, epochs: 100000}}",
        "datasets: {synthetic_smooth: {seeds: {first: 4294917296}}}",  # last seed 2**32 - 1
        "datasets: {kmc_grain_growth: {engine: spparks, seeds: {first: 2147433647}}}",  # last 2**31 - 2
        "datasets: {synthetic_smooth: {shard_size: 4}}",  # 10,000 train shards: the most a split has
        "datasets: {kmc_weld: {pool: {yp: -3.5, haz: 0.0}}}",  # a position may be negative; haz may be 0
        "datasets: {kmc_additive: {melt_pool: {exp_factor: 0}}}",
        "models: {vae_smooth: {kl_weight: 0.0}}",
        "localization: {datasets: {composites: {elastic: {refine: 3}}}}",
    ],
)
def test_sensible_values_pass(overlay):
    validate_config(_with(overlay), SCHEMA)


# --- non-finite numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "overlay, expected",
    [
        (
            "datasets: {synthetic_binary: {volume_fraction: .nan}}",
            "datasets.synthetic_binary.volume_fraction: nan is not a finite number",
        ),
        (
            "datasets: {synthetic_smooth: {covariance: [[.inf, 0.0], [0.0, 16.0]]}}",
            "datasets.synthetic_smooth.covariance.0.0: inf is not a finite number",
        ),
        (
            "datasets: {synthetic_smooth: {covariance: [[16.0, .nan], [.nan, 16.0]]}}",
            "datasets.synthetic_smooth.covariance.1.0: nan is not a finite number",
        ),
        ("models: {ae_smooth: {learning_rate: .nan}}", "models.ae_smooth.learning_rate: nan is not a finite number"),
        ("models: {ae_smooth: {learning_rate: .inf}}", "models.ae_smooth.learning_rate: inf is not a finite number"),
        ("models: {ae_binary: {learning_rate: -.inf}}", "models.ae_binary.learning_rate: -inf is not a finite number"),
        ("models: {vae_smooth: {decoder_sigma: .nan}}", "models.vae_smooth.decoder_sigma: nan is not a finite number"),
        ("models: {vae_binary: {kl_weight: .inf}}", "models.vae_binary.kl_weight: inf is not a finite number"),
        ("datasets: {kmc_grain_growth: {time: .nan}}", "datasets.kmc_grain_growth.time: nan is not a finite number"),
        ("datasets: {kmc_grain_growth: {kT: .inf}}", "datasets.kmc_grain_growth.kT: inf is not a finite number"),
        ("datasets: {kmc_weld: {kT: .nan}}", "datasets.kmc_weld.kT: nan is not a finite number"),
        (
            "datasets: {kmc_weld: {pool: {velocity: .inf}}}",
            "datasets.kmc_weld.pool.velocity: inf is not a finite number",
        ),
        (
            "datasets: {kmc_additive: {scan: {offset: [-.inf, 0.0]}}}",
            "datasets.kmc_additive.scan.offset.0: -inf is not a finite number",
        ),
        (
            "datasets: {uhcsdb_48x64: {redundancy: .nan}}",
            "datasets.uhcsdb_48x64.redundancy: nan is not a finite number",
        ),
        ("search: {binary: {speed_fraction: .nan}}", "search.binary.speed_fraction: nan is not a finite number"),
        ("gans: {dcgan_uhcsdb: {beta1: .nan}}", "gans.dcgan_uhcsdb.beta1: nan is not a finite number"),
        (
            "localization: {datasets: {composites: {elastic: {young: [1.0, .inf]}}}}",
            "localization.datasets.composites.elastic.young.1: inf is not a finite number",
        ),
        (
            "localization: {datasets: {composites: {elastic: {rtol: .nan}}}}",
            "localization.datasets.composites.elastic.rtol: nan is not a finite number",
        ),
        (
            "localization: {models: {fno: {learning_rate: .inf}}}",
            "localization.models.fno.learning_rate: inf is not a finite number",
        ),
        ("uhcsdb: {scale_bar_constant: .inf}", "uhcsdb.scale_bar_constant: inf is not a finite number"),
        ("evaluation: {jitter: .nan}", "evaluation.jitter: nan is not a finite number"),
        ("spparks: {timeout_s: .inf}", "spparks.timeout_s: inf is not a finite number"),
        # where the schema does not expect a number at all, a non-finite float is still named
        ("uhcsdb: {exclude: {bad.tif: .nan}}", "uhcsdb.exclude.bad.tif: nan is not of type 'string'"),
    ],
)
def test_non_finite_numbers_are_rejected(overlay, expected):
    _check(overlay, expected)


def test_a_non_finite_number_is_named_even_where_the_schema_leaves_the_type_open():
    schema = {"type": "object", "properties": {"a": {}, "b": {"type": "array"}}}
    config = {"a": float("nan"), "b": [1.0, {"c": float("-inf")}]}
    assert schema_errors(config, schema) == ["a: nan is not a finite number", "b.1.c: -inf is not a finite number"]


@pytest.mark.parametrize(
    "overlay, expected",
    [
        (
            "datasets: {kmc_grain_growth: {kT: 0}}",
            "datasets.kmc_grain_growth.kT: 0 is less than or equal to the minimum of 0",
        ),
        (
            "datasets: {kmc_weld: {time: -1.0}}",
            "datasets.kmc_weld.time: -1.0 is less than or equal to the minimum of 0",
        ),
        (
            "models: {vae_smooth: {decoder_sigma: 0.0}}",
            "models.vae_smooth.decoder_sigma: 0.0 is less than or equal to the minimum of 0",
        ),
        (
            "localization: {datasets: {composites: {elastic: {rtol: 1.0}}}}",
            "localization.datasets.composites.elastic.rtol: 1.0 is greater than or equal to the maximum of 1",
        ),
        (
            "localization: {datasets: {composites: {elastic: {strain_xx: 0.0}}}}",
            "localization.datasets.composites.elastic.strain_xx: 0 imposes no load (every strain and stress field "
            "would be 0); use a small non-zero strain, e.g. 0.001",
        ),
        (
            "localization: {datasets: {composites: {elastic: {refine: 0}}}}",
            "localization.datasets.composites.elastic.refine: 0 is less than the minimum of 1",
        ),
        (
            "localization: {datasets: {composites: {elastic: {young: [0.0, 50.0]}}}}",
            "localization.datasets.composites.elastic.young.0: 0.0 is less than or equal to the minimum of 0",
        ),
        ("datasets: {kmc_weld: {pool: {haz: -1.0}}}", "datasets.kmc_weld.pool.haz: -1.0 is less than the minimum of 0"),
        (
            "models: {ae_smooth: {learning_rate: 100.0}}",
            "models.ae_smooth.learning_rate: 100.0 is greater than the maximum of 10",
        ),
    ],
)
def test_values_the_physics_forbids_are_rejected(overlay, expected):
    _check(overlay, expected)


# --- integers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overlay, expected",
    [
        (
            "datasets: {synthetic_smooth: {shard_size: 2.0}}",
            "datasets.synthetic_smooth.shard_size: 2.0 is not an integer (write 2)",
        ),
        (
            "datasets: {synthetic_smooth: {seeds: {n_train: 4.0}}}",
            "datasets.synthetic_smooth.seeds.n_train: 4.0 is not an integer (write 4)",
        ),
        ("models: {ae_smooth: {epochs: 3.0}}", "models.ae_smooth.epochs: 3.0 is not an integer (write 3)"),
        ("models: {ae_smooth: {batch_size: 64.5}}", "models.ae_smooth.batch_size: 64.5 is not an integer"),
        (
            "models: {ae_smooth: {figure_epochs: [1, 2.0]}}",
            "models.ae_smooth.figure_epochs.1: 2.0 is not an integer (write 2)",
        ),
        (
            "datasets: {uhcsdb_64x64: {max_train: 100.0}}",
            "datasets.uhcsdb_64x64.max_train: 100.0 is not an integer (write 100)",
        ),
        (
            "localization: {datasets: {composites: {size: 51.0}}}",
            "localization.datasets.composites.size: 51.0 is not an integer (write 51)",
        ),
        (
            "localization: {datasets: {composites: {elastic: {refine: 2.0}}}}",
            "localization.datasets.composites.elastic.refine: 2.0 is not an integer (write 2)",
        ),
        ("resources: {train: {threads: 4.0}}", "resources.train.threads: 4.0 is not an integer (write 4)"),
        (
            "uhcsdb: {select: {magnification: [1964.0]}}",
            "uhcsdb.select.magnification.0: 1964.0 is not an integer (write 1964)",
        ),
        ("models: {ae_smooth: {epochs: .nan}}", "models.ae_smooth.epochs: nan is not a finite number"),
        # booleans are neither integers nor numbers
        ("models: {ae_smooth: {epochs: true}}", "models.ae_smooth.epochs: true is a boolean, not an integer"),
        ("models: {ae_smooth: {seed: false}}", "models.ae_smooth.seed: false is a boolean, not an integer"),
        (
            "models: {ae_smooth: {learning_rate: true}}",
            "models.ae_smooth.learning_rate: true is a boolean, not a number",
        ),
        (
            "datasets: {synthetic_smooth: {covariance: [[true, 0.0], [0.0, 1.0]]}}",
            "datasets.synthetic_smooth.covariance.0.0: true is a boolean, not a number",
        ),
    ],
)
def test_counts_must_be_integers(overlay, expected):
    _check(overlay, expected)


# --- the results directory -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", "results: '' is empty; name a directory, e.g. results"),
        ("/", "results: '/' is the filesystem root; name a directory below it, e.g. /scratch/msdl/results"),
        ("//", "results: '//' is the filesystem root; name a directory below it, e.g. /scratch/msdl/results"),
        (".", "results: '.' is the working directory itself; name a subdirectory, e.g. results"),
        ("a/..", "results: 'a/..' is the working directory itself; name a subdirectory, e.g. results"),
        ("./results", "results: './results' is not in normal form; write 'results'"),
        ("results/", "results: 'results/' is not in normal form; write 'results'"),
        ("results//demo", "results: 'results//demo' is not in normal form; write 'results/demo'"),
        ("~/results", "results: '~/results': '~' is not expanded here; write the absolute path"),
        (
            "my results",
            "results: 'my results' contains ' '; a directory path here has only letters, digits and . _ - + /",
        ),
        ("$HOME/r", "results: '$HOME/r' contains '$'; a directory path here has only letters, digits and . _ - + /"),
        (
            "r;rm -rf x",
            "results: 'r;rm -rf x' contains ' ' ';'; a directory path here has only letters, digits and . _ - + /",
        ),
        ("a\nb", "results: 'a\\nb' contains '\\n'; a directory path here has only letters, digits and . _ - + /"),
        ("r`x`", "results: 'r`x`' contains '`'; a directory path here has only letters, digits and . _ - + /"),
        ("-results", "results: '-results' has a component starting with '-', which commands would read as an option"),
    ],
)
def test_results_must_be_a_usable_directory(value, expected):
    _check(yaml.safe_dump({"results": value}), expected)


def test_results_of_another_type_is_named():
    _check("results: 7", "results: 7 is not of type 'string'")


# --- device --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["gpu", "cuda:01", "cuda:", "CUDA", "cuda:-1", "cuda:0 ", "mps", "cuda:12345"])
def test_device_spelling_is_checked_at_start(value):
    _check(
        yaml.safe_dump({"device": value}),
        f"device: {value!r} does not match auto, cpu, cuda or cuda:N (N = 0, 1, ...)",
    )


@pytest.fixture
def gpus(monkeypatch):
    """Pretend torch sees ``n`` CUDA devices (0: none)."""
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def pretend(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)

    return pretend


@pytest.mark.parametrize(
    "n, name, message",
    [
        (0, "cuda:99", "device 'cuda:99': torch sees no CUDA device; use cpu or auto"),
        (0, "cuda", "device 'cuda': torch sees no CUDA device; use cpu or auto"),
        (1, "cuda:99", "device 'cuda:99': torch sees 1 CUDA device (cuda:0)"),
        (1, "cuda:1", "device 'cuda:1': torch sees 1 CUDA device (cuda:0)"),
        (3, "cuda:3", "device 'cuda:3': torch sees 3 CUDA devices (cuda:0, cuda:1, cuda:2)"),
    ],
)
def test_a_missing_cuda_device_fails_when_the_job_starts(gpus, n, name, message):
    gpus(n)
    with pytest.raises(RuntimeError) as err:
        resolve_device(name)
    assert str(err.value) == message


def test_a_missing_torchrun_gpu_names_local_rank(gpus, monkeypatch):
    gpus(2)
    monkeypatch.setenv("LOCAL_RANK", "2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    with pytest.raises(RuntimeError) as err:
        resolve_device("auto")
    assert str(err.value) == (
        "device 'cuda' (LOCAL_RANK=2): torch sees 2 CUDA devices (cuda:0, cuda:1) (CUDA_VISIBLE_DEVICES=4,5)"
    )


@pytest.mark.parametrize(
    "n, name, local_rank, expected",
    [
        (0, "auto", None, torch.device("cpu")),
        (0, "cpu", None, torch.device("cpu")),
        (2, "cpu", None, torch.device("cpu")),
        (2, "auto", None, torch.device("cuda")),
        (2, "cuda:1", None, torch.device("cuda", 1)),
        (2, "cuda", "1", torch.device("cuda", 1)),
        (2, "auto", "0", torch.device("cuda", 0)),
    ],
)
def test_existing_devices_resolve(gpus, monkeypatch, n, name, local_rank, expected):
    gpus(n)
    if local_rank is not None:
        monkeypatch.setenv("LOCAL_RANK", local_rank)
    assert resolve_device(name) == expected


def test_a_misspelt_device_is_named_at_the_job_too():
    with pytest.raises(ValueError, match=r"device 'gpu': not one of auto, cpu, cuda, cuda:N"):
        resolve_device("gpu")


# --- absurd sizes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overlay, expected",
    [
        (
            "models: {ae_smooth: {epochs: 9223372036854775808}}",
            "models.ae_smooth.epochs: 9223372036854775808 is greater than the maximum of 100000",
        ),
        (
            "datasets: {synthetic_smooth: {seeds: {first: 18446744073709551000}}}",
            "datasets.synthetic_smooth.seeds.first: 18446744073709551000 is greater than the maximum of 4294967295",
        ),
        (
            "datasets: {synthetic_smooth: {seeds: {first: 4294967000}}}",
            "datasets.synthetic_smooth.seeds: the seeds run from 4294967000 to 4295016999, "
            "beyond the largest seed 4294967295 (2**32 - 1)",
        ),
        (
            "datasets: {kmc_grain_growth: {engine: spparks, seeds: {first: 2147483000}}}",
            "datasets.kmc_grain_growth.seeds: SPPARKS needs seeds in 1..2147483646 (a positive 32-bit int "
            "below 2**31 - 1); these run from 2147483000 to 2147532999",
        ),
        (
            "models: {ae_smooth: {seed: 4294967296}}",
            "models.ae_smooth.seed: 4294967296 is greater than the maximum of 4294967295",
        ),
        ("models: {ae_smooth: {seed: -1}}", "models.ae_smooth.seed: -1 is less than the minimum of 0"),
        (
            "gans: {dcgan_uhcsdb: {epochs: 1000001}}",
            "gans.dcgan_uhcsdb.epochs: 1000001 is greater than the maximum of 100000",
        ),
        (
            "datasets: {synthetic_smooth: {seeds: {n_train: 1000000000}}}",
            "datasets.synthetic_smooth.seeds.n_train: 1000000000 is greater than the maximum of 100000000",
        ),
        (
            "datasets: {synthetic_smooth: {shard_size: 3}}",
            "datasets.synthetic_smooth.shard_size: 40000 train seeds in shards of 3 make 13334 shards; a split has "
            "at most 10000 (shard-0000..shard-9999), so use a shard_size of at least 4",
        ),
        (
            "datasets: {synthetic_smooth: {image_size: [128, 100000]}}",
            "datasets.synthetic_smooth.image_size.1: 100000 is greater than the maximum of 16384",
        ),
        (
            "datasets: {kmc_grain_growth: {sites: [128, 3]}}",
            "datasets.kmc_grain_growth.sites.1: 3 is less than the minimum of 4",
        ),
        (
            "datasets: {kmc_grain_growth: {time: 1000000000}}",
            "datasets.kmc_grain_growth.time: 1000000000 is greater than the maximum of 1000000",
        ),
        (
            "models: {ae_smooth: {batch_size: 1048576}}",
            "models.ae_smooth.batch_size: 1048576 is greater than the maximum of 65536",
        ),
        (
            "localization: {datasets: {composites: {size: 4096}}}",
            "localization.datasets.composites.size: 4096 is greater than the maximum of 512",
        ),
        (
            "resources: {train: {mem_mb: 1000000000000}}",
            "resources.train.mem_mb: 1000000000000 is greater than the maximum of 100000000",
        ),
        (
            "evaluation: {images: 10000000000}",
            "evaluation.images: 10000000000 is greater than the maximum of 100000000",
        ),
        ("uhcsdb: {seed: 99999999999}", "uhcsdb.seed: 99999999999 is greater than the maximum of 4294967295"),
    ],
)
def test_absurd_values_are_bounded(overlay, expected):
    _check(overlay, expected)


# --- the workflow stops before any job -----------------------------------------------------


@pytest.mark.parametrize(
    "overlay, expected",
    [
        ("models: {ae_smooth: {learning_rate: .nan}}\n", "models.ae_smooth.learning_rate: nan is not a finite number"),
        (
            "datasets: {synthetic_smooth: {shard_size: 2.0}}\n",
            "datasets.synthetic_smooth.shard_size: 2.0 is not an integer",
        ),
        ("results: /\n", "results: '/' is the filesystem root"),
    ],
)
def test_workflow_stops_before_any_job(tmp_path, overlay, expected):
    bad = tmp_path / "overlay.yaml"
    bad.write_text(overlay)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [str(SNAKEMAKE), "-n", "--configfiles", "config.yaml", str(bad)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert expected in out, out
    assert "Building DAG of jobs" not in out and "Job stats" not in out, out
