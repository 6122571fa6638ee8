"""The builtin engine for the moving melt pools: am/ellipsoid and potts/weld (2D slices).

Both apps of SPPARKS move a melt pool over a Potts lattice with a sweep solver at 26
sweeps per time unit (``sweep`` on ``sc/26n``: 2,860 sweeps for t = 110, 1,352 for
t = 52, shared/spec/spparks.md). On a one-site-thick slice (``region ... 0 1``,
non-periodic) each site has its 8 in-plane neighbours, so one sweep is one
:func:`msdl.potts.lattice.sweep` with the site mobility ``M``:

- inside the pool the metal is liquid: every sweep its sites take fresh random spins
  ``0..nspins-1`` (SPPARKS ``int(nspins * U)``) and do not move otherwise;
- in the heat-affected zone (HAZ) around the pool sites move with mobility ``M(d)`` at
  distance ``d`` from the pool: am/ellipsoid ``exp(-exp_factor * d)`` with SPPARKS's
  integer shell distance (:meth:`AmEllipsoid.fields`), the weld a
  linear decay ``1 - d / haz`` (our choice: SPPARKS's weld mobility is not documented in
  the spec); elsewhere ``M = 0`` (cold metal keeps its grains).

Grains grow from the solid at the trailing pool edge into the liquid-randomized sites
left behind, which gives the raster pattern of additive builds and the columnar grains
of a weld, tilted toward its centreline.

am/ellipsoid follows SPPARKS's ``app_am_ellipsoid.cpp`` and ``am_ellipsoid.h`` (pool
frame: ``u`` along travel, ``v`` across): the pool is the half-ellipse ``cap_height`` x
``spot_width/2`` ahead and ``melt_tail_length`` x ``spot_width/2`` behind, the HAZ the
rectangle ``-tail_haz < u <= cap_haz``, ``|v| <= haz/2`` around it, ``d`` the index of the
smallest grown ellipse holding the site (:meth:`AmEllipsoid.fields`); a mobile site
proposes one of its distinct neighbour spins (``distinct`` in
:func:`msdl.potts.lattice.sweep`). The top surface is the slice, so
``melt_depth``/``depth_haz`` do not enter. Scan: passes along x at ``speed`` sites per
time unit, ``hatch`` apart in y from y = 0 to the far edge, serpentine, each from
``offset_x`` before the box to ``-offset_x`` past it; the run ends with the scan
(t = 110 for the report's deck, as SPPARKS). The one calibrated constant is the time
scale, :data:`AM_SWEEPS_PER_TIME`.

potts/weld teardrop (case III; ``alpha``, ``beta`` its exponents): front at
``y_f = yp + velocity * t`` on the centre line ``x = nx/2``, length ``L = width``; at
``s = (y_f - y) / L`` in [0, 1] the half width is ``width/2 * g(s)``, ``g`` proportional
to ``s**beta * (1 - s)**alpha`` scaled to a maximum of 1 (blunt front, narrow tail).

Only the rows/columns within the HAZ (plus one site) are updated each sweep; the rest
has ``M = 0``, so this changes nothing but the cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, ClassVar, Sequence

import numpy as np
import torch

from msdl.potts.lattice import acceptance_table, choose_kernel, site_hashes, spin_dtype, sweep
from msdl.potts.rng import _GOLDEN, MASK32, mix32, seed_keys

SWEEPS_PER_TIME = 26  # SPPARKS sweep solver on sc/26n

#: am/ellipsoid: checkerboard sweeps per SPPARKS time unit (SPPARKS: 26 random sweeps).
#: SPPARKS's ``sweep random`` makes ``N`` attempts at sites drawn at random (each site
#: Poisson(1) times a sweep); our checkerboard attempts every site once, a sublattice at a
#: time in a fixed order, so a flip can pass to the next sublattice within the same sweep
#: and fronts advance faster per sweep (up to 2 sites where the mobility is ~1, near the
#: pool). With everything else as in SPPARKS (geometry, distance, distinct-spin
#: proposals), 26 checkerboard sweeps coarsened too much (25.5 grains in the crop
#: :data:`msdl.potts.grains.AM_CROP`, seeds 1-8, against 53 in SPPARKS's final state),
#: while a random-sequential emulation of SPPARKS's solver with the same geometry gave
#: 51.7 +- 6.0 (seeds 1-16; aspect 1.93, tilt 19.5 deg, mean area 88). 21.5 checkerboard
#: sweeps per time unit match that emulation (21: 54.9 grains, 22: 48.1): the rate of one
#: update scheme in units of the other, fitted on 16 seeds, not on the one SPPARKS state.
AM_SWEEPS_PER_TIME = 21.5


@dataclass(frozen=True)
class Window:
    """Rows ``y0:y1`` and columns ``x0:x1`` of the lattice updated in one sweep."""

    y0: int
    y1: int
    x0: int
    x1: int


def _window(y_lo: float, y_hi: float, x_lo: float, x_hi: float, ny: int, nx: int) -> Window | None:
    y0, y1 = max(0, math.floor(y_lo) - 1), min(ny, math.ceil(y_hi) + 2)
    x0, x1 = max(0, math.floor(x_lo) - 1), min(nx, math.ceil(x_hi) + 2)
    return Window(y0, y1, x0, x1) if y1 > y0 and x1 > x0 else None


@dataclass(frozen=True)
class AmEllipsoid:
    """am/ellipsoid on an ``nx x ny`` slice (config ``datasets.<name>`` entry)."""

    #: SPPARKS's am/ellipsoid proposes one of the distinct neighbour spins (never nspins)
    distinct_proposal: ClassVar[bool] = True
    sweeps_per_time: ClassVar[float] = AM_SWEEPS_PER_TIME

    nx: int
    ny: int
    nspins: int
    spot_width: float
    melt_tail_length: float
    cap_height: float
    haz: float
    tail_haz: float
    cap_haz: float
    exp_factor: float
    speed: float
    hatch: float
    offset_x: float

    @classmethod
    def from_config(cls, ds: dict) -> "AmEllipsoid":
        p, s = ds["melt_pool"], ds["scan"]
        return cls(
            *ds["sites"],
            ds["nspins"],
            p["spot_width"],
            p["melt_tail_length"],
            p["cap_height"],
            p["haz"],
            p["tail_haz"],
            p["cap_haz"],
            p["exp_factor"],
            s["speed"],
            s["hatch"],
            float(s["offset"][0]),
        )

    @property
    def passes(self) -> list[float]:
        """y of each pass."""
        return [k * self.hatch for k in range(int(math.floor(self.ny / self.hatch + 1e-9)) + 1)]

    @property
    def pass_length(self) -> float:
        return self.nx - 2 * self.offset_x

    @property
    def end_time(self) -> float:
        return len(self.passes) * self.pass_length / self.speed

    def pool(self, t: float) -> tuple[float, float, int]:
        """Pool centre ``(x, y)`` and travel direction (+1/-1 along x) at time ``t``."""
        travelled = min(t * self.speed, len(self.passes) * self.pass_length - 1e-9)
        k = int(travelled // self.pass_length)
        along = travelled - k * self.pass_length
        direction = 1 if k % 2 == 0 else -1
        x = self.offset_x + along if direction > 0 else self.nx - self.offset_x - along
        return x, self.passes[k], direction

    @property
    def shells(self) -> int:
        """Shells ``i = 0..shells-1`` enough to reach every HAZ site (the shell ``i``
        contains the circle of radius ``min(semi-axes) + i`` about the pool centre)."""
        return int(math.ceil(math.hypot(max(self.tail_haz, self.cap_haz), self.haz / 2))) + 2

    def fields(self, t: float, device) -> tuple[Window, torch.Tensor, torch.Tensor] | None:
        """``(window, melted (1,h,w) bool, mobility (1,h,w) float32)`` at time ``t``.

        As SPPARKS am/ellipsoid (``app_update``, ``AmEllipsoid::distance``), in the pool
        frame (``u`` along travel, ``v`` across, the slice's ``z`` = the layer's, so the
        depth terms vanish): the HAZ is the *rectangle* ``-tail_haz < u < 0`` or
        ``|u| <= cap_haz``, with ``|v| <= haz/2``; a site's distance ``d`` is the smallest
        integer ``i >= 0`` whose grown half-ellipse ``(v / (spot_width/2 + i))**2 +
        (u / (L + i))**2 <= 1`` holds it (``L`` = ``cap_height`` ahead, ``u >= 0``, else
        ``melt_tail_length``). ``d = 0`` (the pool and its boundary) is liquid (SPPARKS's
        mobility ``exp(0) = 1`` re-randomizes the site), ``d >= 1`` moves with mobility
        ``exp(-exp_factor * d)``, and everything outside the rectangle is cold.

        Per row ``v`` shell ``i`` reaches ``|u| <= (L + i) * sqrt(1 - (v / (w/2 + i))**2)``,
        non-decreasing in ``i``, so ``d`` is the number of shells whose reach is below
        ``|u|``: one ``searchsorted`` per side, in float64.
        """
        px, py, direction = self.pool(t)
        back, front = (
            (px - self.tail_haz, px + self.cap_haz) if direction > 0 else (px - self.cap_haz, px + self.tail_haz)
        )
        win = _window(py - self.haz / 2, py + self.haz / 2, back, front, self.ny, self.nx)
        if win is None:
            return None
        f64 = torch.float64
        y = torch.arange(win.y0, win.y1, device=device, dtype=f64).view(-1, 1)
        x = torch.arange(win.x0, win.x1, device=device, dtype=f64).view(1, -1)
        u = ((x - px) * direction).expand(y.shape[0], -1).contiguous()
        v = y - py  # (h, 1)
        i = torch.arange(self.shells, device=device, dtype=f64).view(1, -1)
        across = 1 - (v / (self.spot_width / 2 + i)) ** 2  # (h, shells)
        ahead = u >= 0
        d = torch.where(
            ahead,
            torch.searchsorted(self._reach(across, self.cap_height + i), u.abs()),
            torch.searchsorted(self._reach(across, self.melt_tail_length + i), u.abs()),
        )
        # the reach is SPPARKS's test rearranged, so on a shell's boundary (q = 1 up to
        # rounding) it may be one off: settle d with SPPARKS's own expression
        length = torch.where(ahead, float(self.cap_height), float(self.melt_tail_length))

        def holds(shell: torch.Tensor) -> torch.Tensor:
            return (v / (self.spot_width / 2 + shell)) ** 2 + (u / (length + shell)) ** 2 <= 1

        d = torch.where((d > 0) & holds(d - 1.0), d - 1, torch.where(holds(d.to(f64)), d, d + 1))
        haz = (((u > -self.tail_haz) & (u < 0)) | (u.abs() <= self.cap_haz)) & (v.abs() <= self.haz / 2)
        melted = haz & (d == 0)
        mobility = torch.where(haz & (d > 0), torch.exp(-self.exp_factor * d.to(f64)), 0.0)
        return win, melted.unsqueeze(0), mobility.unsqueeze(0).to(torch.float32)

    @staticmethod
    def _reach(across: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
        """``|u|`` reach ``(h, shells)`` of each shell on each row; -inf where the shell
        does not reach the row (``across < 0``)."""
        return torch.where(across >= 0, length * across.clamp(min=0).sqrt(), -math.inf).contiguous()


@dataclass(frozen=True)
class Weld:
    """potts/weld, steady teardrop pool moving along +y on an ``nx x ny`` slice."""

    #: a random neighbour's spin, as ``potts/neigh`` (SPPARKS's weld rule is not in the spec)
    distinct_proposal: ClassVar[bool] = False
    sweeps_per_time: ClassVar[float] = SWEEPS_PER_TIME

    nx: int
    ny: int
    nspins: int
    yp: float
    alpha: float
    beta: float
    velocity: float
    haz: float
    width: float
    time: float
    kT: float

    @classmethod
    def from_config(cls, ds: dict) -> "Weld":
        p = ds["pool"]
        return cls(
            *ds["sites"],
            ds["nspins"],
            p["yp"],
            p["alpha"],
            p["beta"],
            p["velocity"],
            p["haz"],
            p["width"],
            float(ds["time"]),
            float(ds["kT"]),
        )

    @property
    def end_time(self) -> float:
        return self.time

    @property
    def length(self) -> float:
        return self.width

    def fields(self, t: float, device) -> tuple[Window, torch.Tensor, torch.Tensor] | None:
        front = self.yp + self.velocity * t
        tail = front - self.length
        win = _window(tail - self.haz, front + self.haz, 0, self.nx - 1, self.ny, self.nx)
        if win is None:
            return None
        y = torch.arange(win.y0, win.y1, device=device, dtype=torch.float32).view(-1, 1)
        x = torch.arange(win.x0, win.x1, device=device, dtype=torch.float32).view(1, -1)
        xc = self.nx / 2
        s = (front - y) / self.length
        # g(s) = s^beta (1-s)^alpha / max, max at s* = beta / (alpha + beta)
        s_star = self.beta / (self.alpha + self.beta)
        g_max = s_star**self.beta * (1 - s_star) ** self.alpha
        sc = s.clamp(0, 1)
        half = self.width / 2 * sc**self.beta * (1 - sc) ** self.alpha / g_max
        across = (x - xc).abs()
        inside_length = (s >= 0) & (s <= 1)
        dist = torch.where(
            inside_length,
            (across - half).clamp(min=0),
            torch.where(s < 0, torch.hypot(y - front, x - xc), torch.hypot(y - tail, x - xc)),
        )
        melted = inside_length & (across <= half)
        mobility = torch.where((~melted) & (dist < self.haz), 1 - dist / self.haz, 0.0)
        return win, melted.unsqueeze(0), mobility.unsqueeze(0).to(torch.float32)


def simulate(
    model: AmEllipsoid | Weld,
    stream: str,
    seeds: Sequence[int],
    kT: float,
    device: str | torch.device = "cpu",
    on_sweep: Callable[[int, int], None] | None = None,
    kernel: str | None = None,
) -> np.ndarray:
    """Final spins ``(B, ny, nx)`` int32 of every seed, simulated as one batch.

    Initial spins are uniform in ``1..nspins`` (SPPARKS ``set ... range 1 nspins``).
    ``kernel`` ``"numba"`` or ``"torch"`` (default: numba on the CPU, torch elsewhere;
    both give the same spins).
    """
    device = torch.device(device)
    keys = seed_keys(stream, seeds, device)
    site = torch.arange(model.ny * model.nx, device=device).view(model.ny, model.nx)
    dtype = spin_dtype(model.nspins)
    spins = (mix32(keys.view(-1, 1, 1) ^ mix32((site + 0x51ED27) & MASK32)) % model.nspins + 1).to(dtype)
    table = acceptance_table(kT, device)
    total = int(math.ceil(model.end_time * model.sweeps_per_time - 1e-9))
    if choose_kernel(kernel, device) == "numba":
        return _simulate_numba(model, keys, spins, table, total, on_sweep)
    for step in range(1, total + 1):
        t = (step - 1) / model.sweeps_per_time
        fields = model.fields(t, device)
        if fields is not None:
            win, melted, mobility = fields
            view = spins[:, win.y0 : win.y1, win.x0 : win.x1]
            ys = torch.arange(win.y0, win.y1, device=device).view(-1, 1)
            xs = torch.arange(win.x0, win.x1, device=device).view(1, -1)
            melt_bits = mix32(
                keys.view(-1, 1, 1)
                ^ mix32((step * _GOLDEN + 0x3C6EF372) & MASK32)
                ^ mix32((ys * model.nx + xs) & MASK32)
            )
            view.copy_(torch.where(melted, (melt_bits % model.nspins).to(dtype), view))
            hashes = site_hashes(win.y1 - win.y0, win.x1 - win.x0, device, win.y0, win.x0, model.nx)
            sweep(view, keys, step, table, False, hashes, mobility, model.distinct_proposal, model.nspins)
        if on_sweep:
            on_sweep(step, total)
    return spins.cpu().numpy().astype(np.int32)


def _simulate_numba(model, keys, spins, table, total, on_sweep) -> np.ndarray:
    """:func:`simulate` with :func:`msdl.potts.numba_kernels.melt_pool_sweep`: the pool
    geometry of each sweep is computed once for the batch on the HAZ window (the same
    torch code as the torch kernel's, so the same mobilities), then every seed
    updates only the window's liquid and mobile sites."""
    from msdl.potts.numba_kernels import melt_pool_sweep, site_hash_grid

    spins = spins.numpy().astype(np.int32)
    keys, table = keys.numpy(), table.numpy()
    hashes = site_hash_grid(model.ny, model.nx)
    distinct = model.distinct_proposal
    for step in range(1, total + 1):
        fields = model.fields((step - 1) / model.sweeps_per_time, "cpu")
        if fields is not None:
            win, melted, mobility = fields
            melted, mobility = melted[0].numpy(), mobility[0].numpy()
            melt_pool_sweep(spins, keys, step, table, hashes, win.y0, win.x0, melted, mobility, model.nspins, distinct)
        if on_sweep:
            on_sweep(step, total)
    return spins
