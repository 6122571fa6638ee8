"""Benchmark: autoencoder training throughput, CPU against CUDA (when present).

Generates a small synthetic dataset with the workflow's own generator, then trains each
autoencoder for a few epochs with the workflow's own loop (``msdl.training.autoencoder.train``), once
per device, and prints images/s per device, the CUDA/CPU ratio, and the test MSE each
reached (the two should agree to within training noise). ``--device auto`` is also
resolved and printed, to show what a training rule would pick on this machine.

    python benchmarks/train_throughput.py [--train 2048] [--test 256] [--epochs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.device import resolve_device  # noqa: E402
from msdl.normalization import normalize, transform  # noqa: E402
from msdl.progress import get_logger  # noqa: E402
from msdl.synthetic.fields import binary_images, smooth_images  # noqa: E402
from msdl.training.autoencoder import TrainConfig, train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=2048)
    parser.add_argument("--test", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    start = time.perf_counter()
    cov = np.array([[16.0, 0.0], [0.0, 16.0]])
    smooth = smooth_images("benchmark", range(args.train + args.test), (128, 128), cov)
    data = {"ae_smooth": smooth, "ae_binary": binary_images(smooth, 0.5)}
    print(f"generated {len(smooth)} images in {time.perf_counter() - start:.1f} s")
    print(f"device auto -> {resolve_device('auto')}; torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    if torch.cuda.is_available():
        print(f"CUDA device: {torch.cuda.get_device_name(0)}")

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    logger = get_logger("benchmark")
    for architecture, images in data.items():
        mean, std = float(images[: args.train].mean()), float(images[: args.train].std())
        norm = transform(
            {"mean": mean, "std": std, "max_abs_deviation": float(np.abs(images - mean).max())}, "symmetric_range"
        )
        x = normalize(images, norm)
        rates = {}
        for device in devices:
            cfg = TrainConfig(architecture, args.epochs, args.batch_size, 1e-3, seed=0, device=device, log_every_s=1e9)
            with tempfile.TemporaryDirectory() as state:
                _, metrics, _ = train(cfg, x[: args.train], x[args.train :], state, f"bench-{device}", logger)
            # first epoch includes warm-up (cuDNN autotuning, allocations): report the rest
            steady = metrics[1:] or metrics
            rates[device] = float(np.mean([m["images_per_second"] for m in steady]))
            print(
                f"{architecture:10s} {device:5s} {rates[device]:10.0f} images/s (epochs 2..{args.epochs})"
                f"   test MSE after {args.epochs} epochs {metrics[-1]['test_mse']:.4f}"
            )
        if "cuda" in rates:
            print(f"{architecture:10s} cuda/cpu throughput ratio {rates['cuda'] / rates['cpu']:.1f}")


if __name__ == "__main__":
    main()
