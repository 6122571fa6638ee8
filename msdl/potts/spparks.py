"""The ``spparks`` engine: run the real SPPARKS executable once per seed.

For each seed the deck (:mod:`msdl.potts.decks`) is written into a fresh scratch
directory, SPPARKS runs there with an argument list (never a shell)::

    <executable> -in in.deck -log log.spparks                    # serial (mpi_ranks 1)
    <mpirun> -np <N> <executable> -in in.deck -log log.spparks   # mpi_ranks N > 1

and the final text dump is parsed and checked (every site present, the configured
lattice shape). A missing executable, a non-zero exit, a timeout, or a missing or
truncated dump raises :class:`SpparksError` naming the seed, with the tail of SPPARKS's
log. The scratch directory is removed in every case: nothing of a failed run is kept.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from msdl.potts.decks import render_deck
from msdl.potts.dump import DumpError, read_dump

DECK, LOG, DUMP = "in.deck", "log.spparks", "final.dump"


class SpparksError(RuntimeError):
    """One seed's SPPARKS run failed; the message names the seed and quotes its log."""


@dataclass(frozen=True)
class SpparksCommand:
    """How to launch SPPARKS (config ``spparks``): ``executable`` (a name on PATH or a
    path), ``mpi_ranks`` (1 = serial), ``mpirun`` (the MPI launcher), ``timeout_s``."""

    executable: str = "spk_serial"
    mpi_ranks: int = 1
    mpirun: str = "mpirun"
    timeout_s: float = 3600.0

    def argv(self, deck: str = DECK, log: str = LOG) -> list[str]:
        exe = [self._resolve(self.executable)]
        if self.mpi_ranks > 1:
            exe = [self._resolve(self.mpirun), "-np", str(self.mpi_ranks), *exe]
        return [*exe, "-in", deck, "-log", log]

    @staticmethod
    def _resolve(program: str) -> str:
        found = shutil.which(program)
        if found is None:
            raise FileNotFoundError(program)
        return str(Path(found).resolve())


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "<empty>"


def run_spparks(dataset: dict, seed: int, command: SpparksCommand, scratch: str | Path | None = None) -> np.ndarray:
    """The final spin array ``(ny, nx)`` int64 of one seed, from a real SPPARKS run.

    ``dataset`` is the config entry (its ``sites: [nx, ny]`` is the expected shape);
    ``scratch`` is where the per-seed temporary directory goes (default: the system's).
    """
    nx, ny = dataset["sites"]
    with tempfile.TemporaryDirectory(prefix=f"spparks-seed{seed}-", dir=scratch) as tmp:
        work = Path(tmp)
        (work / DECK).write_text(render_deck(dataset, seed, DUMP))
        try:
            argv = command.argv()
        except FileNotFoundError as err:
            raise SpparksError(
                f"seed {seed}: SPPARKS executable {err.args[0]!r} not found on PATH "
                f"(config spparks.executable / spparks.mpirun)"
            ) from None
        try:
            proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=command.timeout_s)
        except subprocess.TimeoutExpired as err:
            log = (work / LOG).read_text(errors="replace") if (work / LOG).exists() else str(err.stdout or "")
            raise SpparksError(
                f"seed {seed}: SPPARKS ran past {command.timeout_s} s; log tail:\n{_tail(log)}"
            ) from None
        log = (work / LOG).read_text(errors="replace") if (work / LOG).exists() else ""
        output = "\n".join(s for s in (log, proc.stdout, proc.stderr) if s)
        if proc.returncode != 0:
            raise SpparksError(
                f"seed {seed}: SPPARKS ({' '.join(argv)}) exited with status {proc.returncode}; log tail:\n{_tail(output)}"
            )
        try:
            snapshot = read_dump(work / DUMP)
        except DumpError as err:
            raise SpparksError(f"seed {seed}: bad SPPARKS output: {err}; log tail:\n{_tail(output)}") from None
        if snapshot.spins.shape != (ny, nx):
            raise SpparksError(
                f"seed {seed}: SPPARKS dump has {snapshot.spins.shape[1]} x {snapshot.spins.shape[0]} sites, "
                f"config sites are {nx} x {ny}; log tail:\n{_tail(output)}"
            )
        return snapshot.spins
