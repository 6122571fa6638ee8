"""Networks of the report, one file per family, looked up by architecture name."""

from msdl.models.autoencoders import ARCHITECTURES, Autoencoder, build_autoencoder

__all__ = ["ARCHITECTURES", "Autoencoder", "build_autoencoder"]
