"""Rule train_gan: DCGAN, Adam(2e-4, beta1 0.5) + BCE on logits, checkpoint each epoch, resume."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.training.jobs import run_gan_training  # noqa: E402

sm = snakemake  # noqa: F821
run_gan_training(
    sm.params.gan,
    sm.params.device,
    list(sm.input.train),
    sm.params.state_dir,
    sm.output.model,
    sm.output.metrics,
    sm.log[0],
    sm.threads,
)
