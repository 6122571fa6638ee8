"""Rule uhcsdb_standins: labelled stand-in frames for real metadata rows (no download)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import make_standins  # noqa: E402

sm = snakemake  # noqa: F821
make_standins(sm.output.frames, sm.output.metadata, sm.log[0])
