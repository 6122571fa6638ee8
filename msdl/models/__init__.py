"""Networks of the report, one file per family, looked up by architecture name."""

from msdl.models.autoencoders import ARCHITECTURES, Autoencoder, build_autoencoder
from msdl.models.kmc import ae_kmc_additive, ae_kmc_gg
from msdl.models.vae import VariationalAutoencoder, vae_architectures

ARCHITECTURES.update({"ae_kmc_gg": ae_kmc_gg, "ae_kmc_additive": ae_kmc_additive})
ARCHITECTURES.update(vae_architectures(ARCHITECTURES))  # vae_smooth, vae_binary, ... (Appendix D)

__all__ = ["ARCHITECTURES", "Autoencoder", "VariationalAutoencoder", "build_autoencoder"]
