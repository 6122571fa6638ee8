"""Rule mks_import_shard: copy the original MKS files of one shard into the shard format."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.localization.data import import_mks_shard  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
import_mks_shard(
    sm.wildcards.composite,
    sm.params.dataset,
    sm.params.shard,
    sm.output.array,
    sm.output.manifest,
    get_logger("mks_import", sm.log[0]),
)
