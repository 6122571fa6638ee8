"""Rule threshold_shard: binarize one source shard at the exact volume fraction."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.progress import get_logger  # noqa: E402
from msdl.synthetic.jobs import threshold_shard  # noqa: E402

sm = snakemake  # noqa: F821
threshold_shard(
    sm.wildcards.dataset,
    sm.params.dataset,
    sm.input.source,
    sm.output.array,
    sm.output.manifest,
    get_logger("threshold", sm.log[0]),
)
