"""Rule figure_microstructures: Figure 2-2, smooth images over their binary thresholds."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.synthetic.jobs import figure_microstructures

figure_microstructures(
    smooth_array=snakemake.input.smooth,
    binary_array=snakemake.input.binary,
    n=snakemake.params.n,
    out_png=snakemake.output[0],
    log=snakemake.log[0],
)
