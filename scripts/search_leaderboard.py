"""Rule search_leaderboard: leaderboard CSV, figures and findings of one search."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.search.jobs import run_leaderboard

run_leaderboard(
    search_name=snakemake.wildcards.search,
    record_paths=list(snakemake.input),
    csv_path=snakemake.output.table,
    bars_path=snakemake.output.bars,
    curves_path=snakemake.output.curves,
    findings_path=snakemake.output.findings,
    findings_text_path=snakemake.output.text,
    log=snakemake.log[0],
)
