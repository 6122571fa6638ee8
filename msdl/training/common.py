"""What every training loop of msdl shares: the data-parallel group, the per-epoch shuffle,
checkpoints written atomically and read without unpickling, and the metrics CSV.

Used by the autoencoder and GAN loops (this package) and by the localization models.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import zipfile
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


def save_torch_file(path: str | Path, obj: dict) -> None:
    """``torch.save(obj)`` to ``path`` atomically, with the same bytes for the same ``obj``.

    torch names the zip archive's root folder after the file it writes to, and an atomic
    write goes to a random temporary name: saving to a buffer first keeps the name fixed.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def save_checkpoint(path: Path, state: dict) -> None:
    """A training loop's resume point (model, optimizer, metrics), written atomically."""
    save_torch_file(path, state)


class ModelFileError(ValueError):
    """A model file or checkpoint that is not one msdl wrote (a foreign pickle, which is
    never unpickled), is truncated or corrupt, or lacks what msdl stores; names the file."""


def _weights_only_detail(err: Exception) -> str:
    """The useful line of torch's long weights-only refusal (e.g. the refused global)."""
    found = re.search(r"WeightsUnpickler error:\s*(.+?)(?:\. Please|\n|$)", str(err))
    return found.group(1).strip() if found else str(err).strip().splitlines()[0][:200]


def load_torch_file(path: str | Path, what: str = "msdl model file") -> object:
    """``torch.load(path, map_location="cpu", weights_only=True)``: tensors and plain
    containers only, on the CPU. Anything else in the file (objects of other classes, a
    plain pickle), a truncated or corrupt file, raises :class:`ModelFileError` naming the
    file; a missing file raises ``FileNotFoundError``."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, MemoryError):
        raise
    except pickle.UnpicklingError as err:
        if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
            raise ModelFileError(
                f"{path}: not an {what}: a plain pickle, not written by torch.save, which msdl does not unpickle"
            ) from None
        raise ModelFileError(
            f"{path}: not an {what}: it holds Python objects other than tensors and plain containers, "
            f"which msdl does not unpickle ({_weights_only_detail(err)})"
        ) from None
    except Exception as err:  # torch raises RuntimeError, EOFError, KeyError, ... for a bad file
        detail = re.split(r"(?<=\.) |\n", str(err).strip())[0][:200] if str(err).strip() else "file ends early"
        raise ModelFileError(
            f"{path}: not a readable {what} (truncated or corrupt? {type(err).__name__}: {detail})"
        ) from None


def checked_blob(path: str | Path, blob: object, keys: tuple[str, ...], what: str = "msdl model file") -> dict:
    """``blob`` if it is a dict holding ``keys``; else :class:`ModelFileError` naming the file."""
    if not isinstance(blob, dict):
        raise ModelFileError(f"{path}: not an {what}: it holds a {type(blob).__name__}, not a dict")
    missing = [k for k in keys if k not in blob]
    if missing:
        raise ModelFileError(
            f"{path}: not an {what}: no {', '.join(map(repr, missing))} (has {sorted(map(str, blob))})"
        )
    return blob


def load_checkpoint(path: Path, keys: tuple[str, ...] = ()) -> dict | None:
    """The checkpoint at ``path`` (``None`` if there is none), checked to be a dict with
    ``keys``; a file msdl did not write, or a truncated one, raises :class:`ModelFileError`
    naming it (delete it to start afresh)."""
    if not path.exists():
        return None
    try:
        return checked_blob(path, load_torch_file(path, "msdl checkpoint"), keys, "msdl checkpoint")
    except ModelFileError as err:
        raise ModelFileError(f"{err}; delete it to start afresh") from None


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
