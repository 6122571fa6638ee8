"""Variational autoencoders (the report's Appendix D; Kingma & Welling 2014) for the 2D sets.

Each VAE keeps its AE's encoder and decoder layer for layer and adds one minimal
Gaussian head: a 1x1 convolution from the AE latent's ``C`` channels to ``2C`` channels,
the posterior mean and log-variance of every latent unit (same ``C x h x w`` grid as the
AE's latent). That costs ``2C^2 + 2C`` parameters more than the AE:

    vae_smooth        8,945 = 8,801 + 144   (C = 8,  latent 8x10x10)
    vae_binary       17,945 = 15,833 + 2,112 (C = 32, latent 32x10x10)
    vae_kmc_gg        8,833 = 8,793 + 40    (C = 4,  latent 4x4x4)
    vae_kmc_additive 16,959 = 14,847 + 2,112 (C = 32, latent 32x2x2)
    vae_uhcsdb        5,999 = 5,855 + 144   (C = 8,  latent 8x8x12)

(Doubling the last encoder convolution instead would put the mean through the AE's ReLU
and MaxPool, i.e. force it to be non-negative, and would cost more: 1,160 for vae_smooth.)

The prior is N(0, I) over the flattened latent (D values). The decoder is a Gaussian of
fixed standard deviation ``decoder_sigma`` (in normalized image units) around the
decoded image. Per image of P pixels, with q(z|x) = N(mean, diag(exp(logvar))):

    -ELBO(x) = E_q[ ||x - decode(z)||^2 / (2 sigma^2) + P/2 log(2 pi sigma^2) ]   (reconstruction, nats)
               + KL(q(z|x) || N(0, I))                                            (nats)
    KL       = 1/2 sum_d (mean_d^2 + exp(logvar_d) - 1 - logvar_d)

Training minimizes ``(reconstruction + kl_weight * KL) / P`` (nats per pixel, one
reparameterized sample per image); ``kl_weight`` = 1 is the ELBO, other values the
beta-VAE. The test metrics use z = mean for the reconstruction term (deterministic).

``initial_logvar`` sets the Gaussian head's log-variance bias at initialization. With
PyTorch's init the posterior starts with std about 1, and on the UHCSDB patches (768
latent values whose encoder outputs are small) that noise drowns the signal: the
decoder learns to ignore z, the KL then pulls every posterior onto the prior, and the
VAE decodes one image (posterior collapse, KL 7e-5 nats at study scale). Starting at
``initial_logvar = -6`` (std 0.05) the decoder first learns as an AE would and the KL
widens the posteriors from there (``docs/training.md``).
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import nn

from msdl.models.autoencoders import Autoencoder

DEFAULT_DECODER_SIGMA = 0.1  # normalized units: images are scaled to [-1, 1]
DEFAULT_KL_WEIGHT = 1.0


class VariationalAutoencoder(Autoencoder):
    """An AE's encoder (``encoder``), a 1x1 Gaussian head (``head``) and its decoder."""

    variational = True
    extra_metric_fields = ("test_elbo", "test_kl")

    def __init__(
        self,
        autoencoder: Autoencoder,
        decoder_sigma: float = DEFAULT_DECODER_SIGMA,
        kl_weight: float = DEFAULT_KL_WEIGHT,
        initial_logvar: float | None = None,
    ):
        super().__init__(autoencoder.encoder, autoencoder.decoder, autoencoder.image_size)
        if not decoder_sigma > 0:
            raise ValueError(f"decoder_sigma must be > 0, got {decoder_sigma!r}")
        if not kl_weight >= 0:
            raise ValueError(f"kl_weight must be >= 0, got {kl_weight!r}")
        channels = Autoencoder.latent_shape(self)[0]
        self.head = nn.Conv2d(channels, 2 * channels, kernel_size=1)  # -> (mean, logvar)
        self.decoder_sigma = float(decoder_sigma)
        self.kl_weight = float(kl_weight)
        if initial_logvar is not None:  # the head's log-variance bias: the posterior's spread at the start
            with torch.no_grad():
                self.head.bias[channels:] = float(initial_logvar)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, logvar)`` of q(z|x), each ``(N, C, h, w)``, for images ``(N, 1, H, W)``."""
        mean, logvar = self.head(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean ``(N, C, h, w)``: the latent the rest of msdl works with."""
        return self.posterior(x)[0]

    def forward(self, x: torch.Tensor, with_posterior: bool = False):
        """Reconstruction ``(N, 1, H, W)``: of a reparameterized sample z = mean + std * eps
        in train mode, of the mean in eval mode; ``with_posterior`` also returns
        ``(mean, logvar)``."""
        mean, logvar = self.posterior(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean) if self.training else mean
        reconstruction = self.decoder(z)
        return (reconstruction, mean, logvar) if with_posterior else reconstruction

    def training_loss(
        self, x: torch.Tensor, forward: nn.Module | None = None, loss: str = "mse"
    ) -> tuple[torch.Tensor, dict]:
        """``(-ELBO per pixel with KL weighted by kl_weight, {"mse": ..., "kl": ...})``,
        batch means (``kl`` in nats per image, detached); ``forward`` is the module to
        run (this model's DDP wrapper when data parallel). The Gaussian decoder's
        likelihood is the loss: ``loss`` must be "mse"."""
        if loss != "mse":
            raise ValueError(f"loss {loss!r}: a VAE's loss is its ELBO (Gaussian decoder), set loss: mse")
        reconstruction, mean, logvar = (forward or self)(x, with_posterior=True)
        pixels = x[0].numel()
        mse = nn.functional.mse_loss(reconstruction, x)
        kl = kl_to_prior(mean, logvar).mean()
        nll_per_pixel = mse / (2 * self.decoder_sigma**2) + 0.5 * math.log(2 * math.pi * self.decoder_sigma**2)
        loss = nll_per_pixel + self.kl_weight * kl / pixels
        return loss, {"mse": mse.detach(), "kl": kl.detach()}

    @torch.no_grad()
    def test_metrics(self, images: torch.Tensor, batch_size: int, device: torch.device) -> dict:
        """``test_elbo`` (-ELBO, nats per image, z = mean in the reconstruction term) and
        ``test_kl`` (nats per image), means over ``images`` ``(N, 1, H, W)``, in eval mode."""
        self.eval()
        nll = torch.zeros((), dtype=torch.float64, device=device)
        kl = torch.zeros((), dtype=torch.float64, device=device)
        for start in range(0, len(images), batch_size):
            x = images[start : start + batch_size].to(device)
            mean, logvar = self.posterior(x)
            nll += gaussian_nll(self.decoder(mean), x, self.decoder_sigma).sum().double()
            kl += kl_to_prior(mean, logvar).sum().double()
        n = len(images)
        return {"test_elbo": float(nll + kl) / n, "test_kl": float(kl) / n}


def kl_to_prior(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) per image ``(N,)`` in nats, summed over the latent."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(dim=1)


def gaussian_nll(reconstruction: torch.Tensor, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """-log N(x; reconstruction, sigma^2 I) per image ``(N,)`` in nats (normalized units)."""
    pixels = x[0].numel()
    squared = (x - reconstruction).pow(2).flatten(1).sum(dim=1)
    return squared / (2 * sigma**2) + 0.5 * pixels * math.log(2 * math.pi * sigma**2)


def variational(build_ae, **loss) -> VariationalAutoencoder:
    """The VAE of the AE that ``build_ae()`` returns; ``loss``: decoder_sigma, kl_weight, initial_logvar."""
    return VariationalAutoencoder(build_ae(), **loss)


def vae_architectures(architectures: dict) -> dict:
    """``{"vae_<name>": builder}`` for every ``ae_<name>`` in ``architectures``."""
    return {
        "vae_" + name.removeprefix("ae_"): partial(variational, build)
        for name, build in architectures.items()
        if name.startswith("ae_")
    }
