"""The results table's rows for some models of a run, from their own score files.

The workflow's results table (rule ``results_table``) needs every model of the run. After
rerunning a few models (e.g. the four kMC models with ``snakemake --profile profiles/study
results/study/evaluation/ae_kmc_gg/scores.csv ...``), this prints their rows the same way:
each model's ``evaluation/<model>/scores.csv`` summarised at its last epoch
(:func:`msdl.evaluation.jobs.write_summary`: score over the floor at the same set size,
diversity) and judged against the same targets (:func:`msdl.evaluation.results.generative_results`).

    python benchmarks/results_subset.py results/study ae_kmc_gg ae_kmc_additive vae_kmc_gg vae_kmc_additive
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from msdl.evaluation.jobs import write_summary  # noqa: E402
from msdl.evaluation.results import generative_results, markdown  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a run's results folder, e.g. results/study")
    parser.add_argument("models", nargs="+", help="models of config.yaml with evaluation/<model>/scores.csv")
    args = parser.parse_args()
    models = yaml.safe_load((ROOT / "config.yaml").read_text())["models"]
    scores = {m: (models[m]["dataset"], str(args.results / "evaluation" / m / "scores.csv")) for m in args.models}
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.csv"
        write_summary(scores, str(summary), str(Path(tmp) / "summary.png"))
        print(markdown(generative_results(summary, {}), f"Results at {args.results}: {', '.join(args.models)}"))


if __name__ == "__main__":
    main()
