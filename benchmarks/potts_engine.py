"""Benchmark: the builtin Potts engine per sample against SPPARKS, and its calibration.

For each deck of config.yaml (grain growth, am/ellipsoid, weld) the builtin engine
simulates a batch of seeds at the full physics (t = 1500; the whole scan; t = 52) with
each of its kernels (on the CPU: ``numba``, the default there, and ``torch``; on a GPU:
``torch``) and the script prints seconds per sample (wall and CPU time of the process),
its ratio to SPPARKS, and the memory of the batch. The numba kernel is warmed up first
(its compiled code is loaded from numba's cache once per process, ~1 s, not per batch).
With ``--spparks EXE`` SPPARKS runs the same seeds here (serial, same machine) through
the workflow's spparks engine; without it the ratio is to the serial SPPARKS times in
shared/spec/spparks.md (measured on one core of the reference machine), labelled so.
Each deck runs in a fresh subprocess so that its peak memory is its own.

``--calibrate`` also runs grain growth to t = 100, 300, 1500 on ``--calibration-seeds``
seeds and prints the mean grain count (8-connected, periodic) next to the SPPARKS mean
of shared/reference/spparks/grain_growth_kinetics.csv, with the time scale used.

``--calibrate-am`` runs the am/ellipsoid deck (config ``datasets.kmc_additive``) on
``--am-seeds`` seeds and prints its grain shapes in the crop
:data:`msdl.potts.grains.AM_CROP` (:func:`msdl.potts.grains.grain_shapes`: grain count,
mean area, area-weighted aspect ratio and tilt from y) as builtin mean +- sd next to
SPPARKS's final state (seed 12345, tests/data/spparks/arrays.npz), with PASS/FAIL at
15 % per statistic; alone (without the speed table) with ``--decks none``.

    python benchmarks/potts_engine.py [--device cpu|cuda] [--threads 1] [--calibrate]
        [--calibrate-am] [--am-seeds 16]
        [--batch gg=8,am=8,weld=2] [--kernels numba,torch] [--spparks spk_serial]

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
from msdl.potts.grains import AM_CROP, grain_count, grain_shapes  # noqa: E402
from msdl.potts.jobs import builtin_spins  # noqa: E402
from msdl.potts.spparks import SpparksCommand, run_spparks  # noqa: E402

DECKS = {"gg": "kmc_grain_growth", "am": "kmc_additive", "weld": "kmc_weld"}
# Serial SPPARKS, one core, wall time per deck (shared/spec/spparks.md).
SPEC_SPPARKS_S = {"gg": 2.0, "am": 1.4, "weld": 355.0}
GOAL = {"gg": 4.0, "am": 4.0, "weld": 100.0}
KINETICS = ROOT.parent / "shared" / "reference" / "spparks" / "grain_growth_kinetics.csv"
SPPARKS_ARRAYS = ROOT / "tests" / "data" / "spparks" / "arrays.npz"
AM_REFERENCE = "potts_additive_offset60_seed12345"
#: am/ellipsoid shape statistics: summary key -> label (msdl.potts.grains.GrainShapes.summary)
AM_STATISTICS = {
    "aspect": "aspect ratio (area-weighted)",
    "tilt_deg": "tilt from y, deg (area-weighted)",
    "grains": "grain count",
    "mean_area": "mean area (sites)",
}
AM_TOLERANCE = 0.15


def datasets() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())["datasets"]


def one_deck(deck: str, batch: int, device: str, threads: int, kernel: str) -> dict:
    """Run in a subprocess: time one batch, report peak memory."""
    torch.set_num_threads(threads)
    ds = datasets()[DECKS[deck]]
    dev = torch.device(device)
    if kernel == "numba":
        from msdl.potts.numba_kernels import set_threads, warm_up

        set_threads(threads)
        warm_up()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        builtin_spins(ds, [1], dev)  # warm-up (kernels, allocator)
        torch.cuda.synchronize()
    start, start_cpu = time.perf_counter(), time.process_time()
    spins = builtin_spins(ds, list(range(1, batch + 1)), dev, kernel=kernel)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    memory = (
        torch.cuda.max_memory_allocated() / 2**20
        if dev.type == "cuda"
        else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024
    )
    return {
        "deck": deck,
        "kernel": kernel,
        "batch": batch,
        "s_per_sample": seconds / batch,
        "cpu_s_per_sample": cpu_seconds / batch,
        "memory_mb": memory,
        "shape": list(spins.shape),
    }


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
    print(
        f"\ncalibration: {grain_growth.MCS_PER_TIME} Metropolis sweeps per SPPARKS time unit, {n_seeds} seeds ({time.perf_counter() - start:.0f} s)"
    )
    print(f"{'t':>6} {'builtin mean grains':>20} {'sd':>6} {'SPPARKS mean (3 seeds)':>23} {'difference':>11}")
    worst = 0.0
    for t, spins in out.items():
        counts = [grain_count(s) for s in spins]
        ref = np.mean([int(r["n_grains"]) for r in rows if abs(float(r["snapshot_time"]) - t) < 0.5])
        diff = (np.mean(counts) - ref) / ref
        worst = max(worst, abs(diff))
        print(f"{t:6.0f} {np.mean(counts):20.2f} {np.std(counts):6.2f} {ref:23.2f} {100 * diff:+10.1f}%")
    print(f"largest difference {100 * worst:.1f} % (tolerance 15 %): {'PASS' if worst < 0.15 else 'FAIL'}")


def calibrate_am(n_seeds: int, device: str, threads: int, kernel: str | None = None) -> bool:
    """Grain shapes of the builtin am/ellipsoid on seeds ``1..n_seeds`` against SPPARKS's
    final state; prints the table, returns whether every statistic is within 15 %."""
    torch.set_num_threads(threads)
    if kernel in (None, "numba") and not str(device).startswith("cuda"):
        from msdl.potts.numba_kernels import set_threads

        set_threads(threads)
    with np.load(SPPARKS_ARRAYS, allow_pickle=False) as arrays:
        reference = grain_shapes(arrays[AM_REFERENCE], AM_CROP).summary()
    start = time.perf_counter()
    spins = builtin_spins(datasets()[DECKS["am"]], list(range(1, n_seeds + 1)), torch.device(device), kernel=kernel)
    seconds = time.perf_counter() - start
    shapes = [grain_shapes(s, AM_CROP).summary() for s in spins]
    c = AM_CROP
    print(
        f"\nam/ellipsoid grain shapes in the crop y {c.y0}:{c.y1}, x {c.x0}:{c.x1} (grains 8-connected, "
        f"non-periodic, >= 5 sites, centroid in the crop, not touching the box): builtin seeds 1-{n_seeds} "
        f"({seconds:.0f} s) against SPPARKS seed 12345 (tests/data/spparks/arrays.npz)"
    )
    print(f"{'statistic':<34} {'builtin mean +- sd':>20} {'SPPARKS 12345':>14} {'difference':>11}  (tolerance 15 %)")
    ok = True
    for key, label in AM_STATISTICS.items():
        values = np.array([s[key] for s in shapes])
        diff = (values.mean() - reference[key]) / reference[key]
        passed = abs(diff) < AM_TOLERANCE
        ok &= passed
        print(
            f"{label:<34} {values.mean():>11.2f} +- {values.std():<6.2f} {reference[key]:>14.2f} "
            f"{100 * diff:>+10.1f}%  {'PASS' if passed else 'FAIL'}"
        )
    print(f"all within 15 %: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = per core)")
    parser.add_argument("--batch", default="gg=8,am=8,weld=2", help="seeds per batch for each deck")
    parser.add_argument("--decks", default="gg,am,weld")
    parser.add_argument("--kernels", help="builtin kernels to time (default: numba,torch on the CPU, torch on a GPU)")
    parser.add_argument("--spparks", help="a SPPARKS executable to time on the same machine")
    parser.add_argument("--spparks-seeds", type=int, default=3)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--calibration-seeds", type=int, default=16)
    parser.add_argument("--calibrate-am", action="store_true", help="am/ellipsoid grain shapes against SPPARKS")
    parser.add_argument("--am-seeds", type=int, default=16)
    parser.add_argument("--kinetics", default=str(KINETICS), help="SPPARKS grain_growth_kinetics.csv")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    batches = dict((k, int(v)) for k, v in (kv.split("=") for kv in args.batch.split(",")))
    if args.one:
        print(json.dumps(one_deck(args.one, batches[args.one], args.device, args.threads, args.kernels)))
        return
    kernels = (args.kernels or ("torch" if args.device.startswith("cuda") else "numba,torch")).split(",")

    print(f"device {args.device}, torch threads {args.threads}, torch {torch.__version__}")
    if args.device == "cuda":
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    results = []
    for deck in [d for d in args.decks.split(",") if d != "none"]:
        spparks = (
            (spparks_per_sample(deck, args.spparks, args.spparks_seeds), "measured here")
            if args.spparks
            else (SPEC_SPPARKS_S[deck], "spec (spparks.md, serial, not this run)")
        )
        for kernel in kernels:
            cmd = [sys.executable, __file__, "--one", deck, "--batch", args.batch, "--device", args.device]
            cmd += ["--threads", str(args.threads), "--kernels", kernel]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["spparks_s"], r["spparks_source"] = spparks
            results.append(r)
            print(f"  {deck} {kernel}: {r['s_per_sample']:.3f} s/sample", flush=True)

    if not results:
        if args.calibrate_am:
            calibrate_am(args.am_seeds, args.device, args.threads)
        return
    per = "per GPU" if args.device.startswith("cuda") else f"on {args.threads} core(s)"
    print(
        f"\n{'deck':<5} {'kernel':<6} {'batch':>5} {'wall s/sample':>14} {'CPU s/sample':>13} {'SPPARKS s/sample':>17} "
        f"{'ratio wall':>11} {'ratio CPU':>10} {'goal':>6} {'memory/batch MB':>16}  SPPARKS time source"
    )
    for r in results:
        ratio, ratio_cpu = r["spparks_s"] / r["s_per_sample"], r["spparks_s"] / r["cpu_s_per_sample"]
        print(
            f"{r['deck']:<5} {r['kernel']:<6} {r['batch']:>5} {r['s_per_sample']:>14.3f} "
            f"{r['cpu_s_per_sample']:>13.3f} {r['spparks_s']:>17.2f} {ratio:>10.1f}x {ratio_cpu:>9.1f}x "
            f"{GOAL[r['deck']]:>5.0f}x {r['memory_mb']:>16.1f}  "
            f"{r['spparks_source']}"
        )
    print(f"(builtin {per}; ratio = SPPARKS serial time / builtin time per sample, wall or CPU time of the")
    print(" builtin process; on a shared machine the CPU time is the steadier measure of the cost per core)")
    if args.calibrate:
        calibrate(args.calibration_seeds, args.device, args.threads, args.kinetics)
    if args.calibrate_am:
        calibrate_am(args.am_seeds, args.device, args.threads)


if __name__ == "__main__":
    main()
