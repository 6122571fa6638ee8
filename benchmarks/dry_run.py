"""Benchmark: dry run of the full-scale DAG (config.yaml) against the demo DAG.

Prints, for each, the job count, the wall time of ``snakemake -n -q --forceall`` (the
whole DAG, whatever is already built) and the peak
resident memory of that snakemake process, then the full/demo time ratio. Goals: the
full-scale dry run in under 10 s and 0.5 GB on a 2-core machine.

Expected job counts (see tests/test_workflow.py): full scale 966 = 831 for the datasets,
models and localization + 14 for the VAEs + 22 for the evaluation + 98 for the
architecture search (config.yaml `search`: 2 searches x 48 grid trials + 2 leaderboards)
+ 1 results table, before the UHCSDB curation checkpoint has run.

    .venv/bin/python benchmarks/dry_run.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def timed(args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in GB, stdout) of one snakemake run."""
    start = time.perf_counter()
    proc = subprocess.Popen([SNAKEMAKE, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{out[-3000:]}")
    return seconds, usage.ru_maxrss / 1024**2, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = {"demo (profiles/local)": ["--profile", "profiles/local"], "full scale (config.yaml)": []}
    best = {}
    for name, extra in cases.items():
        jobs = int(re.search(r"^total\s+(\d+)$", timed(["-n", "--forceall", *extra])[2], re.M).group(1))
        runs = [timed(["-n", "-q", "--forceall", *extra]) for _ in range(args.repeat)]
        seconds = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        best[name] = seconds
        peak_full = peak
        print(f"{name:26s} jobs {jobs:6d}   dry run {seconds:6.2f} s (best of {args.repeat})   peak RSS {peak:.2f} GB")
    full, demo = best["full scale (config.yaml)"], best["demo (profiles/local)"]
    print(
        f"full/demo dry-run time ratio: {full / demo:.2f}  (goals: full scale under 10 s and 0.5 GB: {'met' if full < 10 and peak_full < 0.5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
