"""Every architecture the config can name, in one table: ``models.<name>.architecture``.

    ae_smooth, ae_binary, ae_uhcsdb      msdl/models/autoencoders.py (sections 5, 6, 9.4)
    ae_kmc_gg, ae_kmc_additive           msdl/models/kmc.py (sections 7, 8)
    vae_<each of the above>              msdl/models/vae.py (Appendix D)
    <base>/<knobs>                       msdl/models/trial.py (architecture-search trials)

The DCGAN (msdl/models/dcgan.py) and the localization networks (msdl/models/localization.py)
have config sections of their own and are built by their training code.
"""

from __future__ import annotations

from msdl.models.autoencoders import Autoencoder, ae_binary, ae_smooth, ae_uhcsdb
from msdl.models.kmc import ae_kmc_additive, ae_kmc_gg
from msdl.models.trial import build_trial_architecture
from msdl.models.vae import vae_architectures

AUTOENCODERS = {
    "ae_smooth": ae_smooth,
    "ae_binary": ae_binary,
    "ae_uhcsdb": ae_uhcsdb,
    "ae_kmc_gg": ae_kmc_gg,
    "ae_kmc_additive": ae_kmc_additive,
}
ARCHITECTURES = {**AUTOENCODERS, **vae_architectures(AUTOENCODERS)}  # vae_smooth, vae_binary, ...


def build_autoencoder(architecture: str, **loss) -> Autoencoder:
    """A fresh autoencoder by its config name; a clear error for an unknown one.

    ``base/knobs`` names (``ae_binary/c16-avg-nobn-relu``) are architecture-search trials
    of a base architecture (msdl/models/trial.py). ``loss`` (``decoder_sigma``,
    ``kl_weight``, ``initial_logvar``) is for the VAEs only.
    """
    if loss and not architecture.startswith("vae_"):
        raise ValueError(f"architecture {architecture!r} is not variational: it takes no {sorted(loss)}")
    if "/" in architecture:
        return build_trial_architecture(architecture)
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; known: {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[architecture](**loss)
