"""Dataset shards from config entries: what one generation job does.

``gaussian_random_field`` shards are generated from seeds; ``threshold`` shards are the
binarized images of their source dataset's shard with the same split and index, so the
binary image of a seed is always the threshold of that seed's smooth image.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from msdl.progress import Progress
from msdl.shards import Shard, load_shard, write_shard
from msdl.synthetic.fields import binarize, smooth_image


def generate_gaussian_shard(
    name: str, dataset: dict, shard: Shard, array_path: str | Path, manifest_path: str | Path, logger: logging.Logger
) -> dict:
    """Generate one shard of a ``gaussian_random_field`` dataset; return its manifest."""
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
    name: str, dataset: dict, source_array: str | Path, array_path: str | Path, manifest_path: str | Path, logger
) -> dict:
    """Binarize one source shard at the exact volume fraction; return the manifest."""
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
