"""Rule score_summary: the comparison-score table of every model's last epoch, with floors."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.evaluation.jobs import score_summary

score_summary(
    score_paths=list(snakemake.input.scores),
    latent_paths=list(snakemake.input.latent),
    datasets=snakemake.params.datasets,
    out_csv=snakemake.output.table,
    out_png=snakemake.output.figure,
    log=snakemake.log[0],
)
