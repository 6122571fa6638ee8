"""Does differentiable augmentation stop the DCGAN's mode collapse on few patches?

Trains the workflow's DCGAN (``gans.<gan>`` of config.yaml, with ``--epochs``) on a run's
64x64 UHCSDB patches once per discriminator-augmentation policy of ``--policies``
(:mod:`msdl.training.augment`; ``none`` is the baseline, measured in the same run) and
prints, at each of ``--report-epochs``: D(x) and D(G(z)), the diversity ratio (mode
collapse: generated over real), and the score of the 64-image sample grid over the
floor of 64 real training images, judged as the workflow's rule ``score_gan`` judges
(500 test patches as reference, the dataset's statistics).

    python benchmarks/gan_augment.py results/study/datasets/uhcsdb_64x64 \\
        [--epochs 60] [--policies "none;translation,cutout"] [--report-epochs 20,40,60]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from msdl.evaluation.scoring import Judge, statistics_settings  # noqa: E402
from msdl.shards import load_split  # noqa: E402
from msdl.training.gan import train_gan  # noqa: E402
from msdl.training.jobs import gan_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a dataset folder of 64x64 patches with train/ and test/ shards")
    parser.add_argument("--gan", default="dcgan_uhcsdb")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--report-epochs", default="20,40,60")
    parser.add_argument("--policies", default="none;translation,cutout", help="';'-separated augment policies")
    parser.add_argument("--reference", type=int, default=500, help="test patches the scores compare with")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    entry = config["gans"][args.gan]
    settings = statistics_settings(config, entry["dataset"])
    train, _ = load_split(sorted(str(p) for p in (args.dataset / "train").glob("*.npy")))
    test, _ = load_split(sorted(str(p) for p in (args.dataset / "test").glob("*.npy")))
    judge = Judge(test[: args.reference].astype(np.float32), train.astype(np.float32), settings, seed=0)
    report = sorted(int(e) for e in args.report_epochs.split(",") if int(e) <= args.epochs)
    logger = logging.getLogger("gan_augment")
    logging.basicConfig(level=logging.WARNING)
    print(f"{len(train)} train / {len(test)} test patches; {args.epochs} epochs; batch {entry['batch_size']}")
    print("| augment | epoch | D(x) | D(G(z)) | diversity ratio | score / floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for policy in args.policies.split(";"):
        cfg = gan_config({**entry, "epochs": args.epochs, "figure_epochs": report, "augment": policy}, "cpu")
        with tempfile.TemporaryDirectory() as state:
            _, _, metrics, samples = train_gan(cfg, train, state, f"benchmark-{policy}", logger)
        for epoch in report:
            row = metrics[epoch - 1]
            score = judge.score(samples[epoch])["total"] / judge.floor(len(samples[epoch]))["total"]
            print(
                f"| {policy} | {epoch} | {row['d_real']:.3f} | {row['d_fake']:.3f} | "
                f"{row['diversity_ratio']:.3f} | {score:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
