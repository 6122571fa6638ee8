"""Rule mks_baseline: fit first-order MKS on the train shards, score it on the test shards."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.io import atomic_path, write_json  # noqa: E402
from msdl.localization.evaluate import count_sves, evaluate, fit_mks  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
logger = get_logger("mks_baseline", sm.log[0])
t = time.perf_counter()
model = fit_mks(sm.input.train, logger)
logger.info(f"MKS fit {time.perf_counter() - t:.1f} s")
with atomic_path(sm.output.model) as tmp:
    model.save(tmp)
metrics = evaluate(model.predict, sm.input.test, sm.params.metrics, sm.output.examples, logger)
metrics.update(model="first-order MKS", n_train=count_sves(sm.input.train))
write_json(sm.output.metrics, metrics)
logger.info(f"{sm.wildcards.composite} MKS: {metrics}")
