"""Batched Metropolis on the 2D 8-neighbour square lattice, 4-sublattice checkerboard.

The 8 neighbours of a site ``(y, x)`` never share its parity class ``(y % 2, x % 2)``, so
all sites of one class are updated at once without touching each other's
neighbourhoods: a sweep (one Monte Carlo step, MCS) is four such updates, each on
half-strided views of the whole batch.

Update of a site with spin ``s``: pick one of its 8 neighbours at random and propose its
spin ``s'`` (sites only take a neighbour's spin, as SPPARKS ``potts/neigh``). With the
Potts energy ``E = sum over neighbour pairs [s_i != s_j]`` the change is
``dE = n(s) - n(s')``, ``n(v)`` the number of neighbours with spin ``v``; the flip is
accepted with probability ``M * min(1, exp(-dE / kT))`` (``kT = 0``: ``dE <= 0`` only),
``M`` in [0, 1] the site's mobility (1 for grain growth). Non-periodic edges have the
EDGE spin -1 beyond them, which equals no spin and is never proposed. am/ellipsoid
proposes instead one of the *distinct* neighbour spins (``distinct``, as SPPARKS's app).

Spins are ``(B, H, W)`` integer tensors indexed ``[sample, y, x]`` (int16 when the spins
fit, else int32). Random bits are a hash of (seed, update, site) (:mod:`msdl.potts.rng`),
so a sample's trajectory is the same alone or in any batch, on any device.

This dense torch kernel runs on GPUs. On the CPU the engine uses the compiled loops of
:mod:`msdl.potts.numba_kernels` (same algorithm, same random bits, same spins), which
skip sites that cannot change (:func:`choose_kernel`; benchmarks/potts_engine.py).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from msdl.potts.rng import _GOLDEN, MASK32, mix32

#: (dy, dx) of the 8 neighbours, in a fixed order (the proposal index picks one).
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
SUBLATTICES = ((0, 0), (1, 1), (0, 1), (1, 0))
EDGE = -1


def spin_dtype(max_spin: int) -> torch.dtype:
    """The smallest signed integer type holding spins ``0..max_spin`` and EDGE."""
    return torch.int16 if max_spin <= torch.iinfo(torch.int16).max else torch.int32


def pad(spins: torch.Tensor, periodic: bool) -> torch.Tensor:
    """``(B, H+2, W+2)``: periodic images of the opposite edges, or the EDGE spin."""
    if periodic:
        s = torch.cat([spins[:, -1:], spins, spins[:, :1]], dim=1)
        return torch.cat([s[:, :, -1:], s, s[:, :, :1]], dim=2)
    return F.pad(spins, (1, 1, 1, 1), value=EDGE)


def acceptance_table(kT: float, device) -> torch.Tensor:
    """``min(1, exp(-dE/kT))`` for ``dE = -8..8`` (index ``dE + 8``), float32."""
    de = torch.arange(-8, 9, dtype=torch.float64)
    p = torch.exp(-de.clamp(min=0) / kT) if kT > 0 else (de <= 0).to(torch.float64)
    return p.to(torch.float32).to(device)


def site_hashes(
    height: int, width: int, device, y0: int = 0, x0: int = 0, full_width: int | None = None
) -> list[torch.Tensor]:
    """Per sublattice, ``(H/2, W/2)`` int64 hashes of the flat site indices ``y*W + x``
    of an ``H x W`` window at ``(y0, x0)`` of a lattice ``full_width`` wide (default:
    the window is the lattice)."""
    full_width = full_width or width
    out = []
    for a, b in SUBLATTICES:
        y = torch.arange(a, height, 2, device=device).view(-1, 1) + y0
        x = torch.arange(b, width, 2, device=device).view(1, -1) + x0
        out.append(mix32((y * full_width + x) * _GOLDEN & MASK32))
    return out


def sweep(
    spins: torch.Tensor,
    keys: torch.Tensor,
    step: int,
    table: torch.Tensor,
    periodic: bool,
    hashes: list[torch.Tensor],
    mobility: torch.Tensor | None = None,
    distinct: bool = False,
    reserved: int = EDGE,
) -> None:
    """One MCS in place on ``spins`` ``(B, H, W)``.

    ``keys`` ``(B,)`` from :func:`msdl.potts.rng.seed_keys`; ``step`` numbers the sweep;
    ``table`` from :func:`acceptance_table`; ``hashes`` from :func:`site_hashes`;
    ``mobility`` ``(B or 1, H, W)`` float32 in [0, 1] or None. ``spins`` may be a
    window (a view) of a larger lattice: its border sites then see EDGE beyond the
    window, so callers give them mobility 0. Periodic lattices need even
    ``H`` and ``W`` (so that the checkerboard wraps).

    ``distinct`` (am/ellipsoid, SPPARKS's ``site_event_rejection`` of that app): propose
    one of the distinct neighbour spins other than the site's own, EDGE and ``reserved``,
    uniformly, index ``((bits & 255) * n) >> 8`` of the ``n`` in neighbour order (none:
    no attempt); else a random neighbour's spin (``potts/neigh``, the weld).
    """
    _, h, w = spins.shape
    if periodic and (h % 2 or w % 2):
        raise ValueError(f"periodic {h} x {w} lattice: the checkerboard needs even sizes")
    keys = keys.view(-1, 1, 1)
    for sub, (a, b) in enumerate(SUBLATTICES):
        padded = pad(spins, periodic)
        centre = spins[:, a::2, b::2]
        hs, ws = centre.shape[1:]
        nbrs = torch.stack(
            [
                padded[:, 1 + a + dy : 1 + a + dy + 2 * hs - 1 : 2, 1 + b + dx : 1 + b + dx + 2 * ws - 1 : 2]
                for dy, dx in NEIGHBOURS
            ]
        )  # (8, B, hs, ws)
        bits = mix32(mix32(keys ^ mix32((4 * step + sub) * _GOLDEN & MASK32)) + hashes[sub])
        if distinct:
            proposal = _distinct_proposal(nbrs, centre, bits, reserved)
        else:
            proposal = nbrs.gather(0, (bits & 7).unsqueeze(0)).squeeze(0)
        d_energy = (nbrs == centre).sum(0, dtype=torch.int8) - (nbrs == proposal).sum(0, dtype=torch.int8)
        p = table[(d_energy + 8).long()]
        if mobility is not None:
            p = p * mobility[:, a::2, b::2]
        u = (bits >> 8).to(torch.float32) * (1.0 / (1 << 24))
        accept = (u < p) & (proposal != centre) & (proposal != EDGE)
        spins[:, a::2, b::2] = torch.where(accept, proposal, centre)


def _distinct_proposal(nbrs: torch.Tensor, centre: torch.Tensor, bits: torch.Tensor, reserved: int) -> torch.Tensor:
    """The ``distinct`` proposal of :func:`sweep`: ``nbrs`` ``(8, ...)``, ``centre`` and
    ``bits`` ``(...)``; EDGE where there is no candidate (never accepted)."""
    earlier = torch.ones(8, 8, dtype=torch.bool, device=nbrs.device).tril(-1)  # [k, j]: j < k
    earlier = earlier.view(8, 8, *([1] * centre.dim()))
    repeat = ((nbrs.unsqueeze(1) == nbrs.unsqueeze(0)) & earlier).any(1)  # (8, ...): seen before
    candidate = ~repeat & (nbrs != centre) & (nbrs != EDGE) & (nbrs != reserved)
    rank = candidate.cumsum(0, dtype=torch.int8)  # 1..n at the candidates
    n = rank[-1].to(torch.int64)
    pick = ((bits & 255) * n >> 8) + 1
    chosen = candidate & (rank == pick.to(torch.int8))
    proposal = nbrs.gather(0, chosen.to(torch.uint8).argmax(0, keepdim=True)).squeeze(0)
    return torch.where(n > 0, proposal, torch.full_like(proposal, EDGE))


def choose_kernel(kernel: str | None, device: torch.device) -> str:
    """``"numba"`` (compiled loops, :mod:`msdl.potts.numba_kernels`) on the CPU, else
    ``"torch"`` (this module's dense sweeps, fast on GPUs): the faster on each device
    (benchmarks/potts_engine.py). An explicit ``kernel`` must suit the device."""
    kernel = kernel or ("numba" if device.type == "cpu" else "torch")
    if kernel not in ("numba", "torch"):
        raise ValueError(f"Potts kernel {kernel!r}: expected 'numba' or 'torch'")
    if kernel == "numba" and device.type != "cpu":
        raise ValueError(f"Potts kernel 'numba' runs on the CPU, not on {device}")
    return kernel


def rounds(time: float, mcs_per_time: float) -> int:
    """Sweeps that represent ``time`` SPPARKS time units."""
    return int(math.ceil(time * mcs_per_time - 1e-9))
