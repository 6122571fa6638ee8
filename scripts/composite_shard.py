"""Rule composite_shard: generate one shard of composite SVEs and solve their elastic fields."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import torch  # noqa: E402

from msdl.localization.data import generate_composite_shard  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
generate_composite_shard(
    sm.wildcards.composite,
    sm.params.dataset,
    sm.params.shard,
    sm.output.array,
    sm.output.manifest,
    get_logger("composite_shard", sm.log[0]),
    device=sm.params.device,
)
