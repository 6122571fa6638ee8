"""Rule figure_microstructure_grid: Figures 2-3, 2-4, 2-5 (3x3 test microstructures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.figures import microstructure_grid  # noqa: E402
from msdl.progress import get_logger  # noqa: E402
from msdl.shards import load_shard  # noqa: E402

FIGURE = {"am_ellipsoid": "2-3", "potts_weld": "2-4", "potts_grain_growth": "2-5"}

sm = snakemake  # noqa: F821
images, manifest = load_shard(sm.input[0])
first = manifest["seeds"]["first"]
n = min(9, len(images))
microstructure_grid(
    images[:n],
    sm.output[0],
    f"{sm.wildcards.dataset} ({manifest['generator']}, {manifest['engine']} engine), test seeds "
    f"{first}..{first + n - 1} (report Figure {FIGURE[manifest['generator']]})",
)
get_logger("figures", sm.log[0]).info(f"{sm.output[0]}: {n} images {images.shape[1:]}")
