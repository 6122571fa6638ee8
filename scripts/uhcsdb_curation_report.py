"""Rule uhcsdb_curation_report: every micrograph's fate and reason, CSV + summary."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import report

report(
    selection_csv=snakemake.input.selection,
    rescaled_csv=snakemake.input.table,
    datasets=snakemake.params.datasets,
    summaries=list(snakemake.input.summaries),
    label=snakemake.params.label,
    out_csv=snakemake.output.table,
    out_md=snakemake.output.summary,
    log=snakemake.log[0],
)
