"""Rule localization_figures: parity plot and mid slices of one predictor on one dataset."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.localization.jobs import localization_figures

localization_figures(
    predictor_name=snakemake.wildcards.predictor,
    composite=snakemake.wildcards.composite,
    metrics_path=snakemake.input.metrics,
    examples_path=snakemake.input.examples,
    parity_path=snakemake.output.parity,
    slices_path=snakemake.output.slices,
    log=snakemake.log[0],
)
