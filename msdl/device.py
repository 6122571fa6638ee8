"""The torch device of a job, from config ``device`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``).

The config check at workflow start only sees the spelling (the schema's pattern); whether
``cuda:N`` exists is known only on the machine that runs the job, so :func:`resolve_device`
checks it when the job starts and names the devices that do exist.
"""

from __future__ import annotations

import os
import re

import torch

_SPELLING = re.compile(r"auto|cpu|cuda(?::(\d+))?")


def _visible(count: int) -> str:
    """``1 CUDA device (cuda:0)``, ``3 CUDA devices (cuda:0, cuda:1, cuda:2)``."""
    names = ", ".join(f"cuda:{i}" for i in range(count))
    return f"{count} CUDA device{'s' if count != 1 else ''} ({names})"


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; a CUDA device that is not there is an error.

    Under torchrun (``LOCAL_RANK`` set) CUDA means this process's GPU, ``cuda:LOCAL_RANK``.
    Errors (:class:`RuntimeError`) say what torch sees, e.g. ``device 'cuda:99': torch sees
    1 CUDA device (cuda:0)`` or ``device 'cuda': torch sees no CUDA device; use cpu or auto``.
    """
    match = _SPELLING.fullmatch(str(name))
    if match is None:
        raise ValueError(f"device {name!r}: not one of auto, cpu, cuda, cuda:N")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r}: torch sees no CUDA device; use cpu or auto")
    count = torch.cuda.device_count()
    if match.group(1) is not None:
        index = int(match.group(1))
    elif "LOCAL_RANK" in os.environ:
        index = int(os.environ["LOCAL_RANK"])
    else:
        return torch.device("cuda")
    if index >= count:
        via = f" (LOCAL_RANK={index})" if match.group(1) is None else ""
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        limit = f" (CUDA_VISIBLE_DEVICES={visible})" if visible is not None else ""
        raise RuntimeError(f"device {name!r}{via}: torch sees {_visible(count)}{limit}")
    return torch.device("cuda", index)
