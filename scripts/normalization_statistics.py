"""Rule normalization_statistics: the report's mean/std estimator over the train shards."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.io import write_json  # noqa: E402
from msdl.normalization import sample_statistics  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
stats = sample_statistics(list(sm.input.train))
write_json(sm.output[0], stats)
get_logger("normalization", sm.log[0]).info(f"{sm.wildcards.dataset}: {stats}")
