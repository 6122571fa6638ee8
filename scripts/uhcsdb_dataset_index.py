"""Rule uhcsdb_dataset_index: every shard of a patch dataset checked, indexed, split by sample."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.uhcsdb.jobs import dataset_index  # noqa: E402

sm = snakemake  # noqa: F821
dataset_index(sm.wildcards.dataset, list(sm.input), sm.output[0], sm.log[0])
