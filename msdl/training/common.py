"""What every training loop of msdl shares: the data-parallel group, the per-epoch shuffle,
checkpoints written atomically and read without unpickling, and the metrics CSV.

Used by the autoencoder and GAN loops (this package) and by the localization models.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch
import torch.distributed as dist

from msdl.io import atomic_path


def process_group() -> tuple[int, int]:
    """``(rank, world size)`` of the data-parallel group; ``(0, 1)`` for a single process."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffle of one epoch: a function of ``(seed, epoch)`` only."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


def save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict | None:
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


def write_metrics(path: str | Path, metrics: list[dict], fields: tuple[str, ...]) -> None:
    """Per-epoch metrics as CSV (columns ``fields``), atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for row in metrics:
                writer.writerow({k: row[k] for k in fields})


def read_metrics(path: str | Path) -> list[dict]:
    with open(path, newline="") as fh:
        return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()} for row in csv.DictReader(fh)]
