"""Rule uhcsdb_rescale: crop the data bar, rescale to the target magnification, save."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import rescale  # noqa: E402

sm = snakemake  # noqa: F821
rescale(sm.input.selection, sm.input.summary, sm.input.frames, sm.output.images, sm.output.table, sm.log[0])
