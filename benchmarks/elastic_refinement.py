"""Benchmark: discretization error of the elastic labels, by sub-voxel refinement.

The labels (msdl.localization.elastic, ``ElasticSetup.refine``) solve each voxel as one
trilinear hexahedron by default (``refine 1``, the report's ABAQUS C3D8 labels). This
script solves the same SVEs with every voxel split into ``r^3`` sub-voxels of its phase
(``--refine 1,2,3,4``), the fields averaged back per voxel, and measures per level:

- wall time per SVE (one CPU thread) and CG iterations (mean, min-max over SVEs);
- MASE of ``strain_xx`` against the finest level (the repo's metric,
  :func:`msdl.localization.metrics.mase_sve`: mean |eps_fine - eps_r| / mean eps_fine,
  in %, averaged over SVEs);
- the effective stiffness ``C_eff = mean(sigma_xx) / E_xx`` (moduli unit of the config;
  E_xx the imposed mean strain) and its relative difference from the finest level;
- a Richardson estimate of the limit ``C_eff(h -> 0)`` assuming the error ~ h
  (h = 1 / refine), from the two finest levels, and the observed order of convergence
  ``log2((C_1 - C_2) / (C_2 - C_4))`` where levels 1, 2, 4 are all run.

The SVEs are the workflow's own: :func:`msdl.localization.composites.composite` of the
dataset ``composites`` in config.yaml (stream = dataset name, its volume-fraction range),
seeds 3200 + 21 k (set 2, mixed filter widths), solved with that dataset's ``elastic``
settings (E = (1, 50), nu = 0.3, rtol 1e-6) except ``refine``. Usage::

    python benchmarks/elastic_refinement.py [--size 21] [--sves 3] [--refine 1,2,3,4]
    python benchmarks/elastic_refinement.py --size 51 --sves 1   # the report's SVE size

Cost grows ~refine^3: at ``--size 51`` refine 4 is a 204^3 grid (8.5 M elements, ~3 GB).
The development machine is shared with other jobs: times are noisy, the errors are not.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(size: int, n_sve: int, levels: list[int], dataset_name: str, discretization: str | None) -> None:
    """Solve ``n_sve`` composites of ``size^3`` at every refine level; print the table."""
    import dataclasses

    import numpy as np
    import torch
    import yaml

    sys.path.insert(0, str(ROOT))
    from msdl.localization.composites import composite, name_of
    from msdl.localization.data import elastic_setup
    from msdl.localization.elastic import solve
    from msdl.localization.metrics import mase_sve

    torch.set_num_threads(1)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    dataset = config["localization"]["datasets"][dataset_name]
    base = elastic_setup(dataset)
    if discretization:
        base = dataclasses.replace(base, discretization=discretization)
    vf_range = tuple(float(v) for v in dataset["volume_fraction"])
    e_xx = base.macro_strain[0]
    seeds = [64 * 50 + 21 * k for k in range(n_sve)]
    sves = [composite(dataset_name, s, size, vf_range)[0] for s in seeds]
    print(
        f"elastic label discretization: {n_sve} SVEs of {size}^3 ({dataset_name!r} composites, seeds {seeds}), "
        f"E = {base.young}, nu = {base.poisson}, {base.discretization}, rtol {base.rtol}, one CPU thread"
    )
    seconds = {r: [] for r in levels}
    iters = {r: [] for r in levels}
    strain = {r: [] for r in levels}
    c_eff = {r: [] for r in levels}
    for r in levels:
        setup = dataclasses.replace(base, refine=r)
        for m in sves:
            t = time.perf_counter()
            res = solve(m, setup)
            seconds[r].append(time.perf_counter() - t)
            iters[r].append(int(res.iterations[0]))
            strain[r].append(res.strain_xx[0].numpy())
            c_eff[r].append(float(res.stress_xx[0].mean()) / e_xx)
        print(f"  refine {r} done: {np.mean(seconds[r]):.1f} s/SVE", flush=True)
    fine = levels[-1]
    c_fine = np.array(c_eff[fine])
    print(
        f"{'refine':>6} {'grid':>9} {'s/SVE':>8} {'CG iterations':>14} "
        f"{f'MASE % vs {fine}':>14} {'C_eff':>9} {f'C_eff vs {fine}':>14}"
    )
    mase, excess = {}, {}
    for r in levels:
        mase[r] = float(np.mean([mase_sve(strain[fine][i], strain[r][i]) for i in range(n_sve)]))
        excess[r] = float(np.mean(np.array(c_eff[r]) / c_fine - 1.0) * 100.0)
        its = f"{np.mean(iters[r]):.1f} ({min(iters[r])}-{max(iters[r])})" if n_sve > 1 else str(iters[r][0])
        print(
            f"{r:>6} {f'{r * size}^3':>9} {np.mean(seconds[r]):>8.2f} {its:>14} "
            f"{mase[r]:>14.2f} {np.mean(c_eff[r]):>9.4f} {excess[r]:>+13.2f}%"
        )
    print(f"per SVE, refine {levels[0]} vs refine {fine}:")
    for i, seed in enumerate(seeds):
        print(
            f"  {name_of(seed):<38} vf {sves[i].mean():.3f}: MASE {mase_sve(strain[fine][i], strain[levels[0]][i]):5.2f} %, "
            f"C_eff {c_eff[levels[0]][i]:.4f} vs {c_eff[fine][i]:.4f} ({(c_eff[levels[0]][i] / c_fine[i] - 1) * 100:+.2f} %)"
        )
    if len(levels) >= 2:
        r1, r2 = levels[-2], levels[-1]
        # C(h) = C* + a h, h = 1/r  =>  C* = (r2 C(r2) - r1 C(r1)) / (r2 - r1)
        limit = (r2 * c_fine - r1 * np.array(c_eff[r1])) / (r2 - r1)
        native = np.array(c_eff[levels[0]])
        print(
            f"Richardson limit (assumes error ~ h = 1/refine; from refine {r1} and {r2}): C_eff* = {np.mean(limit):.4f}; "
            f"refine {levels[0]} is {np.mean(native / limit - 1) * 100:+.2f} % over it, "
            f"refine {fine} {np.mean(c_fine / limit - 1) * 100:+.2f} %"
        )
    if {1, 2, 4} <= set(levels):
        d12 = np.array(c_eff[1]) - np.array(c_eff[2])
        d24 = np.array(c_eff[2]) - np.array(c_eff[4])
        order = np.log2(d12 / d24)
        limit_p = np.array(c_eff[4]) - d24 / (2.0**order - 1.0)
        print(
            f"observed order of C_eff, log2((C1 - C2) / (C2 - C4)): {np.round(order, 2).tolist()}; Richardson with "
            f"it (from refine 2 and 4): C_eff* = {np.mean(limit_p):.4f}, refine 1 {np.mean(native / limit_p - 1) * 100:+.2f} % over it"
        )
    if levels[0] == 1 and fine > 1:
        print(f"native trilinear: MASE {mase[1]:.1f} % from refine-{fine}, C_eff {excess[1]:+.1f} % over refine-{fine}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=21, help="voxels per SVE edge (51: the report's SVEs)")
    parser.add_argument("--sves", type=int, default=3, help="number of SVEs")
    parser.add_argument("--refine", default="1,2,3,4", help="comma-separated refine levels, ascending")
    parser.add_argument("--dataset", default="composites", help="localization dataset of config.yaml")
    parser.add_argument("--discretization", choices=("trilinear", "willot"), help="default: the dataset's")
    args = parser.parse_args()
    levels = [int(v) for v in args.refine.split(",")]
    if levels != sorted(set(levels)) or levels[0] < 1:
        parser.error(f"--refine {args.refine}: distinct ascending integers >= 1")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    run(args.size, args.sves, levels, args.dataset, args.discretization)


if __name__ == "__main__":
    main()
