"""Rule uhcsdb_curation_report: every micrograph's fate and reason, CSV + summary."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import report  # noqa: E402

sm = snakemake  # noqa: F821
report(
    sm.input.selection,
    sm.input.table,
    dict(zip(sm.params.datasets, sm.input.summaries)),
    sm.params.label,
    sm.output.table,
    sm.output.summary,
    sm.log[0],
)
