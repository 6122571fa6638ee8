"""Rule potts_shard: one shard of Potts kMC microstructures (builtin engine or SPPARKS)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import torch  # noqa: E402

from msdl.device import resolve_device  # noqa: E402
from msdl.potts.jobs import generate_potts_shard  # noqa: E402
from msdl.potts.numba_kernels import set_threads  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
set_threads(sm.threads)  # the numba kernel (CPU) runs the seeds of a batch on these threads
generate_potts_shard(
    sm.wildcards.dataset,
    sm.params.dataset,
    sm.params.shard,
    sm.output.array,
    sm.output.manifest,
    get_logger("potts", sm.log[0]),
    resolve_device(sm.params.device),
    sm.params.spparks,
)
