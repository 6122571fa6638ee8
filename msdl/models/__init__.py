"""Networks of the report, one file per family, looked up by architecture name."""

from msdl.models.autoencoders import ARCHITECTURES, Autoencoder, build_autoencoder
from msdl.models.kmc import ae_kmc_additive, ae_kmc_gg

ARCHITECTURES.update({"ae_kmc_gg": ae_kmc_gg, "ae_kmc_additive": ae_kmc_additive})

__all__ = ["ARCHITECTURES", "Autoencoder", "build_autoencoder"]
