"""The jobs of the synthetic datasets (workflow/rules/datasets.smk and Figure 2-2).

``gaussian_random_field`` shards are generated from seeds; ``threshold`` shards are the
binarized images of their source dataset's shard with the same split and index, so the
binary image of a seed is always the threshold of that seed's smooth image. The
normalization statistics of a dataset (any generator) are its train shards' mean and std.

Each function is what one Snakemake rule runs (the scripts only unpack ``snakemake``);
``log`` is the rule's log file (``None``: stderr). These rules run in envs/simulate.yaml
(numpy, scipy), except the figure's, which imports matplotlib itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from msdl.io import write_json
from msdl.normalization import sample_statistics
from msdl.progress import Progress, get_logger
from msdl.shards import Shard, load_shard, write_shard
from msdl.synthetic.fields import binarize, smooth_image


def generate_gaussian_shard(
    name: str, dataset: dict, shard: Shard, array_path: str | Path, manifest_path: str | Path, log: str | None = None
) -> dict:
    """Generate one shard of a ``gaussian_random_field`` dataset; return its manifest."""
    logger = get_logger("generate", log)
    shape = tuple(dataset["image_size"])
    covariance = np.asarray(dataset["covariance"], dtype=np.float64)
    images = np.empty((len(shard.seeds), *shape), dtype=np.float32)
    progress = Progress(logger, len(shard.seeds), "images", every_s=30.0, what=f"{name} {shard.split} {shard.name}: ")
    for i, seed in enumerate(shard.seeds):
        images[i] = smooth_image(name, seed, shape, covariance)
        progress.update()
    return write_shard(
        array_path,
        manifest_path,
        images,
        shard,
        dataset=name,
        generator="gaussian_random_field",
        stream=name,
        image_size=list(shape),
        covariance=covariance.tolist(),
        value_range=[0.0, 1.0],
    )


def threshold_shard(
    name: str,
    dataset: dict,
    source_array: str | Path,
    array_path: str | Path,
    manifest_path: str | Path,
    log: str | None = None,
) -> dict:
    """Binarize one source shard at the exact volume fraction; return the manifest."""
    logger = get_logger("threshold", log)
    smooth, source = load_shard(source_array)
    shard = Shard.from_manifest(source)
    binary = np.empty(smooth.shape, dtype=np.uint8)
    for i, image in enumerate(smooth):
        binary[i] = binarize(image, dataset["volume_fraction"])
    logger.info(
        f"{name} {shard.split} {shard.name}: thresholded {len(binary)} images at volume fraction {dataset['volume_fraction']}"
    )
    return write_shard(
        array_path,
        manifest_path,
        binary,
        shard,
        dataset=name,
        generator="threshold",
        source=dataset["source"],
        source_sha256=source["sha256"],
        volume_fraction=dataset["volume_fraction"],
        value_range=[0.0, 1.0],
    )


def normalization_statistics(name: str, train_shards: list[str], out_json: str | Path, log: str | None = None) -> dict:
    """The report's mean/std estimator (:func:`msdl.normalization.sample_statistics`) over
    the train shards of dataset ``name``; written as JSON and returned."""
    stats = sample_statistics(train_shards)
    write_json(out_json, stats)
    get_logger("normalization", log).info(f"{name}: {stats}")
    return stats


def figure_microstructures(
    smooth_array: str | Path, binary_array: str | Path, n: int, out_png: str | Path, log: str | None = None
) -> None:
    """Figure 2-2: the first ``n`` smooth test images over their binary thresholds."""
    from msdl.figures import microstructure_rows  # matplotlib: not in the shard jobs' environment

    smooth, smooth_manifest = load_shard(smooth_array)
    binary, binary_manifest = load_shard(binary_array)
    first = smooth_manifest["seeds"]["first"]
    microstructure_rows(
        {
            "smooth (grayscale)": smooth[:n],
            f"binary (volume fraction {binary_manifest['volume_fraction']})": binary[:n],
        },
        out_png,
        f"Synthetic microstructures, test seeds {first}..{first + min(n, len(smooth)) - 1} (report Figure 2-2)",
    )
    get_logger("figures", log).info(f"{out_png}: {min(n, len(smooth))} smooth and binary images")
