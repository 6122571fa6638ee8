"""Benchmark: the builtin Potts engine per sample against SPPARKS, and its calibration.

For each deck of config.yaml (grain growth, am/ellipsoid, weld) the builtin engine
simulates a batch of seeds at the full physics (t = 1500; the whole scan; t = 52) and
the script prints seconds per sample, its ratio to SPPARKS, and the memory of the batch.
With ``--spparks EXE`` SPPARKS runs the same seeds here (serial, same machine) through
the workflow's spparks engine; without it the ratio is to the serial SPPARKS times in
shared/spec/spparks.md (measured on one core of the reference machine), labelled so.
Each deck runs in a fresh subprocess so that its peak memory is its own.

``--calibrate`` also runs grain growth to t = 100, 300, 1500 on ``--calibration-seeds``
seeds and prints the mean grain count (8-connected, periodic) next to the SPPARKS mean
of shared/reference/spparks/grain_growth_kinetics.csv, with the time scale used.

    python benchmarks/potts_engine.py [--device cpu|cuda] [--threads 1] [--calibrate]
        [--batch gg=8,am=8,weld=2] [--spparks spk_serial]

Goals (issue 3): >= 4x serial SPPARKS per core for grain growth and am/ellipsoid,
>= 100x for the weld.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from msdl.potts import grain_growth  # noqa: E402
from msdl.potts.datasets import builtin_spins  # noqa: E402
from msdl.potts.grains import grain_count  # noqa: E402
from msdl.potts.spparks import SpparksCommand, run_spparks  # noqa: E402

DECKS = {"gg": "kmc_grain_growth", "am": "kmc_additive", "weld": "kmc_weld"}
# Serial SPPARKS, one core, wall time per deck (shared/spec/spparks.md).
SPEC_SPPARKS_S = {"gg": 2.0, "am": 1.4, "weld": 355.0}
GOAL = {"gg": 4.0, "am": 4.0, "weld": 100.0}
KINETICS = ROOT.parent / "shared" / "reference" / "spparks" / "grain_growth_kinetics.csv"


def datasets() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())["datasets"]


def one_deck(deck: str, batch: int, device: str, threads: int) -> dict:
    """Run in a subprocess: time one batch, report peak memory."""
    torch.set_num_threads(threads)
    ds = datasets()[DECKS[deck]]
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        builtin_spins(ds, [1], dev)  # warm-up (kernels, allocator)
        torch.cuda.synchronize()
    start = time.perf_counter()
    spins = builtin_spins(ds, list(range(1, batch + 1)), dev)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    memory = (
        torch.cuda.max_memory_allocated() / 2**20
        if dev.type == "cuda"
        else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024
    )
    return {"deck": deck, "batch": batch, "s_per_sample": seconds / batch, "memory_mb": memory, "shape": list(spins.shape)}


def spparks_per_sample(deck: str, exe: str, n: int) -> float:
    ds = datasets()[DECKS[deck]]
    start = time.perf_counter()
    for seed in range(1, n + 1):
        run_spparks(ds, seed, SpparksCommand(executable=exe))
    return (time.perf_counter() - start) / n


def calibrate(n_seeds: int, device: str, threads: int, kinetics: Path = KINETICS) -> None:
    torch.set_num_threads(threads)
    rows = list(csv.DictReader(Path(kinetics).open()))
    model = grain_growth.GrainGrowth.from_config(datasets()["kmc_grain_growth"])
    start = time.perf_counter()
    out = grain_growth.simulate(model, list(range(1, n_seeds + 1)), device, times=[100.0, 300.0, 1500.0])
    print(f"\ncalibration: {grain_growth.MCS_PER_TIME} Metropolis sweeps per SPPARKS time unit, {n_seeds} seeds ({time.perf_counter() - start:.0f} s)")
    print(f"{'t':>6} {'builtin mean grains':>20} {'sd':>6} {'SPPARKS mean (3 seeds)':>23} {'difference':>11}")
    worst = 0.0
    for t, spins in out.items():
        counts = [grain_count(s) for s in spins]
        ref = np.mean([int(r["n_grains"]) for r in rows if abs(float(r["snapshot_time"]) - t) < 0.5])
        diff = (np.mean(counts) - ref) / ref
        worst = max(worst, abs(diff))
        print(f"{t:6.0f} {np.mean(counts):20.2f} {np.std(counts):6.2f} {ref:23.2f} {100 * diff:+10.1f}%")
    print(f"largest difference {100 * worst:.1f} % (tolerance 15 %): {'PASS' if worst < 0.15 else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = per core)")
    parser.add_argument("--batch", default="gg=8,am=8,weld=2", help="seeds per batch for each deck")
    parser.add_argument("--decks", default="gg,am,weld")
    parser.add_argument("--spparks", help="a SPPARKS executable to time on the same machine")
    parser.add_argument("--spparks-seeds", type=int, default=3)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--calibration-seeds", type=int, default=16)
    parser.add_argument("--kinetics", default=str(KINETICS), help="SPPARKS grain_growth_kinetics.csv")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    batches = dict((k, int(v)) for k, v in (kv.split("=") for kv in args.batch.split(",")))
    if args.one:
        print(json.dumps(one_deck(args.one, batches[args.one], args.device, args.threads)))
        return

    print(f"device {args.device}, torch threads {args.threads}, torch {torch.__version__}")
    if args.device == "cuda":
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    results = []
    for deck in args.decks.split(","):
        cmd = [sys.executable, __file__, "--one", deck, "--batch", args.batch, "--device", args.device, "--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if args.spparks:
            r["spparks_s"], r["spparks_source"] = spparks_per_sample(deck, args.spparks, args.spparks_seeds), "measured here"
        else:
            r["spparks_s"], r["spparks_source"] = SPEC_SPPARKS_S[deck], "spec (spparks.md, serial, not this run)"
        results.append(r)
        print(f"  {deck}: {r['s_per_sample']:.3f} s/sample", flush=True)

    per = "per GPU" if args.device == "cuda" else f"per {args.threads} core(s)"
    print(f"\n{'deck':<5} {'batch':>5} {'builtin s/sample':>17} {'SPPARKS s/sample':>17} {'ratio':>7} {'goal':>6} {'memory/batch MB':>16}  SPPARKS time source")
    for r in results:
        ratio = r["spparks_s"] / r["s_per_sample"]
        print(
            f"{r['deck']:<5} {r['batch']:>5} {r['s_per_sample']:>17.3f} {r['spparks_s']:>17.2f} {ratio:>6.1f}x {GOAL[r['deck']]:>5.0f}x "
            f"{r['memory_mb']:>16.1f}  {r['spparks_source']}"
        )
    print(f"(builtin {per}; ratio = SPPARKS serial time / builtin time per sample)")
    if args.calibrate:
        calibrate(args.calibration_seeds, args.device, args.threads, args.kinetics)


if __name__ == "__main__":
    main()
