"""The VAEs (Appendix D): shapes and sizes, the ELBO's terms, training through the backbone
loop (it learns, resumes to the same bytes), and the AE's outputs left as they were."""

import copy
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from test_train import _checkpoint_epoch, _job, _run, shards  # noqa: F401  (shards: a fixture)
from torch.distributions import Normal, kl_divergence

from msdl.models.registry import build_autoencoder
from msdl.models.summary import layer_rows
from msdl.models.vae import VariationalAutoencoder, gaussian_nll, kl_to_prior
from msdl.normalization import normalize, transform
from msdl.pipeline import ConfigError, validate_config
from msdl.progress import get_logger
from msdl.shards import load_split
from msdl.training.autoencoder import METRIC_FIELDS, TrainConfig, fingerprint, metric_fields, train
from msdl.training.common import read_metrics
from msdl.training.latent import encode, sample_prior

# AE name, its params, the latent (C, h, w); a VAE adds a 1x1 conv C -> 2C: 2C^2 + 2C params
PAIRS = [
    ("ae_smooth", 8801, (8, 10, 10), 8945),
    ("ae_binary", 15833, (32, 10, 10), 17945),
    ("ae_kmc_gg", 8793, (4, 4, 4), 8833),
    ("ae_kmc_additive", 14847, (32, 2, 2), 16959),
    ("ae_uhcsdb", 5855, (8, 8, 12), 5999),
]
VAE_MODEL = {
    "architecture": "vae_smooth",
    "epochs": 6,
    "batch_size": 16,
    "learning_rate": 0.002,
    "seed": 5,
    "normalization": "symmetric_range",
    "figure_epochs": [2, 6],
    "decoder_sigma": 0.1,
    "kl_weight": 1.0,
}


def _params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("ae_name, ae_params, latent, vae_params", PAIRS)
def test_vae_keeps_the_ae_layers_and_adds_a_gaussian_head(ae_name, ae_params, latent, vae_params):
    vae_name = "vae_" + ae_name.removeprefix("ae_")
    ae, vae = build_autoencoder(ae_name), build_autoencoder(vae_name)
    assert isinstance(vae, VariationalAutoencoder) and vae.variational and not ae.variational
    c = latent[0]
    assert _params(ae) == ae_params and _params(vae) == vae_params == ae_params + 2 * c * c + 2 * c
    # the layer table is the AE's with one 1x1 conv row (2C channels) after the encoder
    ae_rows = [(r.output_shape, r.params) for r in layer_rows(ae, (1, *ae.image_size))]
    vae_rows = [(r.output_shape, r.params) for r in layer_rows(vae, (1, *vae.image_size))]
    n_enc = len(ae.encoder)
    assert vae_rows[:n_enc] == ae_rows[:n_enc] and vae_rows[n_enc + 1 :] == ae_rows[n_enc:]
    assert vae_rows[n_enc] == ((-1, 2 * c, *latent[1:]), 2 * c * c + 2 * c)

    x = torch.rand(3, 1, *vae.image_size) * 2 - 1
    assert vae.latent_shape() == latent
    mean, logvar = vae.posterior(x)
    assert mean.shape == logvar.shape == (3, *latent)
    assert torch.equal(vae.encode(x), mean)
    vae.train()
    recon, m2, lv2 = vae(x, with_posterior=True)
    assert recon.shape == x.shape and torch.equal(m2, mean) and torch.equal(lv2, logvar)
    assert encode(vae, x[:, 0].numpy()).shape == (3, int(np.prod(latent)))  # msdl.training.latent unchanged


def test_eval_forward_is_deterministic_and_decodes_the_mean_train_forward_samples():
    vae = build_autoencoder("vae_smooth")
    x = torch.rand(2, 1, 128, 128) * 2 - 1
    vae.eval()
    with torch.no_grad():
        a, b = vae(x), vae(x)
        assert torch.equal(a, b) and torch.equal(a, vae.decode(vae.encode(x)))
        vae.train()
        torch.manual_seed(0)
        s1 = vae(x)
        s2 = vae(x)
        torch.manual_seed(0)
        s1_again = vae(x)
    assert not torch.equal(s1, s2) and torch.equal(s1, s1_again)  # a reparameterized draw, seeded


def test_kl_is_zero_at_the_prior_and_matches_torch_distributions():
    zeros = torch.zeros(4, 8, 3, 3)
    assert torch.equal(kl_to_prior(zeros, zeros), torch.zeros(4))
    g = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(4, 8, 3, 3, generator=g), torch.randn(4, 8, 3, 3, generator=g)
    expected = kl_divergence(Normal(mean, (0.5 * logvar).exp()), Normal(0.0, 1.0)).flatten(1).sum(1)
    torch.testing.assert_close(kl_to_prior(mean, logvar), expected)
    assert (kl_to_prior(mean, logvar) > 0).all()


def test_gaussian_nll_is_the_decoder_log_density():
    g = torch.Generator().manual_seed(1)
    x, recon = torch.randn(3, 1, 6, 5, generator=g), torch.randn(3, 1, 6, 5, generator=g)
    expected = -Normal(recon, 0.3).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(gaussian_nll(recon, x, 0.3), expected)


def test_training_loss_is_negative_elbo_per_pixel_with_weighted_kl():
    vae = build_autoencoder("vae_uhcsdb", decoder_sigma=0.2, kl_weight=0.5)
    x = torch.rand(4, 1, 48, 64) * 2 - 1
    torch.manual_seed(3)
    loss, parts = vae.training_loss(x)
    torch.manual_seed(3)
    recon, mean, logvar = vae(x, with_posterior=True)
    expected = (gaussian_nll(recon, x, 0.2) + 0.5 * kl_to_prior(mean, logvar)).mean() / (48 * 64)
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(parts["kl"], kl_to_prior(mean, logvar).mean())
    torch.testing.assert_close(parts["mse"], ((recon - x) ** 2).mean())


def test_initial_logvar_sets_the_posterior_spread_at_initialization():
    torch.manual_seed(0)
    vae = build_autoencoder("vae_uhcsdb", initial_logvar=-6.0)
    x = torch.rand(4, 1, 48, 64) * 2 - 1
    _, logvar = vae.posterior(x)
    channels = vae.head.out_channels // 2
    assert (vae.head.bias[channels:] == -6.0).all() and (vae.head.bias[:channels] != -6.0).all()
    assert logvar.mean().item() == pytest.approx(-6.0, abs=1.0)  # bias plus a small weighted encoder output
    torch.manual_seed(0)
    default = build_autoencoder("vae_uhcsdb")
    assert abs(default.posterior(x)[1].mean().item()) < 1.0  # PyTorch's init: std about 1
    base = TrainConfig("vae_uhcsdb", 2, 8, 1e-3, kl_weight=1.0)
    norm = {"mode": "symmetric_range", "mean": 0.5, "scale": 0.5}
    assert fingerprint(base, ["a"], norm) != fingerprint(dataclasses.replace(base, initial_logvar=-6.0), ["a"], norm)


def test_prior_samples_have_the_latent_size():
    vae = build_autoencoder("vae_kmc_gg")
    draws = sample_prior(vae, 500, seed=0)
    assert draws.shape == (500, 64) and abs(draws.mean()) < 0.05 and abs(draws.std() - 1) < 0.05
    np.testing.assert_array_equal(draws, sample_prior(vae, 500, seed=0))


def test_elbo_decreases_and_test_metrics_are_rec_plus_kl(shards, tmp_path):  # noqa: F811
    norm = transform(json.loads(open(shards["stats"]).read()), "symmetric_range")
    train_images = normalize(load_split(shards["train"])[0], norm)
    test_images = normalize(load_split(shards["test"])[0], norm)[:32]
    cfg = TrainConfig("vae_smooth", epochs=3, batch_size=16, learning_rate=0.005, seed=1, device="cpu",
                      decoder_sigma=0.1, kl_weight=1.0)  # fmt: skip
    model, metrics, _ = train(cfg, train_images, test_images, tmp_path, fingerprint(cfg, ["x"], norm), get_logger("t"))
    elbo = [r["test_elbo"] for r in metrics]
    assert elbo == sorted(elbo, reverse=True) and elbo[-1] < 0.9 * elbo[0], elbo
    assert all(r["test_kl"] > 0 for r in metrics)
    x = torch.from_numpy(test_images).unsqueeze(1)
    # the reported numbers are -ELBO with z = mean, recomputed here from the final model
    with torch.no_grad():
        mean, logvar = model.eval().posterior(x)
        rec = gaussian_nll(model.decode(mean), x, 0.1).double()
        kl = kl_to_prior(mean, logvar).double()
    assert metrics[-1]["test_elbo"] == pytest.approx(float((rec + kl).mean()), rel=1e-6)
    assert metrics[-1]["test_kl"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert metrics[-1]["test_mse"] == pytest.approx(float(((model.decode(mean) - x) ** 2).mean()), rel=1e-5)


def test_killed_vae_run_resumes_to_the_same_bytes(shards, tmp_path):  # noqa: F811
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    _run(_job(shards, whole, VAE_MODEL))
    proc = subprocess.Popen([sys.executable, "-c", _job(shards, killed, VAE_MODEL)])
    checkpoint = killed / "state" / "checkpoint.pt"
    deadline = time.time() + 300
    while _checkpoint_epoch(checkpoint) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    epoch_at_kill = _checkpoint_epoch(checkpoint)
    assert 2 <= epoch_at_kill < VAE_MODEL["epochs"], f"kill came at epoch {epoch_at_kill}: not mid-run"
    _run(_job(shards, killed, VAE_MODEL))
    assert f"resuming from {checkpoint} after epoch {epoch_at_kill}" in (killed / "train.log").read_text()
    assert (whole / "model.pt").read_bytes() == (killed / "model.pt").read_bytes()
    assert (whole / "metrics.csv").read_bytes() == (killed / "metrics.csv").read_bytes()
    header = (whole / "metrics.csv").read_text().splitlines()[0]
    assert header == "epoch,train_mse,test_mse,test_mse_image,test_elbo,test_kl"
    rows = read_metrics(whole / "metrics.csv")
    assert rows[-1]["test_elbo"] < rows[0]["test_elbo"]
    blob = torch.load(whole / "model.pt", weights_only=True)
    assert '"decoder_sigma": 0.1' in blob["config"] and '"kl_weight": 1.0' in blob["config"]


def test_ae_metrics_and_model_files_keep_their_columns(shards, tmp_path):  # noqa: F811
    from test_train import MODEL

    ae = {**MODEL, "epochs": 1, "figure_epochs": [1]}
    _run(_job(shards, tmp_path, ae))
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0] == "epoch,train_mse,test_mse,test_mse_image"
    assert metric_fields(build_autoencoder("ae_binary")) == METRIC_FIELDS
    config = torch.load(tmp_path / "model.pt", weights_only=True)["config"]
    assert "kl_weight" not in config and "decoder_sigma" not in config  # an AE's model file as before
    # the run's fingerprint is the one an AE had before VAEs existed (no loss keys in it)
    cfg = TrainConfig("ae_binary", 1, 16, 0.002)
    assert cfg.loss_settings() == {}


def test_config_has_a_vae_per_2d_ae_and_rejects_loss_keys_on_an_ae(full_config, demo_config):
    for config in (full_config, demo_config):
        validate_config(config)
        models = config["models"]
        for name, ae in models.items():
            if not name.startswith("ae_"):
                continue
            vae = models["vae_" + name.removeprefix("ae_")]
            assert vae["architecture"] == "vae_" + name.removeprefix("ae_")
            for key in ("dataset", "epochs", "batch_size", "normalization", "figure_epochs", "learning_rate", "seed"):
                assert vae[key] == ae[key], (name, key)
            assert vae["decoder_sigma"] > 0 and vae["kl_weight"] >= 0
    bad = copy.deepcopy(full_config)
    bad["models"]["ae_smooth"]["kl_weight"] = 1.0
    with pytest.raises(ConfigError, match=r"models\.ae_smooth\.kl_weight"):
        validate_config(bad)
    with pytest.raises(ValueError, match="not variational"):
        build_autoencoder("ae_smooth", kl_weight=1.0)


@pytest.mark.slow
def test_vae_trains_data_parallel(shards, tmp_path):  # noqa: F811
    """2 processes (torchrun, gloo, CPU) through the same loop: the VAE's loss reaches DDP
    via ``training_loss(x, net)``. Each rank draws its own noise, so the curve is not the
    1-process curve; it must run, learn and write the VAE's columns."""
    from msdl.training.jobs import launch_training

    launch_training(
        processes=2,
        model_config={**VAE_MODEL, "epochs": 2, "figure_epochs": [2]},
        device="cpu",
        train_shards=shards["train"],
        test_shards=shards["test"],
        statistics_path=shards["stats"],
        state_dir=str(tmp_path / "state"),
        model_path=str(tmp_path / "model.pt"),
        metrics_path=str(tmp_path / "metrics.csv"),
        log=str(tmp_path / "train.log"),
        threads=1,
    )
    assert "x 2 process(es)" in (tmp_path / "train.log").read_text()
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0].endswith(",test_elbo,test_kl")
    rows = read_metrics(tmp_path / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1, 2] and rows[1]["test_elbo"] < rows[0]["test_elbo"]
