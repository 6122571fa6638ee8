"""Rule localization_statistics: section 4.2 mean/std of phase, filtered phase, strain, stress."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.io import write_json  # noqa: E402
from msdl.localization.evaluate import count_sves, iter_sves  # noqa: E402
from msdl.localization.stats import StatisticsAccumulator  # noqa: E402
from msdl.progress import Progress, get_logger  # noqa: E402

sm = snakemake  # noqa: F821
logger = get_logger("localization_statistics", sm.log[0])
acc = StatisticsAccumulator()
progress = Progress(logger, count_sves(sm.input.train), "SVEs", what=f"{sm.wildcards.composite} statistics: ")
for _, sve, channels in iter_sves(sm.input.train):
    acc.add(sve, channels)
    progress.update()
stats = acc.result()
write_json(sm.output[0], stats)
logger.info(f"{sm.wildcards.composite}: {stats}")
