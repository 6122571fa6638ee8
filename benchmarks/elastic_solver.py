"""Benchmark: seconds per 51^3 SVE of the elastic solver on one core, vs a baseline.

Ours: msdl.localization.elastic (trilinear hexahedra by default; Willot too), matrix-free PCG with the
FFT reference-medium preconditioner, relative equilibrium residual 1e-6.
Baseline, measured in the same run on the same SVEs: plain numpy/scipy conjugate gradient
on the Moulinec-Suquet strain operator (de Geus et al. 2017 formulation: solve
``G(C : eps) = 0`` for the 9-component strain with FFTs, CG tolerance 1e-6), the kind of
solver the issue timed at 2-4 s per SVE.

Each method runs in its own subprocess with one thread (OMP/MKL = 1,
``torch.set_num_threads(1)``), so peak memory (ru_maxrss) is per method. Prints a table
and the ratio baseline / ours. Usage::

    python benchmarks/elastic_solver.py [--size 51] [--sves 3] [--device cpu|cuda] [--batch 8]

The development machine is shared with other jobs: expect noise, compare the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(method: str, size: int, n_sve: int, device: str, batch: int) -> dict:
    import resource

    import numpy as np
    import torch

    sys.path.insert(0, str(ROOT))
    from msdl.localization.composites import composite, name_of
    from msdl.localization.elastic import ElasticSetup, solve

    torch.set_num_threads(1)
    seeds = [64 * 50 + s * 21 for s in range(n_sve)]  # set 2, mixed filter widths
    sves = [composite("benchmark", s, size)[0] for s in seeds]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, iters = [], []
    if method in ("trilinear", "willot"):
        setup = ElasticSetup(discretization=method)
        if device == "cuda":
            stack = np.stack([sves[i % len(sves)] for i in range(batch)])
            solve(stack[:1], setup, device=device)  # warm-up (CUDA context, cuFFT plans)
            torch.cuda.synchronize()
            t = time.perf_counter()
            res = solve(stack, setup, device=device)
            torch.cuda.synchronize()
            dt = time.perf_counter() - t
            return {
                "method": method,
                "device": torch.cuda.get_device_name(),
                "batch": batch,
                "seconds_per_sve": dt / batch,
                "iterations": res.iterations.tolist(),
                "gpu_peak_mb": torch.cuda.max_memory_allocated() / 2**20,
            }
        for m in sves:
            t = time.perf_counter()
            res = solve(m, setup)
            times.append(time.perf_counter() - t)
            iters.append(int(res.iterations[0]))
    else:
        times, iters = zip(*[moulinec_suquet_cg(m, ElasticSetup()) for m in sves])
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "method": method,
        "names": [name_of(s) for s in seeds],
        "seconds": list(times),
        "iterations": list(iters),
        "peak_rss_mb": rss1,
        "rss_before_solve_mb": rss0,
    }


def moulinec_suquet_cg(phases, setup) -> tuple[float, int]:
    """Baseline: de Geus et al. (2017) CG on G(C:eps) with Moulinec-Suquet frequencies (numpy)."""
    import numpy as np
    import scipy.sparse.linalg as spla

    t0 = time.perf_counter()
    n = phases.shape
    lam_p, mu_p = setup.lame()
    lam, mu = lam_p[phases], mu_p[phases]
    q = np.meshgrid(np.fft.fftfreq(n[0]), np.fft.fftfreq(n[1]), np.fft.rfftfreq(n[2]), indexing="ij")
    q2 = sum(qi**2 for qi in q)
    q2[0, 0, 0] = 1.0

    def g_c(eps_flat):
        eps = eps_flat.reshape(3, 3, *n)
        tr = eps[0, 0] + eps[1, 1] + eps[2, 2]
        sig = mu * (eps + eps.transpose(1, 0, 2, 3, 4))
        for i in range(3):
            sig[i, i] += lam * tr
        s_hat = np.fft.rfftn(sig, axes=(2, 3, 4))
        v = [sum(q[l] * s_hat[l, i] for l in range(3)) / q2 for i in range(3)]
        out_hat = np.stack([np.stack([v[i] * q[j] for j in range(3)]) for i in range(3)])
        out_hat[:, :, 0, 0, 0] = 0.0
        return np.fft.irfftn(out_hat, s=n, axes=(2, 3, 4)).ravel()

    size = 9 * int(np.prod(n))
    macro = np.zeros((3, 3, *n))
    macro[0, 0] = setup.macro_strain[0]
    b = -g_c(macro.ravel())
    count = [0]

    def callback(_):
        count[0] += 1

    op = spla.LinearOperator((size, size), matvec=g_c, dtype=np.float64)
    sol, info = spla.cg(op, b, rtol=setup.rtol, maxiter=1000, callback=callback)
    if info != 0:
        raise RuntimeError(f"baseline CG did not converge (info {info})")
    eps_xx = sol.reshape(3, 3, *n)[0, 0] + setup.macro_strain[0]
    assert abs(eps_xx.mean() - setup.macro_strain[0]) < 1e-9
    return time.perf_counter() - t0, count[0]


def run_child(method: str, args) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--size",
        str(args.size),
        "--sves",
        str(args.sves),
        "--device",
        args.device,
        "--batch",
        str(args.batch),
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{method} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=51)
    parser.add_argument("--sves", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.size, args.sves, args.device, args.batch)))
        return
    print(
        f"elastic solver benchmark: {args.sves} SVEs of {args.size}^3, E = (1, 50), nu = 0.3, rtol 1e-6, one CPU thread"
    )
    print("(shared machine: other jobs run beside this one; times are noisy, the ratio less so)")
    rows = {m: run_child(m, args) for m in ("trilinear", "willot", "baseline_ms_cg")}
    print(
        f"{'method':<16} {'s/SVE (median)':>15} {'first':>7} {'min':>7} {'iterations':>16} {'peak RSS MB':>12} {'RSS pre-solve':>14}"
    )
    for m, r in rows.items():
        s = sorted(r["seconds"])
        print(
            f"{m:<16} {s[len(s) // 2]:>15.2f} {r['seconds'][0]:>7.2f} {s[0]:>7.2f} {str(r['iterations']):>16} "
            f"{r['peak_rss_mb']:>12.0f} {r['rss_before_solve_mb']:>14.0f}"
        )
    med = {m: sorted(r["seconds"])[len(r["seconds"]) // 2] for m, r in rows.items()}
    print(
        f"ratio baseline / trilinear (median s/SVE): {med['baseline_ms_cg'] / med['trilinear']:.2f}x faster; "
        f"goal <= 1.5 s/SVE: {'met' if med['trilinear'] <= 1.5 else 'NOT met'} ({med['trilinear']:.2f} s)"
    )
    if args.device == "cuda":
        for m in ("trilinear",):
            r = run_child(m, args)
            print(
                f"GPU {r['device']}: batch {r['batch']}, {r['seconds_per_sve']:.3f} s/SVE, iterations {r['iterations']}, "
                f"peak GPU memory {r['gpu_peak_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
