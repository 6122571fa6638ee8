"""Compiled CPU kernels (numba) for the checkerboard Metropolis of :mod:`msdl.potts.lattice`.

The same algorithm, random numbers and float32 comparisons as the torch kernel
(:func:`msdl.potts.lattice.sweep`), written as loops over sites so that a CPU core does
only the work that can change a spin:

- a site whose 8 neighbours all carry its own spin would propose its own spin (a no-op),
  so it is skipped before its random bits are even hashed (random numbers are a hash of
  (seed, update, site), so skipping consumes nothing and the trajectory is unchanged);
- in the melt-pool models only sites with a non-zero mobility are visited (the HAZ; the
  rest cannot move), and the per-sweep pool geometry is computed once for the whole batch
  on the HAZ window by the caller.

So a seed gives the same bytes from this kernel as from the torch kernel on the CPU
(tests/test_potts_numba.py). Seeds of a batch run in parallel (``prange``) on
``numba.set_num_threads`` threads; each seed's result is independent of the batch.

Spins are ``(B, H, W)`` int32 (the EDGE spin -1 stands for "no site" at non-periodic
edges), seed keys ``(B,)`` int64 from :func:`msdl.potts.rng.seed_keys`, site hashes
``(H, W)`` int64 ``mix32((y*W + x) * GOLDEN)`` (:func:`site_hash_grid`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from msdl.potts.lattice import EDGE, NEIGHBOURS, SUBLATTICES
from msdl.potts.rng import MASK32, _C1, _C2, _GOLDEN, mix32

_SUB = np.array(SUBLATTICES, dtype=np.int64)  # (4, 2): (a, b) of each sublattice
_NBR = np.array(NEIGHBOURS, dtype=np.int64)  # (8, 2): (dy, dx) in proposal order
_INV_2_24 = np.float32(1.0 / (1 << 24))
_MELT_SALT = 0x3C6EF372


@njit(cache=True, inline="always")
def _mix32(x):
    """:func:`msdl.potts.rng.mix32` on an int64 below 2**32 (products stay below 2**63)."""
    x = x & MASK32
    x = x ^ (x >> 16)
    x = (x * _C1) & MASK32
    x = x ^ (x >> 15)
    x = (x * _C2) & MASK32
    x = x ^ (x >> 16)
    x = (x * _C1) & MASK32
    return x ^ (x >> 15)


def site_hash_grid(height: int, width: int) -> np.ndarray:
    """``(H, W)`` int64: ``mix32((y*W + x) * GOLDEN)``, the per-site part of the random bits."""
    site = np.arange(height * width, dtype=np.int64).reshape(height, width)
    return np.asarray(mix32(site * _GOLDEN & MASK32), dtype=np.int64)


@njit(cache=True, inline="always")
def _at(s, y, x):
    """``s[y, x]``, or EDGE where ``y`` or ``x`` is -1 (beyond a non-periodic edge)."""
    return EDGE if (y < 0 or x < 0) else s[y, x]


@njit(cache=True, inline="always")
def _update_site(s, y, x, ym, yp, xm, xp, key_step, site_hash, table, mobility):
    """One Metropolis attempt at ``s[y, x]``; ``ym``/``yp`` the rows above/below and
    ``xm``/``xp`` the columns left/right (-1: EDGE beyond the edge)."""
    c = s[y, x]
    nb = (_at(s, ym, xm), _at(s, ym, x), _at(s, ym, xp), _at(s, y, xm), _at(s, y, xp), _at(s, yp, xm), _at(s, yp, x), _at(s, yp, xp))
    same = 0
    for k in range(8):
        if nb[k] == c:
            same += 1
    if same == 8:
        return  # proposes its own spin
    bits = _mix32(key_step + site_hash)
    proposal = nb[bits & 7]
    if proposal == c or proposal == EDGE:
        return
    n_prop = 0
    for k in range(8):
        if nb[k] == proposal:
            n_prop += 1
    p = table[same - n_prop + 8] * mobility
    u = np.float32(bits >> 8) * _INV_2_24
    if u < p:
        s[y, x] = proposal


@njit(cache=True, parallel=True)
def grain_growth_sweeps(spins, keys, first_step, last_step, table, site_hash):
    """Sweeps ``first_step..last_step`` in place on periodic ``spins`` ``(B, H, W)`` int32
    (H, W even); ``table`` float32 ``(17,)`` from :func:`msdl.potts.lattice.acceptance_table`."""
    n, h, w = spins.shape
    one = np.float32(1.0)
    for i in prange(n):
        s = spins[i]
        for step in range(first_step, last_step + 1):
            for sub in range(4):
                a, b = _SUB[sub, 0], _SUB[sub, 1]
                key_step = _mix32(keys[i] ^ _mix32((4 * step + sub) * _GOLDEN & MASK32))
                for y in range(a, h, 2):
                    ym, yp = (y - 1) % h, (y + 1) % h
                    for x in range(b, w, 2):
                        _update_site(s, y, x, ym, yp, (x - 1) % w, (x + 1) % w, key_step, site_hash[y, x], table, one)


@njit(cache=True, parallel=True)
def melt_pool_sweep(spins, keys, step, table, site_hash, y0, x0, melted, mobility, nspins):
    """One sweep in place on non-periodic ``spins`` ``(B, H, W)`` int32 over the window
    ``(h, w)`` at ``(y0, x0)``: its liquid sites (``melted`` ``(h, w)`` bool) take fresh
    random spins ``0..nspins-1``, then its sites with ``mobility`` ``(h, w)`` float32 > 0
    make one Metropolis attempt each. As in the torch kernel on a window view, the
    sublattices count from the window's corner and sites beyond the window are EDGE."""
    n, _, nx = spins.shape
    h, w = melted.shape
    melt_key = _mix32((step * _GOLDEN + _MELT_SALT) & MASK32)
    for i in prange(n):
        s = spins[i]
        k_melt = keys[i] ^ melt_key
        for y in range(h):
            for x in range(w):
                if melted[y, x]:
                    site = (y0 + y) * nx + (x0 + x)
                    s[y0 + y, x0 + x] = np.int32(_mix32(k_melt ^ _mix32(site & MASK32)) % nspins)
        for sub in range(4):
            a, b = _SUB[sub, 0], _SUB[sub, 1]
            key_step = _mix32(keys[i] ^ _mix32((4 * step + sub) * _GOLDEN & MASK32))
            for y in range(a, h, 2):
                gy = y0 + y
                ym = gy - 1 if y > 0 else -1
                yp = gy + 1 if y + 1 < h else -1
                for x in range(b, w, 2):
                    m = mobility[y, x]
                    if m > 0:
                        gx = x0 + x
                        xm = gx - 1 if x > 0 else -1
                        xp = gx + 1 if x + 1 < w else -1
                        _update_site(s, gy, gx, ym, yp, xm, xp, key_step, site_hash[gy, gx], table, m)
