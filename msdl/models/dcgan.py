"""The DCGAN of the report's section 10 (Radford et al. 2015), for one-channel 64x64 patches.

The report gives no table; this is the reference DCGAN as commonly implemented (see
``shared/spec/architectures.md``): ``nz = 100``, ``ngf = ndf = 64``, convolutions without
bias, BatchNorm between layers, weights drawn from N(0, 0.02) (BatchNorm scales from
N(1, 0.02)). The discriminator returns logits (train with ``BCEWithLogitsLoss``).

    Generator      z (100x1x1) -> 512x4x4 -> 256x8x8 -> 128x16x16 -> 64x32x32 -> 1x64x64, Tanh
                   3,574,656 params
    Discriminator  1x64x64 -> 64x32x32 -> 128x16x16 -> 256x8x8 -> 512x4x4 -> 1x1x1 logit
                   2,763,520 params
"""

from __future__ import annotations

import torch
from torch import nn


def _up(cin: int, cout: int) -> list[nn.Module]:
    """ConvT k4 s2 p1 (doubles H and W), BatchNorm, ReLU."""
    return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]


def _down(cin: int, cout: int, batch_norm: bool = True) -> list[nn.Module]:
    """Conv k4 s2 p1 (halves H and W), BatchNorm (not on the first layer), LeakyReLU(0.2)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, 2, 1, bias=False)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    return layers + [nn.LeakyReLU(0.2, inplace=True)]


class Generator(nn.Sequential):
    """``(N, nz, 1, 1)`` noise -> ``(N, channels, 64, 64)`` images in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64, channels: int = 1):
        super().__init__(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),  # 512 x 4 x 4
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            *_up(ngf * 8, ngf * 4),  # 256 x 8 x 8
            *_up(ngf * 4, ngf * 2),  # 128 x 16 x 16
            *_up(ngf * 2, ngf),  # 64 x 32 x 32
            nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False),  # 1 x 64 x 64
            nn.Tanh(),
        )
        self.nz = nz


class Discriminator(nn.Sequential):
    """``(N, channels, 64, 64)`` images -> ``(N,)`` logits (real > 0)."""

    def __init__(self, ndf: int = 64, channels: int = 1):
        super().__init__(
            *_down(channels, ndf, batch_norm=False),  # 64 x 32 x 32
            *_down(ndf, ndf * 2),  # 128 x 16 x 16
            *_down(ndf * 2, ndf * 4),  # 256 x 8 x 8
            *_down(ndf * 4, ndf * 8),  # 512 x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),  # 1 x 1 x 1
            nn.Flatten(0),
        )


def init_weights(module: nn.Module) -> None:
    """DCGAN initialization: conv weights ~ N(0, 0.02), BatchNorm weight ~ N(1, 0.02), bias 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_dcgan(nz: int = 100, seed: int = 0) -> tuple[Generator, Discriminator]:
    """A freshly initialized generator and discriminator (weights a function of ``seed``)."""
    torch.manual_seed(seed)
    generator, discriminator = Generator(nz), Discriminator()
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
