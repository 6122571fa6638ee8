"""The 2D autoencoders of the report, exactly as its torchsummary tables print them.

Layer hyper-parameters are those solved in ``shared/spec/architectures.md`` from the
report's output shapes and parameter counts; tests check every shape and the totals.

    ae_smooth  (section 5, synthetic smooth):  8,801 params, 128x128 -> latent 8x10x10
    ae_binary  (section 6, synthetic binary): 15,833 params, 128x128 -> latent 32x10x10

Input and output are ``(N, 1, 128, 128)``; the output passes a Tanh, so targets are
expected in [-1, 1] after normalization.
"""

from __future__ import annotations

import torch
from torch import nn


class Autoencoder(nn.Module):
    """An encoder/decoder pair with the latent tensor between them."""

    def __init__(self, encoder: nn.Sequential, decoder: nn.Sequential, image_size: tuple[int, int]):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.image_size = tuple(image_size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    @torch.no_grad()
    def latent_shape(self) -> tuple[int, ...]:
        """Shape ``(C, H, W)`` of one sample's latent tensor."""
        probe = torch.zeros(1, 1, *self.image_size, device=next(self.parameters()).device)
        was_training = self.training
        self.eval()
        shape = tuple(self.encoder(probe).shape[1:])
        self.train(was_training)
        return shape


def ae_smooth() -> Autoencoder:
    """Section 5: AE for synthetic 2D smooth microstructures (8,801 params)."""
    encoder = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=3, padding=1),  # 16 x 43 x 43
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),  # 16 x 21 x 21
        nn.Conv2d(16, 8, kernel_size=3, stride=2, padding=1),  # 8 x 11 x 11
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=1),  # 8 x 10 x 10: latent
    )
    decoder = nn.Sequential(
        nn.ConvTranspose2d(8, 16, kernel_size=3, stride=2, padding=0),  # 16 x 21 x 21
        nn.ReLU(),
        nn.ConvTranspose2d(16, 8, kernel_size=7, stride=3, padding=1),  # 8 x 65 x 65
        nn.ReLU(),
        nn.ConvTranspose2d(8, 1, kernel_size=2, stride=2, padding=1),  # 1 x 128 x 128
        nn.Tanh(),
    )
    return Autoencoder(encoder, decoder, (128, 128))


def ae_binary() -> Autoencoder:
    """Section 6: AE for synthetic 2D binary microstructures (15,833 params)."""
    encoder = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=3, padding=1),  # 16 x 43 x 43
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),  # 16 x 21 x 21
        nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1),  # 32 x 11 x 11
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=1),  # 32 x 10 x 10: latent
    )
    decoder = nn.Sequential(
        nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=0),  # 16 x 21 x 21
        nn.ReLU(),
        nn.ConvTranspose2d(16, 8, kernel_size=7, stride=3, padding=1),  # 8 x 65 x 65
        nn.ReLU(),
        nn.ConvTranspose2d(8, 1, kernel_size=2, stride=2, padding=1),  # 1 x 128 x 128
        nn.Tanh(),
    )
    return Autoencoder(encoder, decoder, (128, 128))


ARCHITECTURES = {"ae_smooth": ae_smooth, "ae_binary": ae_binary}


def build_autoencoder(architecture: str) -> Autoencoder:
    """A fresh autoencoder by its config name; a clear error for an unknown one."""
    try:
        return ARCHITECTURES[architecture]()
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; known: {sorted(ARCHITECTURES)}") from None
