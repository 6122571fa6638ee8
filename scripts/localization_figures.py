"""Rule localization_figures: parity plot and mid slices of one predictor on one dataset."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import numpy as np  # noqa: E402

from msdl.localization.figures import mid_slices, parity_plot  # noqa: E402

sm = snakemake  # noqa: F821
metrics = json.loads(Path(sm.input.metrics).read_text())
with np.load(sm.input.examples, allow_pickle=False) as ex:
    title = (
        f"{sm.wildcards.predictor} on {sm.wildcards.composite}: R^2 {metrics['r2_exact']:.3f} (all test voxels), "
        f"MASE {metrics['mase_percent']:.1f} %, {metrics['n_sve']} test SVEs"
    )
    parity_plot(ex["parity"][:, 0], ex["parity"][:, 1], title, sm.output.parity)
    mid_slices(ex["names"], ex["phase"], ex["true"], ex["pred"], title, sm.output.slices)
