"""Rule gan_figures: Figure 10-1 (64 samples per chosen epoch) and loss / diversity curves."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.progress import get_logger  # noqa: E402
from msdl.training.figures import gan_figures  # noqa: E402

sm = snakemake  # noqa: F821
gan_figures(sm.wildcards.gan, sm.input.model, sm.input.metrics, sm.params.label, sm.output.samples, sm.output.curves)
get_logger("figures", sm.log[0]).info(f"{sm.wildcards.gan}: wrote {sm.output.samples} and {sm.output.curves}")
