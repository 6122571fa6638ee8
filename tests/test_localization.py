"""Localization data (composites, shards, importer), preprocessing, MKS and metrics."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from msdl.localization.composites import N_NAMES, composite, name_of, periodic_gaussian_3d, seed_of, widths_of
from msdl.localization.data import generate_composite_shard, import_mks_shard
from msdl.localization.elastic import ElasticSetup, solve
from msdl.localization.metrics import ScoreAccumulator, mase_sve, pearson_r2
from msdl.localization.mks import MksFitter, MksModel
from msdl.localization.stats import StatisticsAccumulator, spline_filter
from msdl.pipeline import ConfigError, validate_config
from msdl.shards import Shard, load_shard

LOG = logging.getLogger("test")
DATASET = {
    "generator": "elastic_composites",
    "size": 8,
    "volume_fraction": [0.25, 0.75],
    "full_tensors": False,
    "seeds": {"first": 0, "n_train": 3, "n_test": 2},
    "shard_size": 3,
    "elastic": {
        "young": [1.0, 50.0],
        "poisson": [0.3, 0.3],
        "strain_xx": 0.001,
        "discretization": "trilinear",
        "rtol": 1e-6,
        "batch": 2,
    },
}


def test_names_follow_the_report_scheme_and_invert():
    assert name_of(0) == "M_gaussian_1_1_1_vf_25_75.Idx0"
    assert name_of(64 * 50 + 64 * 99 + 63) == "M_gaussian_7_7_7_vf_25_75_set2.Idx99"
    assert [seed_of(name_of(s)) for s in range(N_NAMES)] == list(range(N_NAMES))
    assert seed_of("M_gaussian_3_7_5_vf_25_75_set2.Idx9") == 64 * 59 + 16 * 1 + 4 * 3 + 2
    with pytest.raises(ValueError, match="Idx50"):
        seed_of("M_gaussian_3_7_5_vf_25_75.Idx50")
    with pytest.raises(ValueError, match="seed 9600"):
        name_of(9600)


def test_composites_exact_fraction_deterministic_and_anisotropic():
    vfs = []
    for seed in range(12):
        phases, vf = composite("s", seed, 21)
        assert phases.dtype == np.uint8 and set(np.unique(phases)) <= {0, 1}
        assert phases.sum() == round(vf * 21**3) and 0.25 <= vf <= 0.75
        vfs.append(vf)
    assert np.ptp(vfs) > 0.1  # fractions really vary
    np.testing.assert_array_equal(composite("s", 3, 21)[0], composite("s", 3, 21)[0])
    assert not np.array_equal(composite("s", 3, 21)[0], composite("t", 3, 21)[0])
    # seed 3 -> widths (1, 1, 7): long correlation along axis 2, short along axis 0
    assert widths_of(3) == (1, 1, 7)
    p = composite("s", 3, 31)[0].astype(int)
    changes = [np.mean(p != np.roll(p, 1, axis=a)) for a in range(3)]
    assert changes[2] < 0.4 * changes[0]


def test_periodic_filter_commutes_with_shifts():
    f = np.random.default_rng(0).random((9, 8, 7))
    a = periodic_gaussian_3d(np.roll(f, (2, 3, 1), axis=(0, 1, 2)), (1, 3, 5))
    np.testing.assert_allclose(a, np.roll(periodic_gaussian_3d(f, (1, 3, 5)), (2, 3, 1), axis=(0, 1, 2)), atol=1e-12)
    s = spline_filter((f > 0.5).astype(np.uint8))
    np.testing.assert_allclose(
        spline_filter(np.roll(f > 0.5, 3, axis=1).astype(np.uint8)), np.roll(s, 3, axis=1), atol=1e-6
    )


def test_composite_shard_holds_solved_fields(tmp_path):
    shard = Shard("train", 0, 0, 3)
    paths = tmp_path / "a.npy", tmp_path / "a.json"
    manifest = generate_composite_shard("demo", DATASET, shard, *paths, LOG)
    array, _ = load_shard(paths[0])
    assert array.shape == (3, 3, 8, 8, 8) and manifest["names"] == [name_of(s) for s in range(3)]
    for i, seed in enumerate(range(3)):
        phases = composite("demo", seed, 8)[0]
        np.testing.assert_array_equal(array[i, 0], phases)
        ref = solve(phases)
        np.testing.assert_allclose(array[i, 1], ref.strain_xx[0].numpy(), rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(array[i, 2], ref.stress_xx[0].numpy(), rtol=1e-5, atol=1e-9)
    # rerun: same bytes
    again = generate_composite_shard("demo", DATASET, shard, tmp_path / "b.npy", tmp_path / "b.json", LOG)
    assert again["sha256"] == manifest["sha256"]
    assert manifest["elastic"]["refine"] == 1  # recorded though DATASET leaves it to the default


def test_composite_shard_with_refined_labels(tmp_path):
    dataset = {**DATASET, "elastic": {**DATASET["elastic"], "refine": 2}}
    shard = Shard("train", 0, 0, 2)
    manifest = generate_composite_shard("demo", dataset, shard, tmp_path / "r.npy", tmp_path / "r.json", LOG)
    array, _ = load_shard(tmp_path / "r.npy")
    assert array.shape == (2, 3, 8, 8, 8) and manifest["elastic"]["refine"] == 2
    for i in range(2):
        ref = solve(composite("demo", i, 8)[0], ElasticSetup(refine=2))
        np.testing.assert_allclose(array[i, 1], ref.strain_xx[0].numpy(), rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(array[i, 2], ref.stress_xx[0].numpy(), rtol=1e-5, atol=1e-9)


def test_importer_reads_original_files_into_the_same_shards(tmp_path):
    generate_composite_shard("demo", DATASET, Shard("train", 0, 0, 3), tmp_path / "g.npy", tmp_path / "g.json", LOG)
    array, manifest = load_shard(tmp_path / "g.npy")
    src = tmp_path / "matin"
    (src / "microstructures").mkdir(parents=True)
    (src / "responses").mkdir()
    for name, sve in zip(manifest["names"], array):
        np.save(src / "microstructures" / f"{name}.npy", sve[0].astype(np.int64)[None])  # (1, N, N, N) as PyMKS writes
        np.save(src / "responses" / f"Strain.Resp_{name}.npy", sve[1].astype(np.float64))
        np.save(src / "responses" / f"Stress.Resp_{name}.npy", sve[2].astype(np.float64))
    np.save(
        src / "microstructures" / "M_gaussian_7_7_7_vf_25_75.Idx3.npy", np.zeros((8, 8, 8))
    )  # no responses: skipped
    ds = {
        "generator": "mks_import",
        "source_dir": str(src),
        "size": 8,
        "seeds": {"first": 0, "n_train": 3, "n_test": 0},
        "shard_size": 3,
    }
    imported = import_mks_shard("orig", ds, Shard("train", 0, 0, 3), tmp_path / "i.npy", tmp_path / "i.json", LOG)
    np.testing.assert_array_equal(load_shard(tmp_path / "i.npy")[0], array)
    assert imported["names"] == manifest["names"]
    assert "elastic" not in imported and imported["generator"] == "mks_import"  # no solver, no refine
    with pytest.raises(ValueError, match="holds 3"):
        import_mks_shard("orig", ds, Shard("train", 0, 0, 4), tmp_path / "j.npy", tmp_path / "j.json", LOG)
    bad = src / "responses" / f"Strain.Resp_{manifest['names'][1]}.npy"
    np.save(bad, np.zeros((8, 8)))
    with pytest.raises(ValueError, match=bad.name):
        import_mks_shard("orig", ds, Shard("train", 0, 0, 3), tmp_path / "k.npy", tmp_path / "k.json", LOG)


def test_mks_recovers_a_linear_kernel_exactly():
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(6, 6, 6)) * np.exp(-np.arange(6))[:, None, None]
    fitter = MksFitter(ridge=0.0)
    phases = [(rng.random((6, 6, 6)) < rng.uniform(0.3, 0.7)).astype(np.uint8) for _ in range(20)]

    def response(m):
        return (
            0.002
            + 0.5 * m.mean()
            + np.fft.irfftn(np.fft.rfftn(kernel) * np.fft.rfftn(m - m.mean()), s=m.shape, axes=(0, 1, 2))
        )

    for m in phases:
        fitter.add(m, response(m))
    model = fitter.fit()
    test = (rng.random((6, 6, 6)) < 0.4).astype(np.uint8)
    np.testing.assert_allclose(model.predict(test), response(test), atol=1e-9)


def test_mks_model_is_saved_atomically_and_loads_back(tmp_path):
    model = MksModel(np.arange(8.0).reshape(2, 2, 2).astype(np.complex128), 0.25, -1.5)
    path = tmp_path / "mks.npz"
    model.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["mks.npz"]  # no temporary file left
    back = MksModel.load(path)
    np.testing.assert_array_equal(back.coeff, model.coeff)
    assert (back.intercept, back.slope) == (0.25, -1.5)


def test_metrics_match_their_definitions():
    rng = np.random.default_rng(2)
    trues = [0.001 + 0.001 * rng.random((4, 4, 4)) for _ in range(5)]
    preds = [t + 0.0003 * rng.normal(size=t.shape) for t in trues]
    acc = ScoreAccumulator(sample={1, 3})
    for t, p in zip(trues, preds):
        acc.add(t, p)
    r = acc.result()
    assert r["r2_exact"] == pytest.approx(np.corrcoef(np.ravel(trues), np.ravel(preds))[0, 1] ** 2, rel=1e-9)
    assert r["r2_sampled"] == pytest.approx(pearson_r2(np.ravel(preds[1::2][:2]), np.ravel(trues[1::2][:2])), rel=1e-5)
    ss = np.sum((np.ravel(trues) - np.ravel(preds)) ** 2) / np.sum((np.ravel(trues) - np.mean(trues)) ** 2)
    assert r["r2_determination"] == pytest.approx(1 - ss, rel=1e-9)
    assert r["mase_percent"] == pytest.approx(
        np.mean([np.abs(t - p).mean() / t.mean() * 100 for t, p in zip(trues, preds)])
    )
    assert mase_sve(trues[0], trues[0]) == 0.0


def test_statistics_are_means_of_per_sve_moments():
    rng = np.random.default_rng(3)
    acc = StatisticsAccumulator()
    sves = [rng.random((3, 5, 5, 5)).astype(np.float32) for _ in range(3)]
    for s in sves:
        s[0] = s[0] > 0.5
        acc.add(s, ["phase", "strain_xx", "stress_xx"])
    out = acc.result()
    assert out["strain_xx"]["std"] == pytest.approx(np.mean([s[1].std() for s in sves]), rel=1e-6)
    assert out["phase"]["mean"] == pytest.approx(np.mean([s[0].mean() for s in sves]), rel=1e-6)
    assert out["filtered_phase"]["std"] > out["phase"]["std"]  # the spline prefilter sharpens


def test_config_errors_name_the_key(full_config):
    cfg = dict(full_config)
    bad = {**full_config["localization"]["datasets"]["composites"], "volume_fraction": [0.7, 0.3]}
    cfg["localization"] = {**full_config["localization"], "datasets": {"composites": bad}}
    with pytest.raises(ConfigError, match="localization.datasets.composites.volume_fraction"):
        validate_config(cfg)
    bad = {
        **full_config["localization"]["datasets"]["composites"],
        "seeds": {"first": 9000, "n_train": 500, "n_test": 200},
    }
    cfg["localization"] = {**full_config["localization"], "datasets": {"composites": bad}}
    with pytest.raises(ConfigError, match="localization.datasets.composites.seeds"):
        validate_config(cfg)
    bad = {**full_config["localization"]["datasets"]["composites"]}
    bad["elastic"] = {**bad["elastic"], "discretization": "quadratic"}
    cfg["localization"] = {**full_config["localization"], "datasets": {"composites": bad}}
    with pytest.raises(ConfigError, match="discretization"):
        validate_config(cfg)
