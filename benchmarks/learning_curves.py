"""Learning curves of a run: did each model train long enough at this scale?

For every autoencoder/VAE (``models/<name>/metrics.csv``: test MSE per epoch), search trial
(``search/<search>/<trial>/metrics.csv``), GAN (``models/<gan>/gan_metrics.csv``: sample
diversity over real per epoch) and localization model (the train MSE history kept in
``localization/<set>/<predictor>/model.pt``), prints the metric at 25, 50, 75 and 100 % of
the epochs and the relative change over the second half of training, the number the study
scale's epochs were chosen by (profiles/study/study.yaml): a model whose loss still fell
by more than 10 % over its second half is marked ``still learning`` (more epochs would pay).
The baseline of the ratio column is each model's own value at half its epochs.

    python benchmarks/learning_curves.py results/study
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msdl.training.common import load_torch_file, read_metrics  # noqa: E402

STILL_LEARNING = 0.10  # relative drop over the second half


def _series_csv(path: Path, column: str) -> list[float]:
    return [row[column] for row in read_metrics(path)]


def curves(results: Path) -> dict[str, tuple[str, list[float]]]:
    """name -> (metric, values per epoch) for every trained model under ``results``."""
    out: dict[str, tuple[str, list[float]]] = {}
    for path in sorted((results / "models").glob("*/metrics.csv")):
        out[path.parent.name] = ("test_mse", _series_csv(path, "test_mse"))
    for path in sorted((results / "models").glob("*/gan_metrics.csv")):
        out[path.parent.name] = ("diversity_ratio", _series_csv(path, "diversity_ratio"))
    for path in sorted((results / "search").glob("*/*/metrics.csv")):
        out[f"search {path.parent.parent.name}/{path.parent.name}"] = ("test_mse", _series_csv(path, "test_mse"))
    for path in sorted((results / "localization").glob("*/*/model.pt")):
        history = load_torch_file(path).get("history") or []
        out[f"{path.parent.parent.name}/{path.parent.name}"] = ("train_mse", [h["train_mse"] for h in history])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a run's results folder, e.g. results/study")
    args = parser.parse_args()
    rows = curves(args.results)
    if not rows:
        raise SystemExit(f"{args.results}: no trained model found (models/*/metrics.csv, ...)")
    print(f"{'model':44s} {'metric':16s} {'epochs':>6s} {'25%':>10s} {'50%':>10s} {'75%':>10s} {'100%':>10s} "
          f"{'end/half':>9s}  verdict")  # fmt: skip
    for name, (metric, values) in rows.items():
        if len(values) < 2:
            print(f"{name:44s} {metric:16s} {len(values):6d}  (too few epochs for a curve)")
            continue
        at = [values[max(0, round(f * len(values)) - 1)] for f in (0.25, 0.5, 0.75, 1.0)]
        ratio = at[3] / at[1] if at[1] else float("nan")
        if metric == "diversity_ratio":
            verdict = "reported"
        else:
            verdict = "still learning" if ratio < 1 - STILL_LEARNING else "flat"
        print(f"{name:44s} {metric:16s} {len(values):6d} " + " ".join(f"{v:10.4g}" for v in at)
              + f" {ratio:9.3f}  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
