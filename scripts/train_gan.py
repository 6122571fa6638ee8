"""Rule train_gan: DCGAN, Adam(2e-4, beta1 0.5) + BCE on logits, checkpoint each epoch, resume."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.training.jobs import run_gan_training

run_gan_training(
    entry=snakemake.params.gan,
    device=snakemake.params.device,
    train_shards=list(snakemake.input.train),
    state_dir=snakemake.params.state_dir,
    model_path=snakemake.output.model,
    metrics_path=snakemake.output.metrics,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
