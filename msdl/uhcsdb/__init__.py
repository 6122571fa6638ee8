"""UHCSDB: curating the Ultrahigh Carbon Steel micrograph database into patch datasets.

DeCost et al., "UHCSDB: UltraHigh Carbon Steel Micrograph DataBase", IMMI 6:197-205
(2017), doi 10.1007/s40192-017-0097-0; data CC BY 3.0 US. The report's section 9.

Modules, in pipeline order: :mod:`metadata` (read, join, parse magnification, select),
:mod:`standins` (labelled stand-in frames for tests and the demo), :mod:`frames` (data
bar, rescale), :mod:`patches` (equation (2) crops, patch checks, split by sample),
:mod:`curation` (the steps as functions that log every micrograph's fate).
"""

STANDIN_LABEL = "STAND-IN frames (synthetic, not UHCSDB micrographs)"
REAL_LABEL = "UHCSDB micrographs (DeCost et al. 2017, CC BY 3.0 US)"


def frames_label(settings: dict) -> str:
    """What the frames are, for every output: real UHCSDB images or labelled stand-ins."""
    return REAL_LABEL if settings.get("micrographs") else STANDIN_LABEL
