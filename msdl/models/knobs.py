"""The knobs of an architecture-search trial and their names (no torch: the workflow reads them).

A trial's network is a base autoencoder of the report with these knobs turned: the first
convolution's channels, MaxPool or AvgPool, BatchNorm right after each encoder convolution
or none, the hidden activation. Its architecture name is ``<base>/<knobs>``, e.g.
``ae_binary/c16-avg-nobn-relu`` (:func:`trial_architecture`), parsed back by
:func:`parse_knobs`; :mod:`msdl.models.trial` builds the network from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

POOL_VALUES = ("max", "avg")
BATCH_NORM_VALUES = ("after_conv", "none")
ACTIVATION_CODES = {"relu": "relu", "leaky_relu": "lrelu", "tanh": "tanh"}
_NAME = re.compile(r"^c(?P<c>[1-9]\d*)-(?P<pool>max|avg)-(?P<bn>bn|nobn)-(?P<act>relu|lrelu|tanh)$")


@dataclass(frozen=True)
class ArchitectureKnobs:
    """The network knobs of one trial (``batch_norm``: ``after_conv`` or ``none``)."""

    first_channels: int
    pool: str
    batch_norm: str
    activation: str

    def __post_init__(self):
        if not (isinstance(self.first_channels, int) and self.first_channels >= 1):
            raise ValueError(f"first_channels must be a positive integer, got {self.first_channels!r}")
        for knob, value, allowed in (
            ("pool", self.pool, POOL_VALUES),
            ("batch_norm", self.batch_norm, BATCH_NORM_VALUES),
            ("activation", self.activation, tuple(ACTIVATION_CODES)),
        ):
            if value not in allowed:
                raise ValueError(f"unknown {knob} {value!r}; known: {list(allowed)}")

    @property
    def name(self) -> str:
        """``c16-max-bn-relu``: readable, and parsed back by :func:`parse_knobs`."""
        bn = "bn" if self.batch_norm == "after_conv" else "nobn"
        return f"c{self.first_channels}-{self.pool}-{bn}-{ACTIVATION_CODES[self.activation]}"


def parse_knobs(name: str) -> ArchitectureKnobs:
    """The inverse of :attr:`ArchitectureKnobs.name`; a clear error for a malformed name."""
    match = _NAME.match(name)
    if match is None:
        raise ValueError(
            f"architecture knobs {name!r} are not of the form c<channels>-<max|avg>-<bn|nobn>-<relu|lrelu|tanh>"
        )
    activation = {code: act for act, code in ACTIVATION_CODES.items()}[match["act"]]
    return ArchitectureKnobs(
        int(match["c"]), match["pool"], "after_conv" if match["bn"] == "bn" else "none", activation
    )


def trial_architecture(base: str, knobs: ArchitectureKnobs) -> str:
    """The architecture name of a trial: ``<base>/<knobs>``."""
    return f"{base}/{knobs.name}"


# Image size (H, W) each searchable base architecture reads (the bases of msdl/models/trial.py).
BASE_IMAGE_SIZE = {"ae_smooth": (128, 128), "ae_binary": (128, 128), "ae_kmc_gg": (112, 112)}
