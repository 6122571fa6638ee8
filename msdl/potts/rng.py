"""Counter-based random numbers: the same bits for a seed whatever the batch.

Each random number is a hash of ``(stream key of the seed, step, site)``, so a sample's
trajectory depends only on its seed: simulating it alone or in a batch of 500, on a CPU
or a GPU, gives the same spins. The hash is two rounds of the MurmurHash3 32-bit
finalizer, computed in int64 arithmetic that never overflows (every product is below
2**63), so it is exact on every torch device.
"""

from __future__ import annotations

import zlib

import torch

MASK32 = 0xFFFFFFFF
_C1, _C2 = 0x7FEB352D, 0x1B873593  # odd multipliers below 2**31
_GOLDEN = 0x1E3779B9


def mix32(x: torch.Tensor | int) -> torch.Tensor | int:
    """A 32-bit avalanche hash of non-negative int64 values below 2**32."""
    x = x & MASK32
    x = x ^ (x >> 16)
    x = (x * _C1) & MASK32
    x = x ^ (x >> 15)
    x = (x * _C2) & MASK32
    x = x ^ (x >> 16)
    x = (x * _C1) & MASK32
    return x ^ (x >> 15)


def seed_keys(stream: str, seeds, device: torch.device | str = "cpu") -> torch.Tensor:
    """One 32-bit key per seed, ``(B,)`` int64, distinct streams for distinct ``stream`` names."""
    salt = zlib.crc32(stream.encode("utf-8"))
    keys = [mix32(mix32((int(s) & MASK32) ^ salt) ^ ((int(s) >> 32) & MASK32)) for s in seeds]
    return torch.tensor(keys, dtype=torch.int64, device=device)
