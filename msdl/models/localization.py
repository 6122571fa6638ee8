"""Localization networks: CPNet (report section 4.3) and a periodic full-field model.

CPNet (``shared/spec/architectures.md``): a 3D CNN that maps a ``p^3`` patch of the
(filtered, normalized) microstructure to the strain of its central ``g^3`` block,
``g = stride_gap``; 902,183 parameters at ``p = 11, g = 7``. An SVE is predicted by
sweeping it in ``g``-blocks, ``ceil(N/g)^3`` patches cut from the periodically tiled SVE
(:func:`cpnet_sweep`).

Full-field model (:class:`PeriodicFNO`): a Fourier neural operator (Li et al. 2021) with
periodic 3x3x3 convolutions beside each spectral layer: every layer sees the whole periodic
SVE (the elastic interaction is long-range, which is what a patch cannot see), and one
forward pass predicts the whole ``N^3`` field for any ``N``. It contains first-order MKS
as a special case (one spectral layer acting on the phase, linear).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class CPNet(nn.Module):
    """Patch -> central block strain. Input ``(B, 1, p, p, p)``, output ``(B, g, g, g)``."""

    def __init__(self, stride_gap: int = 7, patch: int = 11):
        super().__init__()
        if patch < stride_gap:
            raise ValueError(f"CPNet: patch {patch} smaller than stride_gap {stride_gap}")
        self.stride_gap, self.patch = stride_gap, patch

        def block(cin, cout, stride, pool):
            return [nn.Conv3d(cin, cout, 3, stride, 1), nn.BatchNorm3d(cout), nn.ReLU(), pool]

        self.features = nn.Sequential(
            *block(1, 8, 1, nn.MaxPool3d(3, 1, 1)),
            *block(8, 16, 2, nn.MaxPool3d(3, 1, 1)),
            *block(16, 32, 1, nn.MaxPool3d(2, 1)),
            *block(32, 64, 2, nn.MaxPool3d(3, 1, 1)),
        )
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, 1, patch, patch, patch)).numel()
        g3 = stride_gap**3
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(n_flat, g3), nn.ReLU(), nn.Linear(g3, g3), nn.ReLU(), nn.Linear(g3, g3)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.stride_gap
        return self.head(self.features(x)).view(-1, g, g, g)


def block_origins(size: int, stride_gap: int) -> list[int]:
    """Origins of the ``ceil(size / g)`` blocks along one axis (the last wraps periodically)."""
    return [b * stride_gap for b in range(math.ceil(size / stride_gap))]


def sweep_patches(field: torch.Tensor, stride_gap: int, patch: int) -> torch.Tensor:
    """All sweep patches of one periodic field ``(N0, N1, N2)``: ``(n_blocks, 1, p, p, p)``.

    Block ``(a, b, c)`` covers voxels ``[o, o + g)`` (mod N) per axis; its patch is the
    ``p^3`` cube centred on it, cut from the periodically tiled field.
    """
    lo = (patch - stride_gap) // 2
    n = field.shape
    idx = [
        torch.tensor(
            [[(o - lo + t) % n[d] for t in range(patch)] for o in block_origins(n[d], stride_gap)], device=field.device
        )
        for d in range(3)
    ]
    # (A, p) x (B, p) x (C, p) -> (A, B, C, p, p, p)
    cubes = field[
        idx[0][:, None, None, :, None, None], idx[1][None, :, None, None, :, None], idx[2][None, None, :, None, None, :]
    ]
    return cubes.reshape(-1, 1, patch, patch, patch)


def block_targets(field: torch.Tensor, stride_gap: int) -> torch.Tensor:
    """The strain blocks of the sweep, ``(n_blocks, g, g, g)`` (same order as the patches)."""
    return sweep_patches(field, stride_gap, stride_gap)[:, 0]


def block_voxels(shape: tuple[int, int, int], stride_gap: int) -> torch.Tensor:
    """Flat voxel indices ``(n_blocks, g^3)`` of every sweep block (wrapping periodically)."""
    g = stride_gap
    idx = [torch.tensor([[(o + t) % n for t in range(g)] for o in block_origins(n, g)]) for n in shape]
    flat = (idx[0][:, None, None, :, None, None] * shape[1] + idx[1][None, :, None, None, :, None]) * shape[2] + idx[2][
        None, None, :, None, None, :
    ]
    return flat.reshape(-1, g**3)


@torch.no_grad()
def cpnet_sweep(model: CPNet, field: torch.Tensor, batch: int = 4096) -> torch.Tensor:
    """Predict a whole periodic SVE ``(N0, N1, N2)`` with ``ceil(N/g)^3`` CPNet passes.

    51 is a multiple of neither 5 nor 7, so the last block of each axis wraps round onto
    voxels the first blocks also predict; such voxels get the mean of their predictions.
    """
    g, n = model.stride_gap, tuple(field.shape)
    patches = sweep_patches(field, g, model.patch)
    blocks = torch.cat([model(patches[i : i + batch]) for i in range(0, len(patches), batch)]).reshape(-1)
    flat = block_voxels(n, g).reshape(-1).to(field.device)
    total = torch.zeros(math.prod(n), dtype=blocks.dtype, device=field.device).index_add_(0, flat, blocks)
    count = torch.zeros(math.prod(n), dtype=blocks.dtype, device=field.device).index_add_(
        0, flat, torch.ones_like(blocks)
    )
    return (total / count).reshape(n)


class SpectralConv3d(nn.Module):
    """Periodic global convolution: learned complex multipliers on the lowest Fourier modes.

    ``modes`` per axis: frequencies ``|k0|, |k1| < modes`` (both signs) and ``k2 < modes``.
    """

    def __init__(self, channels: int, modes: int):
        super().__init__()
        self.modes = modes
        scale = 1.0 / channels
        # four corners of the (k0, k1) plane: (+,+), (-,+), (+,-), (-,-)
        self.weight = nn.Parameter(scale * torch.randn(4, channels, channels, modes, modes, modes, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n0, n1, n2 = x.shape[-3:]
        m = min(self.modes, n0 // 2, n1 // 2, n2 // 2 + 1)
        x_hat = torch.fft.rfftn(x, dim=(-3, -2, -1), norm="ortho")
        out = torch.zeros_like(x_hat)
        w = torch.view_as_complex(self.weight[..., :m, :m, :m, :].contiguous())
        for c, (s0, s1) in enumerate(
            (
                (slice(0, m), slice(0, m)),
                (slice(n0 - m, n0), slice(0, m)),
                (slice(0, m), slice(n1 - m, n1)),
                (slice(n0 - m, n0), slice(n1 - m, n1)),
            )
        ):
            out[:, :, s0, s1, :m] = torch.einsum("bixyz,ioxyz->boxyz", x_hat[:, :, s0, s1, :m], w[c])
        return torch.fft.irfftn(out, s=(n0, n1, n2), dim=(-3, -2, -1), norm="ortho")


class PeriodicFNO(nn.Module):
    """Full-field strain predictor. Input ``(B, C_in, N0, N1, N2)``, output ``(B, N0, N1, N2)``.

    Lift (1x1x1) -> ``layers`` x [spectral conv + periodic 3x3x3 conv, GELU] -> project.
    """

    def __init__(self, in_channels: int = 1, width: int = 16, modes: int = 10, layers: int = 4):
        super().__init__()
        self.lift = nn.Conv3d(in_channels, width, 1)
        self.spectral = nn.ModuleList(SpectralConv3d(width, modes) for _ in range(layers))
        self.local = nn.ModuleList(
            nn.Conv3d(width, width, 3, padding=1, padding_mode="circular") for _ in range(layers)
        )
        self.project = nn.Sequential(nn.Conv3d(width, 2 * width, 1), nn.GELU(), nn.Conv3d(2 * width, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lift(x)
        for spectral, local in zip(self.spectral, self.local):
            h = nn.functional.gelu(spectral(h) + local(h))
        return self.project(h)[:, 0]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
