"""Rule train_autoencoder: Adam + MSE, checkpoint each epoch, resume after a kill."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.training.jobs import launch_training

launch_training(
    processes=snakemake.resources.get("processes", 1),
    model_config=snakemake.params.model,
    device=snakemake.params.device,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    statistics_path=snakemake.input.normalization,
    state_dir=snakemake.params.state_dir,
    model_path=snakemake.output.model,
    metrics_path=snakemake.output.metrics,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
