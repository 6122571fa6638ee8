"""Rule gaussian_random_field_shard: one shard of smooth synthetic microstructures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.progress import get_logger  # noqa: E402
from msdl.synthetic.jobs import generate_gaussian_shard  # noqa: E402

sm = snakemake  # noqa: F821
generate_gaussian_shard(
    sm.wildcards.dataset,
    sm.params.dataset,
    sm.params.shard,
    sm.output.array,
    sm.output.manifest,
    get_logger("generate", sm.log[0]),
)
