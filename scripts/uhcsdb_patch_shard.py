"""Rule uhcsdb_patch_shard: one shard of a patch dataset, from its pool."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import patch_shard  # noqa: E402

sm = snakemake  # noqa: F821
patch_shard(
    sm.wildcards.dataset,
    sm.input.pool,
    sm.input.summary,
    sm.params.shard_size,
    sm.wildcards.split,
    int(sm.wildcards.index),
    sm.output.array,
    sm.output.manifest,
    sm.log[0],
)
