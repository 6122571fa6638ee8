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

import numba
import numpy as np
from numba import njit, prange

from msdl.potts.lattice import EDGE, NEIGHBOURS, SUBLATTICES
from msdl.potts.rng import _GOLDEN, MASK32, mix32

_SUB = np.array(SUBLATTICES, dtype=np.int64)  # (4, 2): (a, b) of each sublattice
_NBR = np.array(NEIGHBOURS, dtype=np.int64)  # (8, 2): (dy, dx) in proposal order
_INV_2_24 = np.float32(1.0 / (1 << 24))
_MELT_SALT = 0x3C6EF372


# :func:`msdl.potts.rng.mix32` itself, compiled: int64 below 2**32, products below 2**63.
_mix32 = njit(cache=True, inline="always")(mix32)


def site_hash_grid(height: int, width: int) -> np.ndarray:
    """``(H, W)`` int64: ``mix32((y*W + x) * GOLDEN)``, the per-site part of the random bits."""
    site = np.arange(height * width, dtype=np.int64).reshape(height, width)
    return np.asarray(mix32(site * _GOLDEN & MASK32), dtype=np.int64)


@njit(cache=True, inline="always")
def _attempt(row, x, c, nb, key_step, site_hash, table, mobility):
    """The Metropolis attempt at ``row[x]`` (spin ``c``) once the site is known to have a
    neighbour of another spin; ``nb`` ``(8,)`` int32 holds the neighbour spins in
    NEIGHBOURS order (an array, not a tuple: numba indexes tuples through a switch)."""
    bits = _mix32(key_step + site_hash)
    _metropolis(row, x, c, nb, nb[bits & 7], bits, table, mobility)


@njit(cache=True, inline="always")
def _metropolis(row, x, c, nb, proposal, bits, table, mobility):
    """Accept ``proposal`` at ``row[x]`` (spin ``c``, neighbours ``nb``) with probability
    ``mobility * table[dE + 8]``, the uniform draw from the top 24 of ``bits``; never
    ``c`` itself or EDGE."""
    d_energy = 0
    for k in range(8):
        d_energy += (nb[k] == c) - (nb[k] == proposal)
    p = table[d_energy + 8] * mobility
    u = np.float32(bits >> 8) * _INV_2_24
    # branch-free (the outcome is a coin flip for the CPU's predictor)
    accept = (u < p) & (proposal != c) & (proposal != EDGE)
    row[x] = proposal if accept else c


@njit(cache=True, inline="always")
def _attempt_distinct(row, x, c, nb, distinct, key_step, site_hash, table, mobility, reserved):
    """The Metropolis attempt of am/ellipsoid (SPPARKS ``site_event_rejection``): the
    proposal is one of the *distinct* neighbour spins other than ``c``, EDGE and
    ``reserved``, uniformly (not weighted by how many neighbours carry it); no such spin:
    no attempt. ``distinct`` ``(8,)`` int32 is scratch. The index is the top bits of
    ``(bits & 255) * n`` (a relative bias below 1/85 between the ``n`` choices)."""
    n = 0
    for k in range(8):
        v = nb[k]
        if v == c or v == EDGE or v == reserved:
            continue
        seen = False
        for j in range(k):
            seen |= nb[j] == v
        if not seen:
            distinct[n] = v
            n += 1
    if n == 0:
        return
    bits = _mix32(key_step + site_hash)
    _metropolis(row, x, c, nb, distinct[((bits & 255) * n) >> 8], bits, table, mobility)


@njit(cache=True, inline="always")
def _fill(nb, n0, n1, n2, n3, n4, n5, n6, n7):
    nb[0], nb[1], nb[2], nb[3], nb[4], nb[5], nb[6], nb[7] = n0, n1, n2, n3, n4, n5, n6, n7
    return nb


@njit(cache=True, parallel=True)
def grain_growth_sweeps(spins, keys, first_step, last_step, table, site_hash):
    """Sweeps ``first_step..last_step`` in place on periodic ``spins`` ``(B, H, W)`` int32
    (H, W even); ``table`` float32 ``(17,)`` from :func:`msdl.potts.lattice.acceptance_table`."""
    n, h, w = spins.shape
    one = np.float32(1.0)
    # unsigned column indices: numba then skips its negative-index wrap-around checks
    left = np.empty(w, dtype=np.uint64)
    right = np.empty(w, dtype=np.uint64)
    for x in range(w):
        left[x], right[x] = (x - 1 + w) % w, (x + 1) % w
    for i in prange(n):
        s = spins[i]
        nb = np.empty(8, dtype=np.int32)
        for step in range(first_step, last_step + 1):
            for sub in range(4):
                a, b = _SUB[sub, 0], _SUB[sub, 1]
                key_step = _mix32(keys[i] ^ _mix32((4 * step + sub) * _GOLDEN & MASK32))
                for y in range(a, h, 2):
                    up, row, down, hash_row = s[(y - 1 + h) % h], s[y], s[(y + 1) % h], site_hash[y]
                    for xi in range(b, w, 2):
                        x = np.uint64(xi)
                        c = row[x]
                        xm, xp = left[x], right[x]
                        if (
                            up[x] == c
                            and down[x] == c
                            and row[xm] == c
                            and row[xp] == c
                            and up[xm] == c
                            and up[xp] == c
                            and down[xm] == c
                            and down[xp] == c
                        ):
                            continue  # all 8 neighbours carry c: it would propose c
                        _fill(nb, up[xm], up[x], up[xp], row[xm], row[xp], down[xm], down[x], down[xp])
                        _attempt(row, x, c, nb, key_step, hash_row[x], table, one)


@njit(cache=True, parallel=True)
def melt_pool_sweep(spins, keys, step, table, site_hash, y0, x0, melted, mobility, nspins, distinct=False):
    """One sweep in place on non-periodic ``spins`` ``(B, H, W)`` int32 over the window
    ``(h, w)`` at ``(y0, x0)``: its liquid sites (``melted`` ``(h, w)`` bool) take fresh
    random spins ``0..nspins-1``, then its sites with ``mobility`` ``(h, w)`` float32 > 0
    make one Metropolis attempt each. As in the torch kernel on a window view, the
    sublattices count from the window's corner and sites beyond the window are EDGE.
    ``distinct``: propose one of the distinct neighbour spins, never ``nspins``
    (am/ellipsoid, :func:`_attempt_distinct`), else a random neighbour's spin (the weld)."""
    n, _, nx = spins.shape
    h, w = melted.shape
    melt_key = _mix32((step * _GOLDEN + _MELT_SALT) & MASK32)
    reserved = np.int32(nspins)
    for i in prange(n):
        s = spins[i]
        nb = np.empty(8, dtype=np.int32)
        scratch = np.empty(8, dtype=np.int32)
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
                row = s[gy]
                up = s[gy - 1] if y > 0 else row  # not read at the window's first row
                down = s[gy + 1] if y + 1 < h else row  # nor below its last
                inner_row = 0 < y < h - 1
                for x in range(b, w, 2):
                    m = mobility[y, x]
                    if not m > 0:  # (NaN too)
                        continue  # cannot move (cold metal, liquid, beyond the HAZ)
                    gx = x0 + x
                    c = row[gx]
                    if inner_row and 0 < x < w - 1:
                        if (
                            up[gx] == c
                            and down[gx] == c
                            and row[gx - 1] == c
                            and row[gx + 1] == c
                            and up[gx - 1] == c
                            and up[gx + 1] == c
                            and down[gx - 1] == c
                            and down[gx + 1] == c
                        ):
                            continue  # all 8 neighbours carry c: it would propose c
                        _fill(
                            nb,
                            up[gx - 1],
                            up[gx],
                            up[gx + 1],
                            row[gx - 1],
                            row[gx + 1],
                            down[gx - 1],
                            down[gx],
                            down[gx + 1],
                        )
                    else:  # on the window's border: EDGE beyond it, as the torch kernel's window view
                        l, r = x > 0, x + 1 < w
                        t, d = y > 0, y + 1 < h
                        _fill(
                            nb,
                            up[gx - 1] if t and l else EDGE,
                            up[gx] if t else EDGE,
                            up[gx + 1] if t and r else EDGE,
                            row[gx - 1] if l else EDGE,
                            row[gx + 1] if r else EDGE,
                            down[gx - 1] if d and l else EDGE,
                            down[gx] if d else EDGE,
                            down[gx + 1] if d and r else EDGE,
                        )
                    if distinct:
                        _attempt_distinct(row, gx, c, nb, scratch, key_step, site_hash[gy, gx], table, m, reserved)
                    else:
                        _attempt(row, gx, c, nb, key_step, site_hash[gy, gx], table, m)


def set_threads(threads: int) -> int:
    """Threads for the seeds of a batch (a rule's ``threads``), at most numba's maximum."""
    threads = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(threads)
    return threads


def warm_up() -> None:
    """Compile the kernels, or load them from numba's cache, on a 4 x 4 lattice."""
    spins = np.ones((1, 4, 4), dtype=np.int32)
    keys, table, hashes = np.zeros(1, dtype=np.int64), np.ones(17, dtype=np.float32), site_hash_grid(4, 4)
    grain_growth_sweeps(spins, keys, 1, 1, table, hashes)
    melted, mobility = np.zeros((4, 4), dtype=np.bool_), np.ones((4, 4), dtype=np.float32)
    for distinct in (False, True):
        melt_pool_sweep(spins, keys, 1, table, hashes, 0, 0, melted, mobility, 2, distinct)
