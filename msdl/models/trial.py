"""Architecture-search trials: a base autoencoder of the report with its knobs turned.

The knobs are those the report varied (section 11 and the layer tables): the first
convolution's channels, MaxPool or AvgPool, BatchNorm right after each encoder
convolution or none, the hidden activation. (The fifth knob, the training loss, is not
part of the network: see msdl/search/grid.py.) A trial's architecture is named
``<base>/<knobs>``, e.g. ``ae_binary/c16-avg-nobn-relu``, so that :func:`msdl.models.registry.build_autoencoder`
rebuilds it from the name alone (model files, checkpoint fingerprints). The names and
knob values live in msdl/models/knobs.py, which the workflow imports without torch.

Bases and what ``first_channels`` replaces:

    ae_smooth   synthetic_ae((C, 8))   section 5 (default knobs c16-max-nobn-relu)
    ae_binary   synthetic_ae((C, 32))  section 6 (default knobs c16-max-bn-relu)
    ae_kmc_gg   kmc_gg_ae(C)           section 7 (default knobs c16-max-nobn-relu)
"""

from __future__ import annotations

from msdl.models.autoencoders import Autoencoder, synthetic_ae
from msdl.models.kmc import kmc_gg_ae
from msdl.models.knobs import ArchitectureKnobs, parse_knobs


def _synthetic(latent_channels: int):
    def build(k: ArchitectureKnobs) -> Autoencoder:
        return synthetic_ae((k.first_channels, latent_channels), k.batch_norm == "after_conv", k.pool, k.activation)

    return build


def _kmc_gg(k: ArchitectureKnobs) -> Autoencoder:
    return kmc_gg_ae(k.first_channels, k.pool, k.batch_norm == "after_conv", k.activation)


BASES = {"ae_smooth": _synthetic(8), "ae_binary": _synthetic(32), "ae_kmc_gg": _kmc_gg}


def build_trial(base: str, knobs: ArchitectureKnobs) -> Autoencoder:
    """The base architecture ``base`` (a key of :data:`BASES`) with ``knobs`` applied."""
    try:
        factory = BASES[base]
    except KeyError:
        raise ValueError(f"no architecture search for base {base!r}; searchable bases: {sorted(BASES)}") from None
    return factory(knobs)


def build_trial_architecture(architecture: str) -> Autoencoder:
    """Build from a ``<base>/<knobs>`` architecture name."""
    base, _, knobs = architecture.partition("/")
    return build_trial(base, parse_knobs(knobs))
