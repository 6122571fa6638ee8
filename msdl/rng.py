"""Seeded random streams shared by every generator: one independent stream per (name, seed)."""

from __future__ import annotations

import zlib

import numpy as np


def stream_rng(stream: str, seed: int) -> np.random.Generator:
    """The random generator of one ``(stream, seed)``: independent of any other pair.

    ``stream`` is a dataset name; the same pair gives the same numbers in any shard
    layout or process (PCG64 seeded by ``seed`` with the CRC-32 of ``stream`` as spawn key).
    """
    if seed < 0:
        raise ValueError(f"seed {seed}: seeds must be non-negative integers")
    key = zlib.crc32(stream.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))
