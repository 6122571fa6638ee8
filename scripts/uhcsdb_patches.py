"""Checkpoint uhcsdb_patches: equation (2) random crops, patch checks, per-split pools."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import patches  # noqa: E402

sm = snakemake  # noqa: F821
patches(
    sm.wildcards.dataset,
    sm.params.dataset,
    sm.params.settings,
    sm.input.selection,
    sm.input.table,
    sm.input.images,
    sm.output.pool,
    sm.output.summary,
    sm.log[0],
)
