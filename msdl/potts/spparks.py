"""The ``spparks`` engine: run the real SPPARKS executable once per seed.

For each seed the deck (:mod:`msdl.potts.decks`) is written into a fresh scratch
directory, SPPARKS runs there with an argument list (never a shell)::

    <executable> -in in.deck -log log.spparks                    # serial (mpi_ranks 1)
    <mpirun> -np <N> <executable> -in in.deck -log log.spparks   # mpi_ranks N > 1

and the final text dump is parsed and checked (every site present, the configured
lattice shape). A missing executable, a non-zero exit (or death by a signal), a
timeout, or a missing or truncated dump raises :class:`SpparksError` naming the seed and
the file at fault (deck, dump or log), with the tail of SPPARKS's log and output. On a
timeout SPPARKS and every process it started are killed. The scratch directory is
removed in every case: nothing of a failed run is kept.
"""

from __future__ import annotations

import math
import numbers
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from msdl.potts.decks import render_deck
from msdl.potts.dump import DumpError, read_dump

DECK, LOG, DUMP = "in.deck", "log.spparks", "final.dump"
STDOUT, STDERR = "stdout.txt", "stderr.txt"  # SPPARKS's console output, beside its log


class SpparksError(RuntimeError):
    """One seed's SPPARKS run failed; the message names the seed and quotes its log."""


@dataclass(frozen=True)
class SpparksCommand:
    """How to launch SPPARKS (config ``spparks``): ``executable`` (a name on PATH or a
    path), ``mpi_ranks`` (1 = serial), ``mpirun`` (the MPI launcher), ``timeout_s`` (per
    seed; ``None`` = no limit)."""

    executable: str = "spk_serial"
    mpi_ranks: int = 1
    mpirun: str = "mpirun"
    timeout_s: float | None = 3600.0

    def __post_init__(self) -> None:
        if isinstance(self.mpi_ranks, bool) or not isinstance(self.mpi_ranks, numbers.Integral) or self.mpi_ranks < 1:
            raise ValueError(f"spparks.mpi_ranks {self.mpi_ranks!r}: must be an integer >= 1")
        _check_timeout("spparks.timeout_s", self.timeout_s)

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


def _check_timeout(name: str, value) -> None:
    ok = value is None or (
        isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )
    if not ok:
        raise ValueError(f"{name} {value!r}: must be a positive number of seconds, or None for no limit")


def _tail(text: str, lines: int = 20, chars: int = 4000) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])[-chars:] or "<empty>"


def _read(path: Path) -> str:
    """A text file SPPARKS wrote, undecodable bytes replaced ("" if it is not there)."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _descendants(pid: int) -> set[int]:
    """Processes below ``pid`` (Linux ``/proc``; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return set()
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": state, ppid, ...
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and every process it started (MPI ranks, a wrapper's children).

    The tree is frozen first (``SIGSTOP``, repeated until no new process appears) so
    that nothing forks away while it is being killed, then killed with ``SIGKILL``;
    ``proc`` is reaped.
    """
    stopped: set[int] = set()
    if proc.poll() is None:
        for _ in range(100):
            tree = ({proc.pid} | _descendants(proc.pid)) - stopped
            if not tree:
                break
            for pid in tree:
                _signal(pid, signal.SIGSTOP)
            stopped |= tree
    for pid in stopped:
        _signal(pid, signal.SIGKILL)  # also ends a stopped process
    proc.wait()


def _limit(*timeouts: float | None) -> float | None:
    given = [t for t in timeouts if t is not None]
    return min(given) if given else None


def run_spparks(
    dataset: dict,
    seed: int,
    command: SpparksCommand,
    scratch: str | Path | None = None,
    timeout_s: float | None = None,
) -> np.ndarray:
    """The final spin array ``(ny, nx)`` int64 of one seed, from a real SPPARKS run.

    ``dataset`` is the config entry (its ``sites: [nx, ny]`` is the expected shape);
    ``scratch`` is where the per-seed temporary directory goes (default: the system's).
    SPPARKS is killed (with everything it started) after ``timeout_s`` seconds, or after
    ``command.timeout_s`` if that is shorter (``None``: no limit; e.g. the time left
    to the job). Raises :class:`SpparksError` naming the seed and the file at fault.
    """
    _check_timeout("timeout_s", timeout_s)
    limit = _limit(command.timeout_s, timeout_s)
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
        # console output goes to files, not pipes: nothing SPPARKS (or a child that
        # outlives it) prints can block it or us, however much it prints
        with open(work / STDOUT, "wb") as out, open(work / STDERR, "wb") as err:
            try:
                proc = subprocess.Popen(argv, cwd=work, stdout=out, stderr=err)
            except OSError as e:
                raise SpparksError(f"seed {seed}: cannot start SPPARKS ({' '.join(argv)}): {e}") from None
            try:
                returncode = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                kill_tree(proc)
                raise SpparksError(
                    f"seed {seed}: SPPARKS ran past the {limit:g} s timeout on deck {DECK} and was killed "
                    f"({' '.join(argv)}); tail of {LOG} and its output:\n{_tail(_output(work))}"
                ) from None
            except BaseException:  # interrupted: leave no SPPARKS behind
                kill_tree(proc)
                raise
        output = _output(work)
        if returncode != 0:
            how = (
                f"was killed by signal {signal.Signals(-returncode).name}"
                if returncode < 0 and -returncode in signal.valid_signals()
                else f"exited with status {returncode}"
            )
            raise SpparksError(
                f"seed {seed}: SPPARKS ({' '.join(argv)}) {how} on deck {DECK}; "
                f"tail of {LOG} and its output:\n{_tail(output)}"
            )
        try:
            snapshot = read_dump(work / DUMP)
        except DumpError as err:
            raise SpparksError(
                f"seed {seed}: bad SPPARKS output: {err} (deck {DECK}); tail of {LOG} and its output:\n{_tail(output)}"
            ) from None
        if snapshot.spins.shape != (ny, nx):
            raise SpparksError(
                f"seed {seed}: SPPARKS dump has {snapshot.spins.shape[1]} x {snapshot.spins.shape[0]} sites, "
                f"config sites are {nx} x {ny} ({DUMP} of deck {DECK}); tail of {LOG} and its output:\n{_tail(output)}"
            )
        return snapshot.spins


def _output(work: Path) -> str:
    """SPPARKS's log, then its stdout and stderr (the parts that exist)."""
    return "\n".join(s for s in (_read(work / LOG), _read(work / STDOUT), _read(work / STDERR)) if s)
