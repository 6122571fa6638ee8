"""One GPU session, end to end: solver throughput, then MKS vs CPNet vs periodic FNO at the
largest scale a fixed time budget allows.

Stages (each appends to ``<out>/localization_gpu.json`` so a cut-off run still reports):

A. elastic solver, 51^3 trilinear, float64, batches of 1/16/64 SVEs: s/SVE, iterations,
   peak GPU memory;
B. dataset: composites (stream ``composites``, the workflow's dataset, seeds 0..) solved on
   the GPU until ``--sves`` or the stage budget; 80/20 split by seed;
C. section 4.2 statistics, first-order MKS fit + test metrics;
D. CPNet (strideGap 7, patch 11, 902,183 params) trained for ``--cpnet-seconds``; sweep
   prediction of the test set;
E. periodic FNO trained for ``--fno-seconds``; test metrics;
F. inference time per SVE: CPNet sweep at strideGap 3/5/7 vs FNO (report Figure 4-1).

Usage: ``python benchmarks/localization_gpu.py --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.localization.composites import composite, name_of  # noqa: E402
from msdl.localization.elastic import ElasticSetup, solve  # noqa: E402
from msdl.localization.evaluate import evaluate, fit_mks, iter_sves  # noqa: E402
from msdl.localization.stats import StatisticsAccumulator  # noqa: E402
from msdl.localization.train import LocalizationModelConfig, Normalizer, load_fields, predictor, train_localization  # noqa: E402
from msdl.models.localization import CPNet, PeriodicFNO, cpnet_sweep  # noqa: E402
from msdl.shards import Shard, write_shard  # noqa: E402

METRICS = {"seed": 0, "r2_sample_sves": 100, "figure_sves": 4, "parity_points": 20000}


def _micro(seed: int) -> np.ndarray:
    return composite("composites", seed, 51)[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sves", type=int, default=1200)
    ap.add_argument("--solve-seconds", type=float, default=150)
    ap.add_argument("--cpnet-seconds", type=float, default=75)
    ap.add_argument("--fno-seconds", type=float, default=150)
    ap.add_argument("--device", default="cuda", help="cpu only for a smoke test of this script")
    ap.add_argument("--workers", type=int, default=14)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s")
    log = logging.getLogger("gpu")
    dev = args.device
    cuda = dev.startswith("cuda")
    report: dict = {"device": torch.cuda.get_device_name() if cuda else "cpu"}

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def save():
        (out / "localization_gpu.json").write_text(json.dumps(report, indent=2))

    pool = Pool(args.workers)
    setup = ElasticSetup()
    # A: solver throughput
    ms = pool.map(_micro, range(min(64, args.sves)))
    solve(np.stack(ms[:1]), setup, device=dev)  # warm-up
    report["solver"] = []
    for b in [b for b in (1, 16, 64) if b <= args.sves]:
        sync()
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        t = time.perf_counter()
        res = solve(np.stack(ms[:b]), setup, device=dev)
        sync()
        dt = time.perf_counter() - t
        report["solver"].append(
            {
                "batch": b,
                "seconds_per_sve": dt / b,
                "iterations_mean": float(res.iterations.mean()),
                "iterations_max": int(res.iterations.max()),
                "peak_gpu_mb": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
            }
        )
        log.info(f"solver batch {b}: {dt / b:.3f} s/SVE")
    save()

    # B: dataset
    tmp = Path("/tmp/locgpu")
    t0 = time.perf_counter()
    batch, seeds_done, paths = min(64, max(1, args.sves // 5)), 0, []
    while seeds_done < args.sves and time.perf_counter() - t0 < args.solve_seconds:
        seeds = list(range(seeds_done, min(seeds_done + batch, args.sves)))
        phases = np.stack(pool.map(_micro, seeds))
        res = solve(phases, setup, device=dev)
        arr = np.stack(
            [
                phases.astype(np.float32),
                res.strain_xx.cpu().numpy().astype(np.float32),
                res.stress_xx.cpu().numpy().astype(np.float32),
            ],
            axis=1,
        )
        shard = Shard("all", len(paths), seeds[0], seeds[-1] + 1)
        p = tmp / f"shard-{len(paths):04d}.npy"
        write_shard(
            p,
            p.with_suffix(".json"),
            arr,
            shard,
            channels=["phase", "strain_xx", "stress_xx"],
            names=[name_of(s) for s in seeds],
        )
        paths.append(p)
        seeds_done = seeds[-1] + 1
        log.info(f"dataset: {seeds_done} SVEs solved, {time.perf_counter() - t0:.0f} s")
    n_shards = len(paths)
    n_test_shards = max(1, round(0.2 * n_shards))
    train_paths, test_paths = paths[: n_shards - n_test_shards], paths[n_shards - n_test_shards :]
    n_train = sum(np.load(p, mmap_mode="r").shape[0] for p in train_paths)
    n_test = seeds_done - n_train
    report["dataset"] = {
        "n_sve": seeds_done,
        "n_train": n_train,
        "n_test": n_test,
        "seconds": time.perf_counter() - t0,
        "seconds_per_sve_incl_generation": (time.perf_counter() - t0) / seeds_done,
    }
    save()

    # C: statistics + MKS
    acc = StatisticsAccumulator()
    for _, sve, ch in iter_sves(train_paths):
        acc.add(sve, ch)
    stats = acc.result()
    report["statistics"] = stats
    t = time.perf_counter()
    mks = fit_mks(train_paths, log)
    fit_s = time.perf_counter() - t
    m = evaluate(mks.predict, test_paths, METRICS, out / "examples_mks.npz", log)
    m.update(train_seconds=fit_s)
    report["mks"] = m
    save()
    log.info(f"MKS: {m}")

    norm = Normalizer.from_statistics(stats)
    x, y = load_fields(train_paths, norm)

    # D: CPNet
    cfg = LocalizationModelConfig(
        "cpnet", epochs=1000, batch_size=64, learning_rate=1e-3, stride_gap=7, patch=11, patches_per_sve=64
    )
    t = time.perf_counter()
    model, hist = train_localization(cfg, x, y, "/tmp/cpnet.pt", log, dev, max_seconds=args.cpnet_seconds)
    m = evaluate(predictor(model, cfg, norm, dev), test_paths, METRICS, out / "examples_cpnet.npz", log)
    m.update(train_seconds=time.perf_counter() - t, epochs=len(hist), final_train_mse=hist[-1]["train_mse"])
    report["cpnet"] = m
    save()
    log.info(f"CPNet: {m}")

    # E: FNO
    cfg_f = LocalizationModelConfig(
        "periodic_fno", epochs=1000, batch_size=4, learning_rate=1e-3, width=16, modes=8, layers=4
    )
    t = time.perf_counter()
    model_f, hist_f = train_localization(
        cfg_f, x.to(dev), y.to(dev), "/tmp/fno.pt", log, dev, max_seconds=args.fno_seconds
    )
    m = evaluate(predictor(model_f, cfg_f, norm, dev), test_paths, METRICS, out / "examples_fno.npz", log)
    m.update(train_seconds=time.perf_counter() - t, epochs=len(hist_f), final_train_mse=hist_f[-1]["train_mse"])
    report["periodic_fno"] = m
    save()
    log.info(f"FNO: {m}")

    # F: inference per SVE (GPU, input already normalized on the device)
    field = torch.from_numpy(norm.inputs(ms[0])).to(dev)
    report["inference"] = {}
    for g in (3, 5, 7):
        net = CPNet(g).to(dev).eval()
        cpnet_sweep(net, field)
        sync()
        t = time.perf_counter()
        for _ in range(3):
            cpnet_sweep(net, field)
        sync()
        report["inference"][f"cpnet_g{g}"] = (time.perf_counter() - t) / 3
    net = PeriodicFNO(1, 16, 8, 4).to(dev).eval()
    with torch.no_grad():
        net(field[None, None])
        sync()
        t = time.perf_counter()
        for _ in range(10):
            net(field[None, None])
        sync()
    report["inference"]["periodic_fno"] = (time.perf_counter() - t) / 10
    t = time.perf_counter()
    for _ in range(10):
        mks.predict(ms[0])
    report["inference"]["mks_cpu"] = (time.perf_counter() - t) / 10
    save()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
