"""Rule figure_microstructure_grid: Figures 2-3, 2-4, 2-5 (3x3 test microstructures)."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.potts.jobs import figure_microstructure_grid

figure_microstructure_grid(
    name=snakemake.wildcards.dataset,
    shard_array=snakemake.input[0],
    out_png=snakemake.output[0],
    log=snakemake.log[0],
)
