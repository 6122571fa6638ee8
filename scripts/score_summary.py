"""Rule score_summary: the comparison-score table of every model's last epoch, with floors."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.evaluation.jobs import score_summary  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
files = {}
for path in sm.input.scores:
    name = Path(path).parent.name
    files[name] = (sm.params.datasets[name], path)
for path in sm.input.latent:
    name = Path(path).parent.name
    files[f"{name} latent"] = (sm.params.datasets[name], path)
rows = score_summary(files, sm.output.table, sm.output.figure)
logger = get_logger("score_summary", sm.log[0])
for r in rows:
    logger.info(
        f"{r['model']} {r['set']}: total {r['total']:.4g}, floor {r['floor_total']:.4g}, ratio {r['ratio']:.3g}"
    )
