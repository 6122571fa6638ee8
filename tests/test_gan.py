"""The DCGAN: the reference architecture's sizes, the diversity measure, and training that
checkpoints each epoch and resumes to the same weights."""

import numpy as np
import pytest
import torch

from msdl.models.dcgan import Discriminator, Generator, build_dcgan
from msdl.models.summary import layer_rows
from msdl.progress import get_logger
from msdl.training.gan import GanConfig, gan_fingerprint, mean_pairwise_distance, train_gan


def test_dcgan_sizes_match_the_spec():
    g, d = build_dcgan()
    assert sum(p.numel() for p in g.parameters()) == 3_574_656
    assert sum(p.numel() for p in d.parameters()) == 2_763_520
    shapes = [r.output_shape for r in layer_rows(g, (100, 1, 1)) if r.name.startswith("ConvTranspose2d")]
    assert shapes == [(-1, 512, 4, 4), (-1, 256, 8, 8), (-1, 128, 16, 16), (-1, 64, 32, 32), (-1, 1, 64, 64)]
    shapes = [r.output_shape for r in layer_rows(d, (1, 64, 64)) if r.name.startswith("Conv2d")]
    assert shapes == [(-1, 64, 32, 32), (-1, 128, 16, 16), (-1, 256, 8, 8), (-1, 512, 4, 4), (-1, 1, 1, 1)]
    assert all(
        m.bias is None
        for m in [*g.modules(), *d.modules()]
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
    )
    x = Generator()(torch.randn(2, 100, 1, 1))
    assert x.shape == (2, 1, 64, 64) and float(x.abs().max()) <= 1.0 and Discriminator()(x).shape == (2,)
    w = [m.weight for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)][1]
    assert abs(float(w.detach().std()) - 0.02) < 0.002  # DCGAN initialization


def test_mean_pairwise_distance():
    same = torch.ones(10, 1, 4, 4)
    assert mean_pairwise_distance(same) == 0.0
    two = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)])
    assert mean_pairwise_distance(two) == pytest.approx(1.0)
    rng = torch.Generator().manual_seed(0)
    varied = torch.rand(200, 1, 8, 8, generator=rng)
    assert mean_pairwise_distance(varied) == pytest.approx(np.sqrt(1 / 6), rel=0.05)  # E|U1-U2|^2 = 1/6


def _images(n=48):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    return np.stack(
        [0.5 + 0.4 * np.sin(xx / rng.uniform(2, 6) + rng.uniform(0, 6)) * np.cos(yy / 5) for _ in range(n)]
    ).astype(np.float32)


@pytest.mark.parametrize("augment", ["none", "flip,translation,cutout"])
def test_training_checkpoints_and_resumes_to_the_same_weights(tmp_path, augment):
    torch.set_num_threads(1)
    images = _images()
    cfg = GanConfig(
        epochs=2, batch_size=16, figure_epochs=[1, 2], samples=4, diversity_samples=16, device="cpu", augment=augment
    )
    run_id = gan_fingerprint(cfg, ["data"])
    log = get_logger("gan-test")
    g_full, d_full, metrics, samples = train_gan(cfg, images, tmp_path / "full", run_id, log)
    assert [r["epoch"] for r in metrics] == [1, 2]
    assert all(np.isfinite(r["d_loss"]) and 0 < r["d_real"] < 1 and r["diversity_real"] > 0 for r in metrics)
    assert (
        set(samples) == {1, 2} and samples[2].shape == (4, 64, 64) and 0 <= samples[2].min() and samples[2].max() <= 1
    )

    # one epoch, then a second run asked for two epochs resumes after the first
    half = GanConfig(**{**cfg.__dict__, "epochs": 1, "figure_epochs": [1]})
    train_gan(half, images, tmp_path / "split", run_id, log)
    g_res, _, metrics_res, samples_res = train_gan(cfg, images, tmp_path / "split", run_id, log)
    for a, b in zip(g_full.state_dict().values(), g_res.state_dict().values()):
        assert torch.equal(a, b)
    assert [r["d_loss"] for r in metrics_res] == [r["d_loss"] for r in metrics]
    np.testing.assert_array_equal(samples_res[2], samples[2])
    # another run id starts afresh instead of resuming
    other = gan_fingerprint(GanConfig(**{**cfg.__dict__, "learning_rate": 1e-4}), ["data"])
    assert other != run_id
    if augment != "none":  # the augmentation is part of what a checkpoint must match
        assert gan_fingerprint(GanConfig(**{**cfg.__dict__, "augment": "none"}), ["data"]) != run_id
