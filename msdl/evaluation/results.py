"""The results table: every trained model's headline numbers next to their targets.

One row per (model, measure), read from the files the workflow already wrote:

- autoencoders and VAEs (``evaluation/summary.csv``, last epoch): the comparison score of
  the reconstructions of the real test images over its floor (target <= 3), of the
  decoder samples (an AE's: a Gaussian fit of the training latents; a VAE's: its prior;
  target <= 5), and their diversity (mean pairwise distance over the real test images';
  target >= 0.5: a decoder that decodes one image for every latent scores about 0, see
  :mod:`msdl.evaluation.scoring`); the other latent sampling schemes stay in the summary;
- GANs: the samples' score over the floor (target <= 5) and the mode-collapse measure
  of training (``gan_metrics.csv``, last epoch: diversity of 256 samples from fixed
  noise over that of 256 real patches; reported);
- localization (``localization/<composite>/<predictor>/metrics.json``): MASE of every
  predictor (target <= 5 % for the full-field models ``fno``), R^2 (Pearson, all test
  voxels; target >= 0.65 for ``cpnet``, the report's level), and the MKS baseline reported.

The targets are those the study scale (profiles/study) is meant to reach; why each is
what it is: docs/evaluation.md "Results table". :func:`write_results` writes the rows as
CSV, a figure (one panel per kind of measure, targets drawn) and a Markdown section;
:func:`insert_section` puts that section into README.md between two marker comments::

    python -m msdl.evaluation.results results/study/results.md README.md
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from msdl.figures import plt, save_figure
from msdl.io import atomic_path, write_text
from msdl.training.gan import read_gan_metrics

RESULT_FIELDS = ("section", "model", "measure", "value", "target", "met", "source")
START, END = "<!-- results:start -->", "<!-- results:end -->"

# (summary set name, measure, comparison, target)
_SET_TARGETS = {
    "reconstructions": ("reconstructions score / floor", "<=", 3.0),
    "decoder_samples": ("decoder samples score / floor", "<=", 5.0),
    "prior": ("prior samples score / floor", "<=", 5.0),
    "gan_samples": ("samples score / floor", "<=", 5.0),
}
_DIVERSITY_MEASURES = {"decoder_samples": "decoder samples diversity", "prior": "prior samples diversity"}
DIVERSITY_TARGET = 0.5  # decoder samples: half the real images' spread; a collapsed decoder ~0
MASE_TARGET = 5.0  # percent, full-field localization models
R2_TARGET = 0.65  # CPNet, the report's section 4 level
FULL_FIELD = ("fno",)
PATCH_MODELS = ("cpnet",)


@dataclass(frozen=True)
class Result:
    """One headline number. ``target`` is ``"<= 3"``-style text or ``""`` (reported only);
    ``met`` is ``"yes"``, ``"no"`` or ``""``."""

    section: str
    model: str
    measure: str
    value: float
    target: str
    met: str
    source: str


def _judge(value: float, op: str | None, target: float | None) -> tuple[str, str]:
    if op is None:
        return "", ""
    ok = value <= target if op == "<=" else value >= target
    return f"{op} {target:g}", "yes" if ok and math.isfinite(value) else "no"


def _result(section, model, measure, value, source, op=None, target=None) -> Result:
    text, met = _judge(float(value), op, target)
    return Result(section, model, measure, float(value), text, met, str(source))


def generative_results(summary_csv: str | Path, gan_metrics: dict[str, str | Path]) -> list[Result]:
    """Rows of the autoencoders, VAEs and GANs from ``summary.csv`` (msdl.evaluation.jobs
    ``write_summary``) and each GAN's ``gan_metrics.csv`` (``gan_metrics``: name -> path)."""
    with open(summary_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        model, set_name = r["model"], r["set"]
        if model.endswith(" latent"):
            continue  # sampling schemes: a VAE's prior is its decoder_samples set already
        section = "GAN" if model in gan_metrics else ("VAE" if model.startswith("vae_") else "autoencoder")
        if set_name == "decoder_samples" and section == "VAE":
            set_name = "prior"  # a VAE's decoder samples are drawn from its prior
        if set_name in _SET_TARGETS:
            measure, op, target = _SET_TARGETS[set_name]
            out.append(_result(section, model, measure, r["ratio"], summary_csv, op, target))
        if set_name in _DIVERSITY_MEASURES:
            measure = _DIVERSITY_MEASURES[set_name]
            out.append(_result(section, model, measure, r["diversity"], summary_csv, ">=", DIVERSITY_TARGET))
    for name, path in sorted(gan_metrics.items()):
        last = read_gan_metrics(path)[-1]
        out.append(
            _result(
                "GAN", name, f"mode collapse: diversity ratio (epoch {last['epoch']})", last["diversity_ratio"], path
            )
        )
    return out


def localization_results(metrics: dict[str, str | Path]) -> list[Result]:
    """Rows of the localization predictors; ``metrics``: "<composite>/<predictor>" -> metrics.json."""
    out = []
    for key, path in sorted(metrics.items()):
        m = json.loads(Path(path).read_text())
        predictor = key.rsplit("/", 1)[-1]
        mase_target = ("<=", MASE_TARGET) if predictor in FULL_FIELD else (None, None)
        r2_target = (">=", R2_TARGET) if predictor in PATCH_MODELS else (None, None)
        out.append(_result("localization", key, "MASE %", m["mase_percent"], path, *mase_target))
        out.append(_result("localization", key, "R^2 (all test voxels)", m["r2_exact"], path, *r2_target))
    return out


def write_csv(path: str | Path, results: list[Result]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(RESULT_FIELDS)
        for r in results:
            writer.writerow([r.section, r.model, r.measure, f"{r.value:.4g}", r.target, r.met, r.source])


def read_csv(path: str | Path) -> list[Result]:
    with open(path, newline="") as fh:
        return [Result(**{**row, "value": float(row["value"])}) for row in csv.DictReader(fh)]


def targets_met(results: list[Result]) -> str:
    """``"<met> of <judged> targets met"`` (rows reported only are not judged)."""
    judged = [r for r in results if r.met]
    return f"{sum(r.met == 'yes' for r in judged)} of {len(judged)} targets met"


def markdown(results: list[Result], title: str) -> str:
    """The table as a Markdown section (``### title``, a count of targets met, the table)."""
    lines = [f"### {title}", "", f"{targets_met(results)}.", ""]
    lines += ["| section | model | measure | value | target | met |", "|---|---|---|---:|---|---|"]
    for r in results:
        lines.append(f"| {r.section} | {r.model} | {r.measure} | {r.value:.3g} | {r.target} | {r.met} |")
    return "\n".join(lines) + "\n"


def figure(results: list[Result], path: str | Path, title: str) -> None:
    """Four panels: scores over floor (log), diversity, MASE, R^2; each bar green when its
    target is met, red when missed, grey when reported only; targets as tick marks."""
    panels = [
        ("score / floor (1 = indistinguishable from data)", lambda r: "floor" in r.measure, True),
        ("diversity (real test images = 1)", lambda r: "diversity" in r.measure, False),
        ("localization MASE (%)", lambda r: r.measure.startswith("MASE"), False),
        ("localization R^2", lambda r: r.measure.startswith("R^2"), False),
    ]
    panels = [(t, [r for r in results if keep(r)], log) for t, keep, log in panels]
    panels = [p for p in panels if p[1]]
    heights = [0.26 * len(rows) + 0.8 for _, rows, _ in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, sum(heights) + 0.8), squeeze=False,
                             gridspec_kw={"height_ratios": heights}, layout="constrained")  # fmt: skip
    colors = {"yes": "tab:green", "no": "tab:red", "": "0.6"}
    for ax, (label, rows, log) in zip(axes[:, 0], panels):
        y = range(len(rows))
        ax.barh(y, [max(r.value, 1e-6) if log else r.value for r in rows], color=[colors[r.met] for r in rows])
        for i, r in enumerate(rows):
            if r.target:
                ax.plot([float(r.target.split()[1])] * 2, [i - 0.45, i + 0.45], color="k", linewidth=1.5)
        ax.set_yticks(list(y), [f"{r.model}: {r.measure.split(' score')[0]}" for r in rows], fontsize=7)
        ax.invert_yaxis()
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(label, fontsize=8)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.suptitle(f"{title}\ngreen: target met, red: missed, grey: reported; black tick: target", fontsize=9)
    save_figure(fig, path)


def write_results(
    results: list[Result], out_csv: str | Path, out_png: str | Path, out_md: str | Path, title: str
) -> None:
    """The table as CSV, figure and Markdown section (every file written atomically)."""
    write_csv(out_csv, results)
    figure(results, out_png, title)
    write_text(out_md, markdown(results, title))


def insert_section(section_md: str | Path, target: str | Path) -> None:
    """Replace the text between :data:`START` and :data:`END` in ``target`` (README.md)
    by the Markdown of ``section_md``; a clear error when the markers are missing."""
    text = Path(target).read_text()
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"{target}: needs one {START!r} line followed by one {END!r} line")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    write_text(target, f"{head}{START}\n{Path(section_md).read_text().rstrip()}\n{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Put a results.md section into README.md between its markers.")
    parser.add_argument("section", help="results.md written by the workflow (rule results_table)")
    parser.add_argument("target", nargs="?", default="README.md")
    args = parser.parse_args(argv)
    insert_section(args.section, args.target)


if __name__ == "__main__":
    main()
