"""Rule figure_microstructures: Figure 2-2, smooth images over their binary thresholds."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.figures import microstructure_rows  # noqa: E402
from msdl.shards import load_shard  # noqa: E402

sm = snakemake  # noqa: F821
smooth, smooth_manifest = load_shard(sm.input.smooth)
binary, binary_manifest = load_shard(sm.input.binary)
n = sm.params.n
first = smooth_manifest["seeds"]["first"]
microstructure_rows(
    {"smooth (grayscale)": smooth[:n], f"binary (volume fraction {binary_manifest['volume_fraction']})": binary[:n]},
    sm.output[0],
    f"Synthetic microstructures, test seeds {first}..{first + min(n, len(smooth)) - 1} (report Figure 2-2)",
)
