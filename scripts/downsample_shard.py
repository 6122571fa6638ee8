"""Rule downsample_shard: area-average one Potts shard to the AE's input size."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.potts.jobs import downsample_shard  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
downsample_shard(
    sm.wildcards.dataset,
    sm.params.dataset,
    sm.input.source,
    sm.output.array,
    sm.output.manifest,
    get_logger("downsample", sm.log[0]),
)
