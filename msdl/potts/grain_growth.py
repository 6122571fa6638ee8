"""The builtin grain-growth engine: 2D Potts, sq/8n, periodic, many seeds per batch.

Stands in for SPPARKS ``potts/neigh`` with the KMC tree solver (report section 2.4)
using the checkerboard Metropolis of :mod:`msdl.potts.lattice`. KMC time and Metropolis
sweeps differ by a constant factor, ``MCS_PER_TIME``, calibrated so that the mean grain
count over seeds (8-connected, periodic) matches SPPARKS's at t = 100, 300 and 1500
(``shared/reference/spparks/grain_growth_kinetics.csv``; benchmarks/potts_engine.py
--calibrate measures it). A run of ``time`` SPPARKS units is ``ceil(time * MCS_PER_TIME)``
sweeps.

Initial spins are uniform in ``1..q`` (SPPARKS ``set site range 1 Q``), from the seed's
hash stream, so each seed gives the same microstructure alone or in any batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from msdl.potts.lattice import acceptance_table, choose_kernel, rounds, site_hashes, spin_dtype, sweep
from msdl.potts.rng import MASK32, mix32, seed_keys

#: Metropolis sweeps per SPPARKS time unit (potts/neigh, tree solver, kT = 0.85, sq/8n).
MCS_PER_TIME = 1.16
STREAM = "potts_grain_growth"
#: Sweeps per call of the numba kernel (progress reports come between calls).
PROGRESS_SWEEPS = 100


@dataclass(frozen=True)
class GrainGrowth:
    """The physics of a grain-growth dataset entry: ``sites`` ``(nx, ny)``, ``q`` spins,
    ``kT``, ``time`` in SPPARKS units."""

    nx: int
    ny: int
    q: int
    kT: float
    time: float

    @classmethod
    def from_config(cls, dataset: dict) -> "GrainGrowth":
        nx, ny = dataset["sites"]
        return cls(nx, ny, dataset["q"], float(dataset["kT"]), float(dataset["time"]))


def initial_spins(keys: torch.Tensor, height: int, width: int, q: int) -> torch.Tensor:
    """``(B, H, W)``: spins uniform in ``1..q`` from each seed's hash stream."""
    site = torch.arange(height * width, device=keys.device).view(height, width)
    bits = mix32(keys.view(-1, 1, 1) ^ mix32((site + 0x51ED27) & MASK32))
    return (bits % q + 1).to(spin_dtype(q))


def simulate(
    model: GrainGrowth,
    seeds: Sequence[int],
    device: str | torch.device = "cpu",
    times: Sequence[float] | None = None,
    mcs_per_time: float = MCS_PER_TIME,
    on_sweep: Callable[[int, int], None] | None = None,
    kernel: str | None = None,
) -> dict[float, np.ndarray]:
    """Grain growth of every seed at once: ``{time: spins (B, ny, nx) int32}`` for each of
    ``times`` (default: the model's final time only). ``on_sweep(done, total)`` reports
    progress. ``kernel`` ``"numba"`` or ``"torch"`` (default: numba on the CPU, torch
    elsewhere; both give the same spins)."""
    device = torch.device(device)
    times = sorted(set(times or [model.time]))
    keys = seed_keys(STREAM, seeds, device)
    spins = initial_spins(keys, model.ny, model.nx, model.q)
    if choose_kernel(kernel, device) == "numba":
        return _simulate_numba(model, keys, spins, times, mcs_per_time, on_sweep)
    hashes = site_hashes(model.ny, model.nx, device)
    table = acceptance_table(model.kT, device)
    marks = {rounds(t, mcs_per_time): t for t in times}
    total = max(marks)
    out = {}
    if 0 in marks:
        out[marks[0]] = _grid(spins, model)
    for step in range(1, total + 1):
        sweep(spins, keys, step, table, True, hashes)
        if step in marks:
            out[marks[step]] = _grid(spins, model)
        if on_sweep:
            on_sweep(step, total)
    return out


def _simulate_numba(model, keys, spins, times, mcs_per_time, on_sweep) -> dict[float, np.ndarray]:
    """:func:`simulate` with :func:`msdl.potts.numba_kernels.grain_growth_sweeps`."""
    from msdl.potts.numba_kernels import grain_growth_sweeps, site_hash_grid

    if model.nx % 2 or model.ny % 2:
        raise ValueError(f"periodic {model.ny} x {model.nx} lattice: the checkerboard needs even sizes")
    spins = spins.numpy().astype(np.int32)
    keys = keys.numpy()
    table = acceptance_table(model.kT, "cpu").numpy()
    hashes = site_hash_grid(model.ny, model.nx)
    marks = {rounds(t, mcs_per_time): t for t in times}
    total = max(marks)
    out = {marks[0]: spins.copy()} if 0 in marks else {}
    done = 0
    for stop in sorted(set(marks) | set(range(0, total, PROGRESS_SWEEPS)) - {0}):
        grain_growth_sweeps(spins, keys, done + 1, stop, table, hashes)
        if on_sweep:
            for step in range(done + 1, stop + 1):
                on_sweep(step, total)
        done = stop
        if stop in marks:
            out[marks[stop]] = spins.copy()
    return out


def _grid(spins: torch.Tensor, model: GrainGrowth) -> np.ndarray:
    return spins.cpu().numpy().astype(np.int32)
