"""Rule uhcsdb_inpainting: Figure 2-6, inpainted variants as a shard, two-point closeness."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.progress import get_logger  # noqa: E402
from msdl.uhcsdb.augment import inpainting_job  # noqa: E402
from msdl.uhcsdb.curation import read_csv  # noqa: E402

sm = snakemake  # noqa: F821
inpainting_job(
    read_csv(sm.input.table),
    sm.input.images,
    sm.params.settings,
    sm.params.label,
    sm.output.array,
    sm.output.manifest,
    sm.output.closeness,
    sm.output.figure,
    get_logger("uhcsdb.inpainting", sm.log[0]),
)
