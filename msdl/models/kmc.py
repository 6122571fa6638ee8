"""The kMC autoencoders of the report (sections 7 and 8), layer by layer as its tables.

    ae_kmc_gg        (section 7, kMC grain growth):  8,793 params, 112x112 -> latent 4x4x4
    ae_kmc_additive  (section 8, kMC additive):     14,847 params, 128x128 -> latent 32x2x2

The section 7 table contradicts itself: its encoder shapes (43, 21, 11, 10, 5, 4) need a
127-129 pixel input but its decoder ends at 112x112, so no input reproduces it and MSE
cannot compare input and output. We take fix A of shared/spec/architectures.md: every
layer exactly as printed, trained on 112x112 images (the grain-growth boundary images
area-averaged from 256x256); the encoder then reads 38, 19, 10, 9, 5, 4. Fix B (128x128
with the second ConvTranspose2d changed to k7 s4 p3) would alter a printed layer.
"""

from __future__ import annotations

from torch import nn

from msdl.models.autoencoders import ACTIVATIONS, POOLS, Autoencoder, knob_layer


def _encoder(
    channels: list[int],
    kernels: list[int],
    strides: list[int],
    paddings: list[int],
    pool_strides: list[int],
    pool: str = "max",
    batch_norm: bool = False,
    activation: str = "relu",
) -> nn.Sequential:
    """Conv[/BatchNorm]/activation/pool(k2) blocks; the defaults are the report's Conv/ReLU/MaxPool."""
    pool_layer = knob_layer(POOLS, pool, "pool")
    act = knob_layer(ACTIVATIONS, activation, "activation")
    layers: list[nn.Module] = []
    for cin, cout, k, s, p, ps in zip(channels[:-1], channels[1:], kernels, strides, paddings, pool_strides):
        layers.append(nn.Conv2d(cin, cout, kernel_size=k, stride=s, padding=p))
        if batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        layers += [act(), pool_layer(kernel_size=2, stride=ps)]
    return nn.Sequential(*layers)


def _decoder(
    channels: list[int], kernels: list[int], strides: list[int], paddings: list[int], activation: str = "relu"
) -> nn.Sequential:
    act = knob_layer(ACTIVATIONS, activation, "activation")
    layers: list[nn.Module] = []
    for cin, cout, k, s, p in zip(channels[:-1], channels[1:], kernels, strides, paddings):
        layers += [nn.ConvTranspose2d(cin, cout, kernel_size=k, stride=s, padding=p), act()]
    layers[-1] = nn.Tanh()
    return nn.Sequential(*layers)


def kmc_gg_ae(
    first_channels: int = 16, pool: str = "max", batch_norm: bool = False, activation: str = "relu"
) -> Autoencoder:
    """The section 7 family: ``first_channels`` convolution filters in the first layer,
    ``pool`` (max | avg), BatchNorm after each encoder convolution or not, ``activation``
    for every hidden layer; the defaults are :func:`ae_kmc_gg` exactly."""
    encoder = _encoder(
        [1, first_channels, 8, 4],
        kernels=[3, 3, 3],
        strides=[3, 2, 2],
        paddings=[1, 1, 1],
        pool_strides=[2, 1, 1],
        pool=pool,
        batch_norm=batch_norm,
        activation=activation,
    )
    decoder = _decoder(
        [4, 16, 8, 4, 1], kernels=[3, 7, 3, 2], strides=[2, 3, 2, 2], paddings=[0, 1, 1, 1], activation=activation
    )
    return Autoencoder(encoder, decoder, (112, 112))


def ae_kmc_gg() -> Autoencoder:
    """Section 7: kMC grain growth, 8,793 params (fix A: 112x112 input).

    1x112x112 -> 16x38x38 -> pool 19 -> 8x10x10 -> pool 9 -> 4x5x5 -> pool 4x4x4 (latent)
    -> 16x9x9 -> 8x29x29 -> 4x57x57 -> 1x112x112.
    """
    return kmc_gg_ae()


def ae_kmc_additive() -> Autoencoder:
    """Section 8: kMC additive, 14,847 params, 128x128.

    1x128x128 -> 4x43x43 -> pool 21 -> 8x11x11 -> pool 10 -> 16x5x5 -> pool 4 -> 32x3x3
    -> pool 32x2x2 (latent) -> 16x5x5 -> 8x17x17 -> 4x33x33 -> 2x64x64 -> 1x128x128.
    """
    encoder = _encoder(
        [1, 4, 8, 16, 32], kernels=[3, 3, 3, 2], strides=[3, 2, 2, 1], paddings=[1, 1, 1, 0], pool_strides=[2, 1, 1, 1]
    )
    decoder = _decoder([32, 16, 8, 4, 2, 1], kernels=[3, 7, 3, 2, 4], strides=[2, 3, 2, 2, 2], paddings=[0, 1, 1, 1, 1])
    return Autoencoder(encoder, decoder, (128, 128))
