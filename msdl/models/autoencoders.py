"""The 2D autoencoders of the report, exactly as its torchsummary tables print them.

Layer hyper-parameters are those solved in ``shared/spec/architectures.md`` from the
report's output shapes and parameter counts; tests check every shape and the totals.

    ae_smooth  (section 5, synthetic smooth):  8,801 params, 128x128 -> latent 8x10x10
    ae_binary  (section 6, synthetic binary): 15,833 params, 128x128 -> latent 32x10x10
    ae_uhcsdb  (section 9.4, UHCSDB patches):   5,855 params, 48x64 -> latent 8x8x12

Input and output are ``(N, 1, H, W)`` (128x128, or 48x64 for ae_uhcsdb); the output passes a Tanh, so targets are
expected in [-1, 1] after normalization.
"""

from __future__ import annotations

import torch
from torch import nn

# Training losses by config name (the architecture search turns this knob).
LOSSES = {"mse": nn.functional.mse_loss, "l1": nn.functional.l1_loss}


class Autoencoder(nn.Module):
    """An encoder/decoder pair with the latent tensor between them.

    ``variational`` is False here and True for :class:`msdl.models.vae.VariationalAutoencoder`;
    ``extra_metric_fields`` are the metric columns :meth:`test_metrics` adds (none for an AE).
    """

    variational = False
    extra_metric_fields: tuple[str, ...] = ()

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

    def training_loss(
        self, x: torch.Tensor, forward: nn.Module | None = None, loss: str = "mse"
    ) -> tuple[torch.Tensor, dict]:
        """``(loss, {"mse": MSE detached})`` of a batch ``(N, 1, H, W)``; ``loss`` a key of
        :data:`LOSSES` (the report's MSE by default; the architecture search also tries L1).

        ``forward`` is the module to run (this model's DDP wrapper when data parallel).
        """
        if loss not in LOSSES:
            raise ValueError(f"loss {loss!r}: use one of {sorted(LOSSES)}")
        out = (forward or self)(x)
        value = LOSSES[loss](out, x)
        mse = value.detach() if loss == "mse" else nn.functional.mse_loss(out.detach(), x)
        return value, {"mse": mse}

    def test_metrics(self, images: torch.Tensor, batch_size: int, device: torch.device) -> dict:
        """Metrics beyond the test MSE (columns :attr:`extra_metric_fields`): none for an AE."""
        return {}

    @torch.no_grad()
    def latent_shape(self) -> tuple[int, ...]:
        """Shape ``(C, H, W)`` of one sample's latent tensor."""
        probe = torch.zeros(1, 1, *self.image_size, device=next(self.parameters()).device)
        was_training = self.training
        self.eval()
        shape = tuple(self.encoder(probe).shape[1:])
        self.train(was_training)
        return shape


# The knobs the report varied (section 11) and the architecture search turns: pooling
# kind and hidden activation, by name.
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh}


def knob_layer(table: dict, name: str, knob: str):
    """``table[name]`` or a clear error naming the knob and the allowed values."""
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown {knob} {name!r}; known: {sorted(table)}") from None


def synthetic_ae(
    channels: tuple[int, int], batch_norm: bool, pool: str = "max", activation: str = "relu"
) -> Autoencoder:
    """The 128x128 AE family of sections 5 and 6; they differ in the second conv's
    channels (the latent depth) and in BatchNorm after each encoder convolution.

    ``pool`` (max | avg) is the encoder's pooling and ``activation`` (relu | leaky_relu |
    tanh) every hidden activation, encoder and decoder; the defaults are the report's
    layers. Shapes: 1x128x128 -> C1x43x43 -> pool C1x21x21 -> C2x11x11 -> pool C2x10x10
    (latent) -> 16x21x21 -> 8x65x65 -> 1x128x128.
    """
    c1, c2 = channels
    pool_layer = knob_layer(POOLS, pool, "pool")
    act = knob_layer(ACTIVATIONS, activation, "activation")

    def conv_block(cin: int, cout: int, pool: nn.Module) -> list[nn.Module]:
        layers = [nn.Conv2d(cin, cout, kernel_size=3, stride=3 if cin == 1 else 2, padding=1)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        return layers + [act(), pool]

    encoder = nn.Sequential(
        *conv_block(1, c1, pool_layer(kernel_size=2, stride=2)),  # C1 x 43 x 43 -> C1 x 21 x 21
        *conv_block(c1, c2, pool_layer(kernel_size=2, stride=1)),  # C2 x 11 x 11 -> C2 x 10 x 10
    )
    decoder = nn.Sequential(
        nn.ConvTranspose2d(c2, 16, kernel_size=3, stride=2, padding=0),  # 16 x 21 x 21
        act(),
        nn.ConvTranspose2d(16, 8, kernel_size=7, stride=3, padding=1),  # 8 x 65 x 65
        act(),
        nn.ConvTranspose2d(8, 1, kernel_size=2, stride=2, padding=1),  # 1 x 128 x 128
        nn.Tanh(),
    )
    return Autoencoder(encoder, decoder, (128, 128))


def ae_smooth() -> Autoencoder:
    """Section 5: AE for synthetic 2D smooth microstructures (8,801 params)."""
    return synthetic_ae((16, 8), batch_norm=False)


def ae_binary() -> Autoencoder:
    """Section 6: AE for synthetic 2D binary microstructures (15,833 params)."""
    return synthetic_ae((16, 32), batch_norm=True)


def ae_uhcsdb() -> Autoencoder:
    """Section 9.4: AE for 48x64 (H x W) UHCSDB patches (5,855 params).

    Encoder: four Conv/ReLU/MaxPool(k3 s1) blocks, 1 -> 2 -> 4 -> 8 -> 8 channels, the
    last two convolutions with stride 2. Decoder: six transposed convolutions back to
    1 x 48 x 64, ReLU between and Tanh last.
    """
    encoder = nn.Sequential(
        nn.Conv2d(1, 2, kernel_size=3, stride=1, padding=1),  # 2 x 48 x 64
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=1),  # 2 x 46 x 62
        nn.Conv2d(2, 4, kernel_size=3, stride=1, padding=1),  # 4 x 46 x 62
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=1),  # 4 x 44 x 60
        nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1),  # 8 x 22 x 30
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=1),  # 8 x 20 x 28
        nn.Conv2d(8, 8, kernel_size=3, stride=2, padding=1),  # 8 x 10 x 14
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=1),  # 8 x 8 x 12 (latent: 768 values)
    )
    decoder = nn.Sequential(
        nn.ConvTranspose2d(8, 8, kernel_size=3, stride=1, padding=1),  # 8 x 8 x 12
        nn.ReLU(),
        nn.ConvTranspose2d(8, 8, kernel_size=5, stride=1, padding=1),  # 8 x 10 x 14
        nn.ReLU(),
        nn.ConvTranspose2d(8, 8, kernel_size=5, stride=2, padding=1),  # 8 x 21 x 29
        nn.ReLU(),
        nn.ConvTranspose2d(8, 4, kernel_size=5, stride=2, padding=1),  # 4 x 43 x 59
        nn.ReLU(),
        nn.ConvTranspose2d(4, 2, kernel_size=5, stride=1, padding=1),  # 2 x 45 x 61
        nn.ReLU(),
        nn.ConvTranspose2d(2, 1, kernel_size=6, stride=1, padding=1),  # 1 x 48 x 64
        nn.Tanh(),
    )
    return Autoencoder(encoder, decoder, (48, 64))
