"""Rules score_autoencoder and latent_space: one model's generated sets judged by their
microstructure statistics (per epoch), or its latent space (schemes, interpolations)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import torch  # noqa: E402

from msdl.evaluation.jobs import latent_space, score_autoencoder  # noqa: E402
from msdl.evaluation.scoring import statistics_settings  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
job = {"score_autoencoder": score_autoencoder, "latent_space": latent_space}[sm.rule]
job(
    sm.wildcards.model, sm.input.model, list(sm.input.train), list(sm.input.test),
    statistics_settings(sm.config, sm.params.dataset), sm.params.evaluation, sm.params.latent_fit_images,
    sm.output.scores, sm.output.figure, get_logger(sm.rule, sm.log[0]),
)  # fmt: skip
