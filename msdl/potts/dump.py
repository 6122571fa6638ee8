"""SPPARKS text dumps (``dump ID text DELTA FILE id <spin> x y ...``) -> spin arrays.

A text dump is a sequence of snapshots::

    ITEM: TIMESTEP
    <step> <time>
    ITEM: NUMBER OF ATOMS
    <n>
    ITEM: BOX BOUNDS
    <xlo> <xhi>
    <ylo> <yhi>
    <zlo> <zhi>
    ITEM: ATOMS id type x y ...
    <one line per site>

The potts apps write the spin as ``site`` but print ``type`` in the header;
am/ellipsoid writes ``i1``. :func:`read_dump` returns the last snapshot of a file
(``.gz`` allowed) as an ``(ny, nx)`` int array indexed ``[y, x]``, after checking that it
is complete: the declared number of sites, no id twice, every lattice point once
(ids of 3D lattices need not be 1..n).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPIN_NAMES = ("site", "type", "i1")


class DumpError(ValueError):
    """A dump is missing, truncated or inconsistent; the message names the file."""


@dataclass(frozen=True)
class Snapshot:
    """The final state of a dump: ``spins`` is ``(ny, nx)`` int64, indexed ``[y, x]``."""

    time: float
    spins: np.ndarray
    box: tuple[tuple[float, float], ...]


def _open_text(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as fh:
            return fh.read()
    except FileNotFoundError:
        raise DumpError(f"{path}: dump file is missing") from None
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise DumpError(f"{path}: cannot read dump ({err})") from None


def parse_dump(text: str, name: str = "<dump>") -> Snapshot:
    """The last snapshot of a text dump's contents; ``name`` labels errors."""
    start = text.rfind("ITEM: TIMESTEP")
    if start < 0:
        raise DumpError(f"{name}: no 'ITEM: TIMESTEP' header (empty or not a SPPARKS text dump)")
    lines = text[start:].splitlines()
    try:
        header = {lines[i].strip(): i for i in range(len(lines)) if lines[i].startswith("ITEM:")}
        time = float(lines[1].split()[-1])
        n_sites = int(lines[header["ITEM: NUMBER OF ATOMS"] + 1])
        b = header["ITEM: BOX BOUNDS"]
        box = tuple(tuple(float(v) for v in lines[b + k].split()[:2]) for k in range(1, 4))
        atoms_line = next(k for k in header if k.startswith("ITEM: ATOMS"))
    except (KeyError, IndexError, ValueError, StopIteration):
        raise DumpError(f"{name}: truncated or malformed snapshot header") from None
    if n_sites < 1:
        raise DumpError(f"{name}: NUMBER OF ATOMS is {n_sites} at time {time:g}")
    columns = atoms_line.split()[2:]
    spin_col = next((c for c in SPIN_NAMES if c in columns), None)
    if columns[:1] != ["id"] or spin_col is None or "x" not in columns or "y" not in columns:
        raise DumpError(f"{name}: columns {columns} lack id, a spin ({'/'.join(SPIN_NAMES)}), x and y")
    body = lines[header[atoms_line] + 1 :]
    if len(body) < n_sites:
        raise DumpError(f"{name}: truncated dump, {len(body)} of {n_sites} site lines at time {time:g}")
    try:
        table = np.array(" ".join(body[:n_sites]).split(), dtype=np.float64).reshape(n_sites, len(columns))
    except ValueError:
        raise DumpError(f"{name}: site lines do not all have the {len(columns)} columns {columns}") from None
    if not np.isfinite(table).all():
        raise DumpError(f"{name}: site lines hold non-finite values (nan/inf)")
    if not all(np.isfinite(v) for b in box for v in b):
        raise DumpError(f"{name}: box bounds {box} are not finite")
    (xlo, xhi), (ylo, yhi) = box[0], box[1]
    nx, ny = int(round(xhi - xlo)), int(round(yhi - ylo))
    if nx * ny != n_sites:
        raise DumpError(f"{name}: {n_sites} sites but the box is {nx} x {ny} = {nx * ny} (not a 2D slice?)")
    ids = table[:, 0].astype(np.int64)
    if len(np.unique(ids)) != n_sites:
        raise DumpError(f"{name}: {n_sites - len(np.unique(ids))} duplicated site ids")
    x = np.rint(table[:, columns.index("x")] - xlo).astype(np.int64)
    y = np.rint(table[:, columns.index("y")] - ylo).astype(np.int64)
    if x.min() < 0 or x.max() >= nx or y.min() < 0 or y.max() >= ny:
        raise DumpError(f"{name}: site coordinates outside the box {box[:2]}")
    seen = np.zeros((ny, nx), dtype=np.int64)
    np.add.at(seen, (y, x), 1)
    if not (seen == 1).all():
        raise DumpError(
            f"{name}: {int((seen == 0).sum())} lattice points have no site, {int((seen > 1).sum())} have several"
        )
    spins = np.empty((ny, nx), dtype=np.int64)
    spins[y, x] = table[:, columns.index(spin_col)].astype(np.int64)
    return Snapshot(time=time, spins=spins, box=box)


def read_dump(path: str | Path) -> Snapshot:
    """The last snapshot of a text dump file (plain or ``.gz``), checked complete."""
    path = Path(path)
    return parse_dump(_open_text(path), str(path))
