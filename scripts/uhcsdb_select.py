"""Rule uhcsdb_select: join metadata and files, select, parse magnifications, split by sample."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import select  # noqa: E402

sm = snakemake  # noqa: F821
select(sm.input.metadata, sm.input.frames, sm.params.settings, sm.output.selection, sm.output.summary, sm.log[0])
