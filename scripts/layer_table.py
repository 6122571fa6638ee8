"""Rule layer_table: the model's torchsummary-style layer table."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.io import write_text  # noqa: E402
from msdl.models.registry import build_autoencoder  # noqa: E402
from msdl.models.summary import layer_table  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
model = build_autoencoder(sm.params.architecture)
table = layer_table(model, (1, *model.image_size))
write_text(sm.output[0], f"{sm.wildcards.model} ({sm.params.architecture})\n{table}")
get_logger("layers", sm.log[0]).info("\n" + table)
