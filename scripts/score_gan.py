"""Rule score_gan: comparison scores of the GAN's samples at each figure epoch."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import torch  # noqa: E402

from msdl.evaluation.jobs import score_gan  # noqa: E402
from msdl.evaluation.scoring import statistics_settings  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
score_gan(
    sm.wildcards.gan, sm.input.model, list(sm.input.train), list(sm.input.test),
    statistics_settings(sm.config, sm.params.dataset), sm.params.evaluation,
    sm.output.scores, sm.output.figure, get_logger("scores", sm.log[0]),
)  # fmt: skip
