"""Rule layer_table: the model's torchsummary-style layer table."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.training.jobs import layer_table

layer_table(
    name=snakemake.wildcards.model,
    architecture=snakemake.params.architecture,
    out_txt=snakemake.output[0],
    log=snakemake.log[0],
)
