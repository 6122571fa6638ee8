"""Benchmark (report Figure 4-1): CPNet prediction time for one 51^3 SVE vs strideGap,
against the periodic FNO's single full-field pass, measured in the same run.

CPNet predicts an SVE in ceil(51/g)^3 patch passes (4,913 / 1,331 / 512 for g = 3 / 5 / 7);
the FNO in one pass. Weights are random (timing only; the cost does not depend on them).
One CPU thread by default (``--threads``); ``--device cuda`` on a GPU. Prints seconds per
SVE, the number of passes, parameters, and the ratio CPNet / FNO. The development machine
is shared with other jobs: expect noise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.models.localization import CPNet, PeriodicFNO, cpnet_sweep, parameter_count, sweep_patches  # noqa: E402


def timed(fn, repeats: int, device: str) -> float:
    fn()  # warm-up
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=51)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    field = torch.randn(args.size, args.size, args.size, device=args.device)
    fno = PeriodicFNO(1, 16, 8, 4).to(args.device).eval()
    with torch.no_grad():
        t_fno = timed(lambda: fno(field[None, None]), args.repeats, args.device)
    print(f"one {args.size}^3 SVE on {args.device} ({args.threads} thread(s)); shared machine, noisy")
    print(f"{'model':<22} {'passes':>7} {'params':>10} {'s/SVE':>8} {'vs FNO':>7}")
    for g in (3, 5, 7):
        net = CPNet(g, 11).to(args.device).eval()
        t = timed(lambda: cpnet_sweep(net, field), 1 if g == 3 else args.repeats, args.device)
        print(
            f"{'CPNet strideGap ' + str(g):<22} {len(sweep_patches(field, g, 11)):>7} {parameter_count(net):>10,} {t:>8.3f} {t / t_fno:>6.1f}x"
        )
    print(f"{'periodic FNO':<22} {1:>7} {parameter_count(fno):>10,} {t_fno:>8.3f} {1:>6.1f}x")


if __name__ == "__main__":
    main()
