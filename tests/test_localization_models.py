"""CPNet as the report's table, its periodic sweep, the periodic FNO, and their training loop."""

from __future__ import annotations

import logging

import pytest
import torch

from msdl.localization.train import LocalizationModelConfig, random_patches, train_localization
from msdl.models.localization import CPNet, PeriodicFNO, block_targets, cpnet_sweep, parameter_count, sweep_patches
from msdl.models.summary import layer_rows

LOG = logging.getLogger("test")


@pytest.mark.parametrize("g, params", [(3, 121_347), (5, 320_777), (7, 902_183)])
def test_cpnet_parameter_counts(g, params):
    assert parameter_count(CPNet(g, 11)) == params


def test_cpnet_layer_shapes_match_the_report_table():
    rows = layer_rows(CPNet(7, 11), (1, 11, 11, 11))
    shapes = [tuple(r.output_shape[1:]) for r in rows if r.name.startswith(("Conv3d", "MaxPool3d", "Linear"))]
    assert shapes == [
        (8, 11, 11, 11),
        (8, 11, 11, 11),
        (16, 6, 6, 6),
        (16, 6, 6, 6),
        (32, 6, 6, 6),
        (32, 5, 5, 5),
        (64, 3, 3, 3),
        (64, 3, 3, 3),
        (343,),
        (343,),
        (343,),
    ]
    per_layer = [r.params for r in rows if r.params]
    assert per_layer == [224, 16, 3472, 32, 13856, 64, 55360, 128, 593047, 117992, 117992]
    assert CPNet(7, 15)(torch.zeros(2, 1, 15, 15, 15)).shape == (2, 7, 7, 7)  # the patch size is a setting


class Centre(torch.nn.Module):
    """Returns the central g^3 block of its input patch: a perfect 'predictor' of the input."""

    def __init__(self, g, p):
        super().__init__()
        self.stride_gap, self.patch = g, p

    def forward(self, x):
        lo = (self.patch - self.stride_gap) // 2
        return x[:, 0, lo : lo + self.stride_gap, lo : lo + self.stride_gap, lo : lo + self.stride_gap]


@pytest.mark.parametrize("g", [3, 5, 7])
def test_sweep_tiles_the_periodic_sve(g):
    field = torch.randn(17, 13, 11)
    assert len(sweep_patches(field, g, 11)) == -(-17 // g) * -(-13 // g) * -(-11 // g)
    torch.testing.assert_close(cpnet_sweep(Centre(g, 11), field), field)
    # a patch is the periodic neighbourhood of its block: block 0's patch starts (p-g)//2 before voxel 0
    lo = (11 - g) // 2
    p0 = sweep_patches(field, g, 11)[0, 0]
    torch.testing.assert_close(p0[0, 0, 0], field[-lo % 17, -lo % 13, -lo % 11])
    torch.testing.assert_close(block_targets(field, g)[0], field[:g, :g, :g])


def test_fno_is_translation_equivariant_on_the_torus():
    torch.manual_seed(0)
    net = PeriodicFNO(1, width=4, modes=3, layers=2).double().eval()
    x = torch.randn(1, 1, 10, 9, 8, dtype=torch.float64)
    y = net(x)
    shifted = net(torch.roll(x, shifts=(3, -2, 5), dims=(2, 3, 4)))
    torch.testing.assert_close(shifted, torch.roll(y, shifts=(3, -2, 5), dims=(1, 2, 3)))
    assert net(torch.randn(2, 1, 12, 12, 12, dtype=torch.float64)).shape == (2, 12, 12, 12)  # any grid size


def test_random_patches_pair_inputs_with_their_blocks():
    x = torch.randn(2, 9, 9, 9)
    cfg = LocalizationModelConfig(
        "cpnet", epochs=1, batch_size=4, learning_rate=1e-3, stride_gap=3, patch=7, patches_per_sve=5
    )
    xp, yp = random_patches(x, x, cfg, torch.Generator().manual_seed(0))
    assert xp.shape == (10, 1, 7, 7, 7) and yp.shape == (10, 3, 3, 3)
    torch.testing.assert_close(xp[:, 0, 2:5, 2:5, 2:5], yp)


@pytest.mark.parametrize("arch", ["cpnet", "periodic_fno"])
def test_training_learns_and_resumes(tmp_path, arch):
    """The loss must fall and a rerun with more epochs resumes from the checkpoint.

    FNO: learn a periodic local smoothing y = (x + shifts) / 3. CPNet (slow on a CPU: its
    3D max-pool backward) only gets a few steps, so its target is an offset field
    y = 2 + 0.1 x whose mean it must learn."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2 if arch == "cpnet" else 4, 8, 8, 8, generator=g)
    y = 2 + 0.1 * x if arch == "cpnet" else (x + torch.roll(x, 1, 1) + torch.roll(x, -1, 1)) / 3
    kw = dict(
        batch_size=32 if arch == "cpnet" else 1,
        learning_rate=1e-2,
        patches_per_sve=32,
        stride_gap=3,
        patch=7,
        width=6,
        modes=2,
        layers=1,
    )
    cfg = LocalizationModelConfig(arch, epochs=5, **kw)
    model, hist = train_localization(cfg, x, y, tmp_path / "ck.pt", LOG, "cpu")
    assert hist[-1]["train_mse"] < 0.6 * hist[0]["train_mse"], hist
    cfg2 = LocalizationModelConfig(arch, epochs=6, **kw)
    _, hist2 = train_localization(cfg2, x, y, tmp_path / "ck.pt", LOG, "cpu")
    assert [h["epoch"] for h in hist2] == list(range(1, 7)) and hist2[:5] == hist
