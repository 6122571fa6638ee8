"""Rule autoencoder_figures: Figures 5-2/6-1, 5-3/6-2 and loss curves of one model."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import torch  # noqa: E402

from msdl.progress import get_logger  # noqa: E402
from msdl.training.figures import autoencoder_figures  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
errors = autoencoder_figures(
    sm.params.title,
    sm.input.model,
    sm.input.metrics,
    list(sm.input.train),
    list(sm.input.test),
    sm.params.figures,
    sm.output.reconstructions,
    sm.output.samples,
    sm.output.loss,
)
get_logger("figures", sm.log[0]).info(f"{sm.wildcards.model}: MSE of the shown reconstructions by epoch {errors}")
