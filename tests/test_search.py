"""Architecture search: knob factories, grid and trial names, speed, leaderboard, findings,
and a tiny end-to-end run of two trials and their leaderboard through real Snakemake."""

import csv
import io
import json

import numpy as np
import pytest
import torch
from helpers import ONE_THREAD, ROOT, snakemake, tiny_config
from torch import nn

from msdl.models.autoencoders import LOSSES, synthetic_ae
from msdl.models.kmc import kmc_gg_ae
from msdl.models.registry import build_autoencoder
from msdl.models.summary import layer_rows
from msdl.models.trial import build_trial
from msdl.pipeline import ConfigError, validate_config
from msdl.search.findings import findings, findings_text, leaderboard, leaderboard_csv
from msdl.search.grid import (
    ArchitectureKnobs,
    Trial,
    epochs_to_fraction,
    expand_grid,
    parse_trial,
    trial_names,
)
from msdl.training.autoencoder import TrainConfig, fingerprint

REPORT_DEFAULTS = {  # base: (its knobs as the report printed it, its param count in the report's tables)
    "ae_smooth": ("c16-max-nobn-relu", 8801),
    "ae_binary": ("c16-max-bn-relu", 15833),
    "ae_kmc_gg": ("c16-max-nobn-relu", 8793),
}
IMAGE = {"ae_smooth": 128, "ae_binary": 128, "ae_kmc_gg": 112}


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def layer_table(model: nn.Module, size: int) -> list[tuple]:
    return [(r.name, r.output_shape, r.params) for r in layer_rows(model, (1, size, size))]


@pytest.mark.parametrize("base", sorted(REPORT_DEFAULTS))
def test_factory_defaults_are_the_report_networks(base):
    knobs, params = REPORT_DEFAULTS[base]
    trial = build_autoencoder(f"{base}/{knobs}")
    report = build_autoencoder(base)
    assert n_params(trial) == n_params(report) == params
    assert layer_table(trial, IMAGE[base]) == layer_table(report, IMAGE[base])  # layer by layer, shapes included


def test_factory_keyword_defaults_are_todays_networks():
    assert layer_table(synthetic_ae((16, 32), batch_norm=True), 128) == layer_table(build_autoencoder("ae_binary"), 128)
    assert layer_table(kmc_gg_ae(), 112) == layer_table(build_autoencoder("ae_kmc_gg"), 112)


def layer_types(model: nn.Module) -> list[type]:
    return [type(m) for m in model.modules() if not list(m.children())]


@pytest.mark.parametrize("base", sorted(REPORT_DEFAULTS))
def test_each_knob_changes_what_it_should(base):
    default = build_trial(base, ArchitectureKnobs(16, "max", "after_conv", "relu"))
    avg = build_trial(base, ArchitectureKnobs(16, "avg", "after_conv", "relu"))
    no_bn = build_trial(base, ArchitectureKnobs(16, "max", "none", "relu"))
    leaky = build_trial(base, ArchitectureKnobs(16, "max", "after_conv", "leaky_relu"))
    wide = build_trial(base, ArchitectureKnobs(32, "max", "after_conv", "relu"))
    types = layer_types(default)
    n_pools = types.count(nn.MaxPool2d)
    assert n_pools >= 2 and nn.AvgPool2d not in types
    # AvgPool in place of every MaxPool, same shapes and parameters
    assert layer_types(avg).count(nn.AvgPool2d) == n_pools and nn.MaxPool2d not in layer_types(avg)
    assert [r[1:] for r in layer_table(avg, IMAGE[base])] == [r[1:] for r in layer_table(default, IMAGE[base])]
    # BatchNorm after every encoder convolution, or none
    assert layer_types(default).count(nn.BatchNorm2d) == n_pools
    for i, t in enumerate(types):
        if t is nn.BatchNorm2d:
            assert types[i - 1] is nn.Conv2d
    assert nn.BatchNorm2d not in layer_types(no_bn)
    bn_params = sum(2 * m.num_features for m in default.modules() if isinstance(m, nn.BatchNorm2d))
    assert n_params(default) - n_params(no_bn) == bn_params
    # every hidden ReLU becomes LeakyReLU; the output stays Tanh
    assert nn.ReLU not in layer_types(leaky) and layer_types(leaky).count(nn.LeakyReLU) == types.count(nn.ReLU)
    assert layer_types(leaky)[-1] is nn.Tanh
    # the first convolution has the knob's channels; the latent does not change
    first = next(m for m in wide.modules() if isinstance(m, nn.Conv2d))
    assert first.out_channels == 32 and wide.latent_shape() == default.latent_shape()
    x = torch.rand(2, 1, IMAGE[base], IMAGE[base])
    for model in (default, avg, no_bn, leaky, wide):
        assert model(x).shape == x.shape


def test_bad_knobs_and_names_are_named():
    with pytest.raises(ValueError, match="unknown pool 'median'"):
        ArchitectureKnobs(16, "median", "none", "relu")
    with pytest.raises(ValueError, match="not of the form"):
        build_autoencoder("ae_binary/c16-max-relu")
    with pytest.raises(ValueError, match="no architecture search for base 'ae_uhcsdb'"):
        build_autoencoder("ae_uhcsdb/c16-max-bn-relu")
    with pytest.raises(ValueError, match="unknown loss 'huber'"):
        parse_trial("c16-max-bn-relu-huber")


GRID = {
    "first_channels": [8, 16, 32],
    "pool": ["max", "avg"],
    "batch_norm": ["after_conv", "none"],
    "activation": ["relu", "leaky_relu"],
    "loss": ["mse", "l1"],
}


def test_grid_expansion_order_and_names():
    trials = expand_grid(GRID)
    names = [t.name for t in trials]
    assert len(names) == len(set(names)) == 48
    assert names[:3] == ["c8-max-bn-relu-mse", "c8-max-bn-relu-l1", "c8-max-bn-lrelu-mse"]
    assert names[-1] == "c32-avg-nobn-lrelu-l1"
    assert all(parse_trial(n).name == n for n in names)  # names round-trip
    assert parse_trial("c16-avg-nobn-lrelu-l1").as_dict() == {
        "first_channels": 16,
        "pool": "avg",
        "batch_norm": "none",
        "activation": "leaky_relu",
        "loss": "l1",
    }
    assert trial_names({"grid": GRID, "enabled": False}) == []
    assert trial_names({"grid": GRID}) == names
    with pytest.raises(ValueError, match="grid lacks knobs"):
        expand_grid({k: v for k, v in GRID.items() if k != "loss"})


def test_search_config_is_checked(full_config):
    validate_config(full_config)
    bad = json.loads(json.dumps(full_config))
    bad["search"]["kmc_gg"]["dataset"] = "synthetic_binary"  # 128x128 images for a 112x112 network
    with pytest.raises(ConfigError, match=r"search\.kmc_gg\.dataset: 'synthetic_binary' has \(128, 128\) images"):
        validate_config(bad)
    bad = json.loads(json.dumps(full_config))
    bad["search"]["binary"]["grid"]["pool"] = ["max", "median"]
    with pytest.raises(ConfigError, match="search.binary.grid.pool"):
        validate_config(bad)


def test_epochs_to_fraction():
    # drop from 1.0 to best 0.1 is 0.9; 90 % of it is reached at <= 0.19
    assert epochs_to_fraction(1.0, [0.5, 0.2, 0.185, 0.1, 0.15]) == 3
    assert epochs_to_fraction(1.0, [0.1, 0.5]) == 1
    assert epochs_to_fraction(1.0, [1.0, 1.2]) is None  # nothing learnt
    assert epochs_to_fraction(1.0, [0.6, 0.2], fraction=0.5) == 1


def test_l1_loss_is_used_and_fingerprinted():
    mse = TrainConfig("ae_smooth", 1, 8, 1e-3)
    l1 = TrainConfig("ae_smooth", 1, 8, 1e-3, loss="l1")
    norm = {"mode": "symmetric_range", "mean": 0.5, "scale": 0.5}
    assert fingerprint(mse, ["a"], norm) != fingerprint(l1, ["a"], norm)
    x, y = torch.zeros(4), torch.full((4,), 0.5)
    assert float(LOSSES["l1"](x, y)) == 0.5 and float(LOSSES["mse"](x, y)) == 0.25


def record(knobs: dict, final: float, speed, search="s") -> dict:
    """A trial record whose test MSE halves from 0.8 towards its final until epoch ``speed``
    (None: 2), then stays at ``final``, over 8 epochs."""
    trial = Trial(
        ArchitectureKnobs(knobs["first_channels"], knobs["pool"], knobs["batch_norm"], knobs["activation"]),
        knobs["loss"],
    )
    reach = speed or 2
    curve = [final + (0.8 - final) / 2**e if e < reach else final for e in range(1, 9)]
    return {
        "search": search,
        "dataset": "d",
        "base": "ae_binary",
        "trial": trial.name,
        "knobs": trial.as_dict(),
        "params": 100 + knobs["first_channels"],
        "final_test_mse_image": final,
        "best_test_mse_image": final,
        "epochs_to_fraction": speed,
        "initial_test_mse_image": 1.0,
        "test_mse_image": curve,
    }


def synthetic_trials() -> list[dict]:
    """A 3 x 2 x 2 grid whose answers are known: MaxPool better in 5 of 6 pairs; BatchNorm
    reaches its final MSE at epoch 3, none at 7, except in the (8, avg) pair where both
    take 5 epochs; 16 channels within 5 % of 32 in 3 of 4 pairs."""
    final = {  # (channels, pool, bn) -> final MSE
        (8, "max", "after_conv"): 0.30,
        (8, "avg", "after_conv"): 0.35,
        (8, "max", "none"): 0.32,
        (8, "avg", "none"): 0.31,  # the one AvgPool win
        (16, "max", "after_conv"): 0.20,
        (16, "avg", "after_conv"): 0.25,
        (16, "max", "none"): 0.21,
        (16, "avg", "none"): 0.26,  # 16 avg/none: 0.26 > 1.05 * 0.24
        (32, "max", "after_conv"): 0.195,
        (32, "avg", "after_conv"): 0.245,
        (32, "max", "none"): 0.205,
        (32, "avg", "none"): 0.24,
    }
    speed = {"after_conv": 3, "none": 7}
    trials = []
    for (c, pool, bn), mse in final.items():
        s = speed[bn] if (c, pool) != (8, "avg") else 5  # (8, avg): both reach their own final at epoch 5
        trials.append(
            record({"first_channels": c, "pool": pool, "batch_norm": bn, "activation": "relu", "loss": "mse"}, mse, s)
        )
    return trials


def test_leaderboard_is_sorted_with_one_row_per_trial():
    trials = synthetic_trials()
    rows = leaderboard(trials)
    assert [r["rank"] for r in rows] == list(range(1, 13))
    assert rows[0]["trial"] == "c32-max-bn-relu-mse" and rows[-1]["trial"] == "c8-avg-bn-relu-mse"
    parsed = list(csv.DictReader(io.StringIO(leaderboard_csv(rows))))
    assert [float(r["final_test_mse_image"]) for r in parsed] == sorted(t["final_test_mse_image"] for t in trials)
    assert (
        parsed[0]["pool"] == "max"
        and parsed[0]["batch_norm"] == "after_conv"
        and parsed[0]["epochs_to_fraction"] == "3"
    )


def test_findings_on_known_answers():
    result = findings(synthetic_trials()[::-1])  # order of the records does not matter
    pool = result["claims"]["maxpool_beats_avgpool"]
    assert (pool["pairs"], pool["wins"], pool["losses"], pool["ties"], pool["verdict"]) == (6, 5, 1, 0, "supported")
    assert pool["sign_test_p"] == pytest.approx(0.21875)  # 2 * P(X >= 5), X ~ Bin(6, 1/2)
    loser = [c for c in pool["comparisons"] if c["outcome"] == "loss"]
    assert [(c["favoured"], c["other"]) for c in loser] == [("c8-max-nobn-relu-mse", "c8-avg-nobn-relu-mse")]
    bn = result["claims"]["batchnorm_speeds_training"]
    assert (bn["pairs"], bn["wins"], bn["losses"], bn["ties"], bn["verdict"]) == (6, 5, 1, 0, "supported")
    # (8, avg): the common level is BatchNorm's final 0.35, reached at its epoch 5; the
    # BN-free twin (final 0.31) is below 0.35 from epoch 4 on: a loss for BatchNorm
    loss = [c for c in bn["comparisons"] if c["outcome"] == "loss"]
    assert [(c["favoured"], c["favoured_value"], c["other_value"]) for c in loss] == [("c8-avg-bn-relu-mse", 5, 4)]
    assert {(c["favoured_value"], c["other_value"]) for c in bn["comparisons"] if c["outcome"] == "win"} == {(3, 7)}
    ch = result["claims"]["16_channels_suffice"]
    assert (ch["favoured"], ch["other"], ch["pairs"], ch["wins"], ch["losses"]) == (16, 32, 4, 3, 1)
    assert ch["verdict"] == "supported"
    text = findings_text(result)
    assert "max won 5, lost 1, tied 0 of 6" in text and "16 won 3, lost 1" in text
    json.dumps(result)  # serializable


def test_findings_contradicted_and_not_tested():
    trials = [
        record({"first_channels": 8, "pool": p, "batch_norm": "none", "activation": "relu", "loss": loss}, mse, None)
        for p, loss, mse in [("max", "mse", 0.5), ("avg", "mse", 0.4), ("max", "l1", 0.6), ("avg", "l1", 0.3)]
    ]
    result = findings(trials)
    assert result["claims"]["maxpool_beats_avgpool"]["verdict"] == "contradicted"
    assert result["claims"]["batchnorm_speeds_training"]["verdict"] == "not tested"
    assert result["claims"]["16_channels_suffice"]["verdict"] == "not tested"
    assert "not tested: the grid has no pair differing only in first_channels (16 vs a larger value)" in findings_text(
        result
    )


@pytest.mark.slow
def test_two_trials_and_leaderboard_end_to_end(tmp_path):
    """Real Snakemake: a 32-image binary set, trials c4-{max,avg}-nobn-relu-mse, their leaderboard."""
    results = tmp_path / "results"
    configs = tiny_config(
        tmp_path,
        results,
        datasets={"synthetic_smooth": {"seeds": {"n_train": 32, "n_test": 16}, "shard_size": 32}},
        **ONE_THREAD,  # the two trials side by side on 2 cores
    )
    target = results / "search/binary/findings.json"
    # the target first: --configfiles takes every argument after it
    plan = snakemake("-n", "--profile", "profiles/local", str(target), *configs).stdout
    assert "search_trial" in plan and "train_autoencoder" not in plan
    snakemake("--profile", "profiles/local", str(target), "--cores", "2", *configs)
    records = {}
    for name in ("c4-max-nobn-relu-mse", "c4-avg-nobn-relu-mse"):
        rec = json.loads((results / f"search/binary/{name}/trial.json").read_text())
        assert rec["trial"] == name and rec["epochs"] == 2 and len(rec["test_mse_image"]) == 2
        assert rec["train_images"] == 32 and rec["test_images"] == 16
        assert rec["params"] == n_params(build_autoencoder(rec["architecture"]))
        # the record's curve is the training job's metrics.csv in image units
        with open(results / f"search/binary/{name}/metrics.csv") as fh:
            assert [float(r["test_mse_image"]) for r in csv.DictReader(fh)] == rec["test_mse_image"]
        assert np.isfinite(rec["initial_test_mse_image"])
        records[name] = rec
    rows = list(csv.DictReader(open(results / "search/binary/leaderboard.csv")))
    assert sorted(r["trial"] for r in rows) == sorted(records)
    assert float(rows[0]["final_test_mse_image"]) == min(r["final_test_mse_image"] for r in records.values())
    result = json.loads(target.read_text())
    pool = result["claims"]["maxpool_beats_avgpool"]
    max_wins = (
        records["c4-max-nobn-relu-mse"]["final_test_mse_image"]
        < records["c4-avg-nobn-relu-mse"]["final_test_mse_image"]
    )
    assert pool["pairs"] == 1 and pool["wins"] == int(max_wins)
    for png in ("search_binary_leaderboard.png", "search_binary_curves.png"):
        assert (results / "figures" / png).read_bytes()[:4] == b"\x89PNG"
    # a rerun has nothing to do: every trial is its own finished job
    again = snakemake("-n", "--profile", "profiles/local", str(target), *configs)
    assert "Nothing to be done" in again.stdout + again.stderr
    assert ROOT.exists()
