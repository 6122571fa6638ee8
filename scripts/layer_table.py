"""Rule layer_table: the model's torchsummary-style layer table."""

import _bootstrap  # noqa: F401  (msdl from this checkout)

from msdl.training.jobs import layer_table

layer_table(
    name=snakemake.wildcards.model,
    architecture=snakemake.params.architecture,
    out_txt=snakemake.output[0],
    log=snakemake.log[0],
)
