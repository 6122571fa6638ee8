"""The results table (msdl/evaluation/results.py) and the diversity every score row carries."""

import csv
import json

import numpy as np
import pytest

from msdl.evaluation.results import (
    END,
    START,
    generative_results,
    insert_section,
    localization_results,
    read_csv,
    write_results,
)
from msdl.evaluation.scoring import Judge, StatisticsSettings, set_diversity


def _write(path, header, rows):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_decoder_that_gives_one_image_has_no_diversity():
    rng = np.random.default_rng(0)
    real = rng.random((40, 16, 16))
    judge = Judge(real[:20], real[20:], StatisticsSettings("phase", True, "half"), seed=0)
    collapsed = np.repeat(real[:1], 30, axis=0)  # one image for every latent
    assert judge.score(collapsed)["diversity"] == 0.0
    assert judge.score(real[20:])["diversity"] == pytest.approx(1.0, abs=0.05)  # as varied as the data
    assert 0.2 < judge.score(0.5 + 0.3 * (real[20:] - 0.5))["diversity"] < 0.4  # less contrast, less spread
    assert judge.fields[-1] == "diversity" and "diversity" not in judge.fields[:-1]
    assert set_diversity(real[:1]) == 0.0


@pytest.fixture
def study_files(tmp_path):
    header = ("dataset", "model", "set", "epoch", "n", "total", "floor_total", "ratio", "diversity")
    summary = _write(
        tmp_path / "summary.csv",
        header,
        [
            ("kmc", "ae_kmc_gg", "reconstructions", 40, 500, 0.2, 0.1, 2.0, 0.9),
            ("kmc", "ae_kmc_gg", "decoder_samples", 40, 500, 0.8, 0.1, 8.0, 0.01),
            ("kmc", "ae_kmc_gg latent", "gaussian_fit", "", 500, 0.8, 0.1, 8.0, 0.01),
            ("kmc", "vae_kmc_gg", "decoder_samples", 40, 500, 0.3, 0.1, 3.0, 0.6),
            ("kmc", "vae_kmc_gg latent", "prior", "", 500, 0.3, 0.1, 3.0, 0.6),
            ("u", "dcgan_uhcsdb", "gan_samples", 30, 64, 0.6, 0.1, 6.0, 0.8),
        ],
    )
    gan = _write(
        tmp_path / "gan_metrics.csv",
        ("epoch", "diversity_ratio"),
        [(1, 0.1), (30, 0.85)],
    )
    metrics = {}
    for name, mase, r2 in (("fno", 4.2, 0.98), ("cpnet", 9.0, 0.61), ("mks", 12.0, 0.9)):
        metrics[f"composites/{name}"] = tmp_path / f"{name}.json"
        metrics[f"composites/{name}"].write_text(json.dumps({"mase_percent": mase, "r2_exact": r2}))
    return summary, {"dcgan_uhcsdb": gan}, metrics


def test_every_headline_number_is_judged_against_its_target(study_files):
    summary, gans, metrics = study_files
    rows = {(r.model, r.measure): r for r in generative_results(summary, gans) + localization_results(metrics)}
    expect = {
        ("ae_kmc_gg", "reconstructions score / floor"): (2.0, "<= 3", "yes"),
        ("ae_kmc_gg", "decoder samples score / floor"): (8.0, "<= 5", "no"),
        ("ae_kmc_gg", "decoder samples diversity"): (0.01, ">= 0.5", "no"),
        ("vae_kmc_gg", "prior samples score / floor"): (3.0, "<= 5", "yes"),
        ("vae_kmc_gg", "prior samples diversity"): (0.6, ">= 0.5", "yes"),
        ("dcgan_uhcsdb", "samples score / floor"): (6.0, "<= 5", "no"),
        ("dcgan_uhcsdb", "mode collapse: diversity ratio (epoch 30)"): (0.85, "", ""),
        ("composites/fno", "MASE %"): (4.2, "<= 5", "yes"),
        ("composites/cpnet", "R^2 (all test voxels)"): (0.61, ">= 0.65", "no"),
        ("composites/cpnet", "MASE %"): (9.0, "", ""),
        ("composites/mks", "MASE %"): (12.0, "", ""),
    }
    for key, (value, target, met) in expect.items():
        assert (rows[key].value, rows[key].target, rows[key].met) == (pytest.approx(value), target, met), key
    # the latent-scheme rows are not headline numbers (a VAE's prior samples are its decoder samples)
    assert not any("gaussian" in r.measure or "latent" in r.model for r in rows.values())
    assert ("vae_kmc_gg", "decoder samples score / floor") not in rows
    assert rows[("vae_kmc_gg", "prior samples score / floor")].section == "VAE"


def test_results_are_written_as_csv_figure_and_readme_section(study_files, tmp_path):
    summary, gans, metrics = study_files
    results = generative_results(summary, gans) + localization_results(metrics)
    out = tmp_path / "out"
    write_results(results, out / "results.csv", out / "results.png", out / "results.md", "Results at results/study")
    assert read_csv(out / "results.csv") == [
        type(r)(**{**r.__dict__, "value": float(f"{r.value:.4g}")}) for r in results
    ]
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    section = (out / "results.md").read_text()
    assert section.startswith("### Results at results/study\n\n4 of 8 targets met.")
    assert "| localization | composites/fno | MASE % | 4.2 | <= 5 | yes |" in section

    readme = tmp_path / "README.md"
    readme.write_text(f"# msdl\nintro\n{START}\nold table\n{END}\nafter\n")
    insert_section(out / "results.md", readme)
    text = readme.read_text()
    assert "old table" not in text and section.strip() in text
    assert text.startswith("# msdl\nintro\n") and text.endswith(f"{END}\nafter\n")
    insert_section(out / "results.md", readme)  # idempotent
    assert readme.read_text() == text
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="README.md: needs one"):
        insert_section(out / "results.md", readme)
