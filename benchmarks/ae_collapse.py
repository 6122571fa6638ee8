"""Does an autoencoder collapse to the mean image? A sweep of batch size and learning rate.

Trains the AE of a dataset (``--dataset``, read from a run's shards, e.g. the study
scale's ``results/study/datasets/kmc_additive_128``) with the workflow's own loop for
``--epochs`` at each (batch size, learning rate) of ``--grid`` and prints the test MSE
along the way and the diversity of its reconstructions of 256 test images over that of
the images themselves (:func:`msdl.evaluation.scoring.set_diversity`; the baseline of the
ratio, measured in the same run): about 0 means the decoder returns one image whatever
the input, the failure the kMC grain-boundary AEs showed at study scale on the boundary
images themselves (the default ``--normalization symmetric_range``); with
``--normalization boundary_distance``, what config.yaml now sets for them, they learn
distance maps instead (docs/training.md).

    python benchmarks/ae_collapse.py results/study/datasets/kmc_additive_128 ae_kmc_additive
        [--epochs 20] [--grid 64:1e-3,16:1e-3,64:1e-4,64:3e-3]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.evaluation.scoring import set_diversity  # noqa: E402
from msdl.normalization import denormalize, normalize, sample_statistics, transform  # noqa: E402
from msdl.shards import load_split  # noqa: E402
from msdl.training.autoencoder import TrainConfig, train  # noqa: E402
from msdl.training.latent import reconstruct  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a dataset folder with train/ and test/ shards")
    parser.add_argument("architecture", help="e.g. ae_kmc_additive, ae_kmc_gg")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--grid", default="64:1e-3,16:1e-3,64:1e-4,64:3e-3", help="batch:lr,...")
    parser.add_argument("--normalization", default="symmetric_range")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train_paths = sorted(str(p) for p in (args.dataset / "train").glob("*.npy"))
    train_images, _ = load_split(train_paths)
    test_images, _ = load_split(sorted(str(p) for p in (args.dataset / "test").glob("*.npy")))
    norm = transform(sample_statistics(train_paths), args.normalization)  # as the workflow's normalization rule
    x, y = normalize(train_images, norm), normalize(test_images, norm)
    real = set_diversity(test_images[:256])
    logger = logging.getLogger("ae_collapse")
    logger.setLevel(logging.WARNING)
    print(f"{args.architecture} on {args.dataset}: {len(x)} train / {len(y)} test images, {args.epochs} epochs, "
          f"{args.normalization}; real test-image diversity {real:.4f}")  # fmt: skip
    print(
        f"{'batch':>5} {'lr':>8}  test MSE at epochs 1, 25 %, 50 %, 75 %, 100 %          reconstruction diversity / real"
    )
    for item in args.grid.split(","):
        batch, lr = item.split(":")
        cfg = TrainConfig(args.architecture, args.epochs, int(batch), float(lr), device="cpu", log_every_s=1e9)
        with tempfile.TemporaryDirectory() as state:
            model, metrics, _ = train(cfg, x, y, state, "ae_collapse", logger)
        curve = [metrics[max(0, round(f * len(metrics)) - 1)]["test_mse"] for f in (0, 0.25, 0.5, 0.75, 1.0)]
        recon = denormalize(reconstruct(model, y[:256]), norm)
        ratio = set_diversity(recon) / real
        print(f"{int(batch):5d} {float(lr):8.0e}  " + " ".join(f"{v:9.5f}" for v in curve) + f"   {ratio:10.3f}")


if __name__ == "__main__":
    main()
