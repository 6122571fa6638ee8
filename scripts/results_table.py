"""Rule results_table: the headline number of every model against its target (CSV, figure, README section)."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.evaluation.jobs import results_table

results_table(
    summary_csv=snakemake.input.summary,
    gan_metrics=dict(zip(snakemake.params.gans, snakemake.input.gan_metrics)),
    localization_metrics=dict(zip(snakemake.params.predictors, snakemake.input.localization_metrics)),
    out_csv=snakemake.output.table,
    out_png=snakemake.output.figure,
    out_md=snakemake.output.section,
    title=snakemake.params.title,
    log=snakemake.log[0],
)
