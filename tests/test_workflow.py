"""The workflow itself: lint, format, the full-scale DAG on every profile, and a tiny
end-to-end run through real Snakemake whose every output is checked by content."""

import functools
import json
import re
import shutil
import zipfile

import numpy as np
import pytest
from helpers import BIN, ONE_THREAD, ROOT, snakemake, tiny_config
from PIL import Image

from msdl.normalization import sample_statistics
from msdl.shards import load_shard
from msdl.synthetic.fields import binarize
from msdl.training.common import read_metrics


def job_count(output: str) -> int:
    return int(re.search(r"^total\s+(\d+)$", output, re.M).group(1))


@functools.cache
def full_scale_plan(profile: str | None) -> str:
    """``snakemake -n`` of the full-scale DAG on a profile, made once per profile."""
    return snakemake("-n", *(["--profile", profile] if profile else [])).stdout


def test_lint_is_clean():
    snakemake("--lint")


def test_snakefmt_is_clean():
    import subprocess

    proc = subprocess.run([str(BIN / "snakefmt"), "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("profile", [None, "profiles/slurm", "profiles/lsf"])
def test_full_scale_dry_run_on_each_profile(profile):
    """Full scale, no scheduler needed: 966 jobs.

    210 for the synthetic sets and their two AEs (50,000 seeds each in 100 shards);
    511 for the Potts sets (300 shards, 200 downsampled shards, 3 grids, 2 x statistics,
    layer table, training, figures); 97 for localization (8,550 composite SVEs in 90
    shards, statistics, MKS, CPNet, FNO, 3 figure jobs); 13 for UHCSDB up to its
    checkpoints (patch shards, AE and GAN jobs are counted once curation has run); 14 for
    the VAEs (layer table, training and figures of vae_smooth, vae_binary, vae_kmc_gg and
    vae_kmc_additive; vae_uhcsdb's layer table and figures, its training once curation has
    run); 22 for the evaluation (scores and latent space of 5 AEs and 5 VAEs, the GAN's
    scores, the summary); 98 for the architecture search (config.yaml `search`: 2
    searches x a 3x2x2x2x2 grid = 96 trials, 2 leaderboards); 1 results table."""
    out = full_scale_plan(profile)
    assert job_count(out) == 210 + 511 + 97 + 13 + 14 + 22 + 98 + 1
    assert re.search(r"^results_table\s+1$", out, re.M)
    assert re.search(r"^train_autoencoder\s+8$", out, re.M)  # 4 AEs + 4 VAEs (the UHCSDB pair after curation)
    assert re.search(r"^search_trial\s+96$", out, re.M) and re.search(r"^search_leaderboard\s+2$", out, re.M)
    assert re.search(r"^score_autoencoder\s+10$", out, re.M) and re.search(r"^latent_space\s+10$", out, re.M)
    assert re.search(r"^composite_shard\s+90$", out, re.M)
    assert re.search(r"^potts_shard\s+300$", out, re.M) and re.search(r"^downsample_shard\s+200$", out, re.M)
    assert re.search(r"^gaussian_random_field_shard\s+100$", out, re.M)
    assert re.search(r"^threshold_shard\s+100$", out, re.M)


def rule_counts(output: str) -> dict[str, int]:
    """``rule -> jobs`` from the job table of ``snakemake -n``."""
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_study_scale_is_the_full_dag_with_fewer_seeds(tmp_path):
    """profiles/study: every rule of the full-scale DAG (the same code path), fewer jobs
    where seeds are sharded or trials gridded, results in results/study. (The plan is
    made for an empty results folder: a study run in this checkout must not change it.)"""
    empty = ("--config", f"results={tmp_path / 'study'}")
    full = rule_counts(full_scale_plan(None))
    study = rule_counts(snakemake("-n", "--profile", "profiles/study", *empty).stdout)
    assert set(study) == set(full)
    assert study["potts_shard"] == 26 and study["composite_shard"] == 10 and study["search_trial"] == 16
    assert sum(study.values()) < sum(full.values()) / 5
    plan = snakemake("-n", "--forceall", "--profile", "profiles/study", "results_table").stdout
    assert "results/study/results.csv" in plan


def test_lsf_profile_puts_training_on_a_gpu_queue():
    out = full_scale_plan("profiles/lsf")
    blocks = out.split("\nrule ")
    train = [b for b in blocks if b.startswith("train_autoencoder:")]
    shard = [b for b in blocks if b.startswith("gaussian_random_field_shard:")]
    assert len(train) == 8 and shard  # 4 AEs + 4 VAEs (the UHCSDB pair comes after curation)
    for block in train:
        assert "lsf_queue=rhel7G" in block and "lsf_extra=-gpu num=1:mode=exclusive_process" in block
    assert "lsf_queue=rhel7F" in shard[0] and "-gpu" not in shard[0]
    trials = [b for b in blocks if b.startswith("search_trial:")]
    assert len(trials) == 96
    for block in trials:  # architecture-search trials are training jobs too
        assert "lsf_queue=rhel7G" in block and "lsf_extra=-gpu num=1:mode=exclusive_process" in block


@pytest.mark.slow
def test_tiny_end_to_end_run(tmp_path):
    results = tmp_path / "results"
    configs = tiny_config(tmp_path, results, **ONE_THREAD)
    run = snakemake("--profile", "profiles/local", *configs, "--cores", "2")
    assert "Finished job" in run.stderr or "steps (100%) done" in run.stderr

    # shards: checksums verified by load_shard, layout as configured, binary = threshold of smooth
    smooth_dir, binary_dir = results / "datasets/synthetic_smooth", results / "datasets/synthetic_binary"
    assert sorted(p.name for p in (smooth_dir / "train").glob("*.npy")) == ["shard-0000.npy", "shard-0001.npy"]
    for split in ("train", "test"):
        for npy in sorted((smooth_dir / split).glob("*.npy")):
            smooth, manifest = load_shard(npy)
            binary, bmanifest = load_shard(binary_dir / split / npy.name)
            assert bmanifest["source_sha256"] == manifest["sha256"] and bmanifest["seeds"] == manifest["seeds"]
            np.testing.assert_array_equal(binary, np.stack([binarize(img, 0.5) for img in smooth]))
    assert not list(results.rglob(".tmp-*"))

    stats = json.loads((smooth_dir / "normalization.json").read_text())
    expected = sample_statistics(sorted((smooth_dir / "train").glob("*.npy")))
    assert stats["mean"] == pytest.approx(expected["mean"]) and stats["std"] == pytest.approx(expected["std"])
    assert stats["n_samples"] == 64

    assert "Total params: 8,801" in (results / "models/ae_smooth/layers.txt").read_text()
    assert "Total params: 15,833" in (results / "models/ae_binary/layers.txt").read_text()
    assert "Total params: 8,945" in (results / "models/vae_smooth/layers.txt").read_text()
    assert "Total params: 17,945" in (results / "models/vae_binary/layers.txt").read_text()
    for model in ("ae_smooth", "ae_binary", "vae_smooth", "vae_binary"):
        header = (results / f"models/{model}/metrics.csv").read_text().splitlines()[0]
        extra = ",test_elbo,test_kl" if model.startswith("vae_") else ""
        assert header == "epoch,train_mse,test_mse,test_mse_image" + extra
        rows = read_metrics(results / f"models/{model}/metrics.csv")
        assert [r["epoch"] for r in rows] == [1, 2] and all(np.isfinite(r["test_mse"]) for r in rows)
        log = (results / f"logs/models/{model}/train.log").read_text()
        assert "ETA" in log and "images/s" in log
        for fig in ("reconstructions", "latent_samples", "loss"):
            with Image.open(results / f"figures/{model}_{fig}.png") as img:
                pixels = np.asarray(img.convert("L"), dtype=np.float32)
            assert min(pixels.shape) > 200 and pixels.std() > 10  # a drawn figure, not a blank
    with Image.open(results / "figures/microstructures_synthetic_binary.png") as img:
        assert np.asarray(img.convert("L")).std() > 30
    # Potts: boundary images at the configured sizes, AE inputs area-averaged, the grids drawn
    gg, gg_manifest = load_shard(results / "datasets/kmc_grain_growth/train/shard-0000.npy")
    assert gg.shape == (4, 64, 64) and gg_manifest["engine"] == "builtin" and set(np.unique(gg)) == {0, 1}
    assert load_shard(results / "datasets/kmc_weld/test/shard-0000.npy")[0].shape == (2, 80, 60)
    assert load_shard(results / "datasets/kmc_grain_growth_112/test/shard-0000.npy")[0].shape == (2, 112, 112)
    assert load_shard(results / "datasets/kmc_additive_128/train/shard-0000.npy")[0].shape == (4, 128, 128)
    assert "Total params: 8,793" in (results / "models/ae_kmc_gg/layers.txt").read_text()
    assert "Total params: 14,847" in (results / "models/ae_kmc_additive/layers.txt").read_text()
    for model in ("vae_kmc_gg", "vae_kmc_additive"):
        assert [r["epoch"] for r in read_metrics(results / f"models/{model}/metrics.csv")] == [1]
    # the kMC models learn distance maps: the Otsu threshold and render size are recorded,
    # and each trained model carries the marker depth its decoder was calibrated to
    gg_stats = json.loads((results / "datasets/kmc_grain_growth_112/normalization.json").read_text())
    assert gg_stats["source_image_size"] == [64, 64] and 0 < gg_stats["otsu_threshold"] < 1
    from msdl.grain_images import DYNAMICS_GRID, SMOOTHING_GRID
    from msdl.training.autoencoder import load_model

    for model in ("ae_kmc_gg", "vae_kmc_additive"):
        norm = load_model(results / f"models/{model}/model.pt")[2]
        assert norm["mode"] == "boundary_distance" and norm["dynamics"] in DYNAMICS_GRID
        assert norm["smoothing"] in SMOOTHING_GRID
        log = (results / f"logs/models/{model}/train.log").read_text()
        assert f"of reconstructions: smoothing {norm['smoothing']} px, marker dynamics {norm['dynamics']} px" in log
        assert norm["sample_dynamics"] in DYNAMICS_GRID and norm["sample_smoothing"] in SMOOTHING_GRID
        assert (
            f"of decoder samples: smoothing {norm['sample_smoothing']} px, "
            f"marker dynamics {norm['sample_dynamics']} px" in log
        )
    for name in ("kmc_grain_growth", "kmc_additive", "kmc_weld"):
        with Image.open(results / f"figures/microstructure_grid_{name}.png") as img:
            assert np.asarray(img.convert("L")).std() > 10

    # localization: solved composite shards, statistics, MKS metrics and figures
    loc = results / "localization/composites"
    sve_train, man = load_shard(loc / "train/shard-0000.npy")
    assert sve_train.shape == (6, 3, 10, 10, 10) and man["channels"] == ["phase", "strain_xx", "stress_xx"]
    np.testing.assert_allclose(sve_train[:, 1].mean(axis=(1, 2, 3)), 0.001, rtol=1e-5)
    assert man["names"][0] == "M_gaussian_1_1_1_vf_25_75.Idx0" and max(man["solver_residuals"]) <= 1e-6
    loc_stats = json.loads((loc / "statistics.json").read_text())
    assert loc_stats["phase"]["n_sve"] == 8 and loc_stats["strain_xx"]["mean"] == pytest.approx(0.001, rel=1e-5)
    mks = json.loads((loc / "mks/metrics.json").read_text())
    assert mks["n_sve"] == 4 and mks["n_train"] == 8 and 0.0 < mks["r2_exact"] <= 1.0
    for predictor in ("mks", "cpnet", "fno"):
        for fig in ("parity", "slices"):
            with Image.open(results / f"figures/localization_composites_{predictor}_{fig}.png") as img:
                assert np.asarray(img.convert("L"), dtype=np.float32).std() > 10
    cpnet = json.loads((loc / "cpnet/metrics.json").read_text())
    assert cpnet["parameters"] == 902_183 and cpnet["epochs"] == 1 and cpnet["n_sve"] == 4
    assert "ETA" in (results / "logs/localization/composites/fno.log").read_text()

    check_uhcsdb_outputs(results)
    check_evaluation_outputs(results)

    # the workflow report: one zip with the HTML page, every figure and its caption
    report = snakemake("--profile", "profiles/local", *configs, "--report", str(tmp_path / "report.zip"))
    with zipfile.ZipFile(tmp_path / "report.zip") as archive:
        names = archive.namelist()
        page = archive.read(next(n for n in names if n.endswith("report.html"))).decode()
    for figure in (
        "ae_smooth_scores.png",
        "ae_smooth_interpolation.png",
        "score_summary.png",
        "dcgan_uhcsdb_samples.png",
    ):
        assert any(n.endswith(figure) for n in names), (figure, report.stderr[-2000:])
    assert "Evaluation" in page and "Autoencoders" in page

    # a finished DAG has nothing left to do
    again = snakemake("--profile", "profiles/local", *configs, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr

    # a lost shard, asked for again, is regenerated alone and with the same bytes
    lost = smooth_dir / "test/shard-0000.npy"
    before = lost.read_bytes()
    lost.unlink()
    plan = snakemake("--profile", "profiles/local", *configs, "-n", str(lost)).stdout
    assert job_count(plan) == 1 and re.search(r"^gaussian_random_field_shard\s+1$", plan, re.M)
    snakemake("--profile", "profiles/local", *configs, "--cores", "2", str(lost))
    assert lost.read_bytes() == before
    shutil.rmtree(results)


def check_uhcsdb_outputs(results):
    """The UHCSDB stage of the tiny run (stand-in frames): report, shards, split, models."""
    import csv

    from msdl.training.gan import read_gan_metrics

    with open(results / "uhcsdb/curation_report.csv", newline="") as fh:
        report = {r["path"]: r for r in csv.DictReader(fh)}
    assert (
        report["micrograph762.tif"]["fate"] == "dropped"
        and "magnification missing" in report["micrograph762.tif"]["reason"]
    )
    assert report["micrograph1.tif"]["fate"] == "not selected"
    used = [r for r in report.values() if r["fate"] == "used"]
    assert len(used) == 8 and all(int(r["uhcsdb_48x64_patches"]) > 0 for r in used)
    assert "STAND-IN" in (results / "uhcsdb/curation_summary.md").read_text()
    for name, (h, w), n_train, n_test in (("uhcsdb_48x64", (48, 64), 96, 32), ("uhcsdb_64x64", (64, 64), 64, 32)):
        root = results / "datasets" / name
        samples = {}
        for split, n in (("train", n_train), ("test", n_test)):
            arrays = sorted((root / split).glob("shard-*.npy"))
            loaded = [load_shard(a) for a in arrays]
            images = np.concatenate([a for a, _ in loaded])
            assert images.shape == (n, h, w) and images.dtype == np.float32 and 0 <= images.min() and images.max() <= 1
            assert images.std() > 0.1 and all("STAND-IN" in m["frames"] for _, m in loaded)
            samples[split] = {k for _, m in loaded for k in m["sample_keys"]}
        assert samples["train"] and samples["test"] and not samples["train"] & samples["test"]  # split by sample
        index = json.loads((root / "index.json").read_text())
        assert {s: v["patches"] for s, v in index["splits"].items()} == {"train": n_train, "test": n_test}
        assert index["splits"]["test"]["samples"] == sorted(samples["test"])
    rescaled = Image.open(results / "uhcsdb/rescaled/micrograph30.png")
    assert rescaled.size == (1290, 968)  # 982X -> 1964X: the rescaled image is saved, not the original
    assert "Total params: 5,855" in (results / "models/ae_uhcsdb/layers.txt").read_text()
    assert [r["epoch"] for r in read_metrics(results / "models/ae_uhcsdb/metrics.csv")] == [1, 2]
    vae = read_metrics(results / "models/vae_uhcsdb/metrics.csv")
    assert [r["epoch"] for r in vae] == [1, 2] and all(r["test_kl"] > 0 and np.isfinite(r["test_elbo"]) for r in vae)
    gan = read_gan_metrics(results / "models/dcgan_uhcsdb/gan_metrics.csv")
    assert [r["epoch"] for r in gan] == [1, 2] and all(0 < r["diversity_ratio"] < 5 for r in gan)
    for fig in ("dcgan_uhcsdb_samples", "dcgan_uhcsdb_curves", "ae_uhcsdb_reconstructions"):
        with Image.open(results / f"figures/{fig}.png") as img:
            assert np.asarray(img.convert("L"), dtype=np.float32).std() > 10


def check_evaluation_outputs(results):
    """Scores of every model per epoch with floors, latent schemes, the summary."""
    import csv

    from msdl.evaluation.comparison import SCORE_FIELDS
    from msdl.evaluation.scoring import read_scores

    scores = read_scores(results / "evaluation/ae_smooth/scores.csv")
    assert list(scores[0]) == ["epoch", "set", "n", *SCORE_FIELDS["phase"], "diversity"]
    assert all(0 < r["diversity"] < 3 for r in scores)  # real train vs test ~1; sets of 24 images
    assert {(r["set"], r["epoch"]) for r in scores if r["set"] != "floor"} == {
        (s, e) for s in ("reconstructions", "decoder_samples") for e in (1, 2)
    }
    assert all(r["n"] == 24 for r in scores) and all(np.isfinite(r["total"]) and r["total"] >= 0 for r in scores)
    grains = read_scores(results / "evaluation/ae_kmc_gg/scores.csv")
    assert "grain_size" in grains[0] and {r["n"] for r in grains if r["set"] == "reconstructions"} == {2}
    gan = read_scores(results / "evaluation/dcgan_uhcsdb/scores.csv")
    assert [(r["set"], r["epoch"], r["n"]) for r in gan] == [("floor", None, 16), ("gan_samples", 2, 16)]
    schemes = read_scores(results / "evaluation/ae_binary/latent_sampling.csv")
    assert [r["set"] for r in schemes] == ["floor", "gaussian_fit", "uniform_box", "nearest_jitter"]
    with open(results / "evaluation/summary.csv", newline="") as fh:
        summary = list(csv.DictReader(fh))
    models = {r["model"] for r in summary}
    assert {"ae_smooth", "ae_kmc_additive", "dcgan_uhcsdb", "ae_uhcsdb latent"} <= models
    # two epochs of training on a few dozen images: no generated set is as close to the
    # test set as real training images are (the floor)
    assert summary and all(float(r["ratio"]) > 1 for r in summary)
    for figure in ("ae_smooth_scores", "ae_kmc_gg_interpolation", "dcgan_uhcsdb_scores", "score_summary", "results"):
        with Image.open(results / f"figures/{figure}.png") as img:
            assert np.asarray(img.convert("L"), dtype=np.float32).std() > 10
    # the results table: every model's headline rows, judged (two epochs: targets missed)
    from msdl.evaluation.results import read_csv

    table = read_csv(results / "results.csv")
    rows = {(r.model, r.measure): r for r in table}
    for model in ("ae_smooth", "ae_binary", "ae_kmc_gg", "ae_kmc_additive", "ae_uhcsdb", "vae_smooth"):
        assert rows[(model, "reconstructions score / floor")].target == "<= 3"
        samples = "prior samples" if model.startswith("vae_") else "decoder samples"
        assert rows[(model, f"{samples} diversity")].target == ">= 0.5"
        assert rows[(model, f"{samples} score / floor")].met in ("yes", "no")
    assert rows[("dcgan_uhcsdb", "samples score / floor")].value == pytest.approx(
        next(float(r["ratio"]) for r in summary if r["model"] == "dcgan_uhcsdb"), rel=1e-3
    )
    assert {m for m, _ in rows if m.startswith("composites/")} == {
        "composites/mks",
        "composites/cpnet",
        "composites/fno",
    }
    assert all(np.isfinite(r.value) for r in table)
    section = (results / "results.md").read_text()
    assert section.startswith(f"### Results at {results}\n")
    assert sum(1 for line in section.splitlines() if line.startswith("| ")) == len(table) + 1
