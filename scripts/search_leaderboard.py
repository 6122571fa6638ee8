"""Rule search_leaderboard: leaderboard CSV, figures and findings of one search."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.search.jobs import run_leaderboard  # noqa: E402

sm = snakemake  # noqa: F821
run_leaderboard(
    search_name=sm.wildcards.search,
    record_paths=list(sm.input),
    csv_path=sm.output.table,
    bars_path=sm.output.bars,
    curves_path=sm.output.curves,
    findings_path=sm.output.findings,
    findings_text_path=sm.output.text,
    log_path=sm.log[0],
)
