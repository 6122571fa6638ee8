"""Benchmark: cost of each stage per unit of work on this machine, scaled to the full
scale of config.yaml (job count and estimated core-hours per stage).

Measures, on one CPU thread: seconds per smooth image (generation), per binary image
(threshold), and training images/s of each autoencoder (forward + backward + Adam step,
plus the test-set evaluation each epoch); then multiplies by the full-scale counts. The
baseline of the ratio column is the generation cost of the same images, measured in the
same run. GPU rates (optional, ``--gpu-images-per-second``) convert training to GPU-hours.

    .venv/bin/python benchmarks/stage_costs.py [--images 200] [--train-images 256]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.config import dataset_image_size, dataset_shards, generator_dataset  # noqa: E402
from msdl.progress import get_logger  # noqa: E402
from msdl.synthetic.fields import binary_images, smooth_images  # noqa: E402
from msdl.training.autoencoder import TrainConfig, train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--train-images", type=int, default=256)
    parser.add_argument("--gpu-images-per-second", type=float, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yaml").read_text())

    smooth_cfg = config["datasets"]["synthetic_smooth"]
    start = time.perf_counter()
    smooth = smooth_images(
        "bench", range(args.images), tuple(smooth_cfg["image_size"]), np.array(smooth_cfg["covariance"])
    )
    per_smooth = (time.perf_counter() - start) / args.images
    start = time.perf_counter()
    binary = binary_images(smooth, 0.5)
    per_binary = (time.perf_counter() - start) / args.images

    rows = []
    n_seeds = len(dataset_shards(config, "synthetic_smooth"))
    seeds = smooth_cfg["seeds"]["n_train"] + smooth_cfg["seeds"]["n_test"]
    rows.append(("gaussian_random_field_shard", n_seeds, seeds * per_smooth / 3600, per_smooth))
    rows.append(("threshold_shard", n_seeds, seeds * per_binary / 3600, per_binary))
    logger = get_logger("bench")
    logger.setLevel("WARNING")
    for name, model in config["models"].items():
        data = smooth if model["architecture"] == "ae_smooth" else binary.astype(np.float32)
        height, width = dataset_image_size(config, model["dataset"])  # each AE at its dataset's image size
        data = data[:, :height, :width]
        x = (np.resize(data, (args.train_images, *data.shape[1:])) - 0.5) / 0.5
        cfg = TrainConfig(
            model["architecture"], 2, model["batch_size"], model["learning_rate"], device="cpu", log_every_s=1e9
        )
        with tempfile.TemporaryDirectory() as state:
            start = time.perf_counter()
            train(cfg, x, x[: args.train_images // 4], state, "bench", logger)
            seconds = time.perf_counter() - start
        # UHCSDB patch sets have no seeds: their count is the report's (96,208 / 21,627) or max_train/max_test
        ds = generator_dataset(config, model["dataset"])
        split = ds.get("seeds") or {
            "n_train": ds.get("max_train") or 96208,
            "n_test": ds.get("max_test") or 21627,
        }
        per_image_epoch = seconds / (2 * (args.train_images * 1.25))  # train + test-set evaluation, roughly
        work = model["epochs"] * (split["n_train"] + split["n_test"])
        rows.append((f"train_autoencoder {name}", 1, work * per_image_epoch / 3600, per_image_epoch))

    print(f"{'stage':34s} {'jobs':>5s} {'core-hours':>11s} {'s per unit (1 core)':>20s} {'vs generation':>14s}")
    for name, jobs, hours, unit in rows:
        print(f"{name:34s} {jobs:5d} {hours:11.2f} {unit:20.5f} {unit / per_smooth:14.1f}x")
    if args.gpu_images_per_second:
        for name, model in config["models"].items():
            split = config["datasets"]["synthetic_smooth"]["seeds"]
            hours = model["epochs"] * (split["n_train"] + split["n_test"]) / args.gpu_images_per_second / 3600
            print(
                f"train_autoencoder {name} on GPU at {args.gpu_images_per_second:.0f} images/s: {hours:.2f} GPU-hours"
            )


if __name__ == "__main__":
    main()
